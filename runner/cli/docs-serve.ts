/**
 * `stedi docs serve`: the files of target/docs/ over local HTTP (node:http, nothing else), bound
 * to 127.0.0.1 unless told otherwise. Only GET and HEAD of a regular file below target/docs/ are
 * answered: the request path is decoded once, a `..` segment, a NUL, a backslash or an encoded
 * slash is refused, and the real path of the file (symbolic links followed) must still be below
 * the real path of the folder. Stops on SIGINT/SIGTERM, closing every open connection.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { UserError } from '../core/diagnostics.js';
import type { Reporter } from '../execute/reporter.js';
import { loadProject } from '../project/load.js';
import { enterProject, type GlobalOptions } from './session.js';

export interface ServeOptions extends GlobalOptions {
  port?: string;
  host?: string;
}

export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '127.0.0.1';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The file a request path names, relative to the served folder (POSIX form), or undefined when
 * the path may not be served. Pure: the file system is not consulted.
 */
export function requestedFile(urlPath: string): string | undefined {
  const raw = urlPath.split('?')[0]!.split('#')[0]!;
  if (!raw.startsWith('/') || /%2f|%5c/i.test(raw)) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const segments = decoded.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.some((s) => s === '..')) return undefined;
  if (segments.length === 0) return 'index.html';
  return segments.join('/');
}

/** The port given, checked: a whole number from 0 (any free port) to 65535. */
export function portOf(given: string | undefined): number {
  if (given === undefined) return DEFAULT_PORT;
  const n = /^\s*\d+\s*$/.test(given) ? Number(given) : NaN;
  if (!Number.isInteger(n) || n > 65535) throw new UserError(`--port must be a whole number from 0 to 65535 (0: any free port), not '${given}'`);
  return n;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export async function docsServe(opts: ServeOptions, reporter: Reporter): Promise<number> {
  const port = portOf(opts.port);
  const host = opts.host ?? DEFAULT_HOST;
  enterProject(opts);
  const loaded = loadProject('.');
  if (!loaded.project) throw new UserError('cannot read stedi_project.yml', loaded.diagnostics);
  const dir = path.resolve(loaded.project.config.target_path, 'docs');
  if (!fs.existsSync(path.join(dir, 'index.html'))) {
    reporter.info(`${path.relative('.', dir)}/index.html does not exist yet: generating it first (stedi docs generate)`);
    const code = await (await import('./docs.js')).docsGenerate({ ...opts, projectDir: undefined }, reporter);
    if (code !== 0) return code;
  } else if (opts.target !== undefined || opts.vars !== undefined) {
    // the page is served as it is: the options that would shape a new one say so rather than do nothing
    reporter.warn(`${path.relative('.', dir)}/index.html exists and is served as it is: --target and --vars apply only when the docs are generated (stedi docs generate${opts.target ? ` --target ${opts.target}` : ''} to regenerate them)`);
  }
  const root = fs.realpathSync(dir);
  const server = http.createServer((req, res) => answer(root, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') reject(new UserError(`port ${port} on ${host} is in use: choose another with --port (0: any free port)`));
      else if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') reject(new UserError(`--host ${host} is not an address of this machine (${e.code})`));
      else if (e.code === 'EACCES') reject(new UserError(`not allowed to listen on port ${port} (ports below 1024 need privileges): choose another with --port`));
      else reject(e);
    });
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  reporter.info(`Serving ${path.relative('.', dir) || '.'}/ at http://${shown}:${address.port}/ (Ctrl-C to stop)`);
  if (!LOOPBACK.has(host)) reporter.warn(`listening on ${host}, not on the loopback address: other machines that reach it can read the docs (model SQL, column names)`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const stop = (sig: NodeJS.Signals) => () => resolve(sig);
    process.once('SIGINT', stop('SIGINT'));
    process.once('SIGTERM', stop('SIGTERM'));
  });
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  reporter.info(`${signal} received: stopped serving the docs`);
  return 0;
}

function answer(root: string, req: http.IncomingMessage, res: http.ServerResponse): void {
  const send = (status: number, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', ...headers });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n', { allow: 'GET, HEAD' });
  const rel = requestedFile(req.url ?? '/');
  if (rel === undefined) return send(400, 'bad request\n');
  const file = servedFile(root, rel);
  if (!file) return send(404, 'not found\n');
  res.writeHead(200, {
    'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
    'content-length': String(fs.statSync(file).size),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  if (req.method === 'HEAD') return void res.end();
  fs.createReadStream(file).on('error', () => res.destroy()).pipe(res);
}

/** The real path of a regular file below root, or undefined (missing, a folder, or outside root through a link). */
function servedFile(root: string, rel: string): string | undefined {
  let real: string;
  try {
    real = fs.realpathSync(path.join(root, ...rel.split('/')));
  } catch {
    return undefined;
  }
  if (!real.startsWith(`${root}${path.sep}`)) return undefined;
  return fs.statSync(real).isFile() ? real : undefined;
}
