/**
 * `stedi docs serve` through the real CLI: real HTTP requests to the port it prints (port 0: any
 * free one), only files below target/docs/ answered (no traversal, no link out), generated first
 * when missing, stopped cleanly by SIGINT and SIGTERM.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyFixture, explain, removeFixtures, start, stedi } from '../helpers/stedi.js';

afterAll(removeFixtures);

interface Reply {
  status: number;
  type: string;
  body: Buffer;
}

/** One request with the path sent exactly as given (no normalisation by a URL parser). */
function request(port: number, rawPath: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: rawPath, method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function serve(dir: string, args: string[] = []) {
  const s = start(dir, ['docs', 'serve', '--port', '0', ...args]);
  await s.waitFor(/Serving target\/docs\/ at http:\/\/127\.0\.0\.1:\d+\//, 120_000);
  const port = Number(/http:\/\/127\.0\.0\.1:(\d+)\//.exec(s.stdout())![1]);
  return { s, port };
}

describe('stedi docs serve', () => {
  it('generates the docs when missing, serves them on the printed port, nothing outside target/docs; SIGINT stops it (exit 0)', async () => {
    const dir = copyFixture();
    const secret = fs.readFileSync(path.join(dir, 'stedi_project.yml'));
    const { s, port } = await serve(dir);
    expect(s.stdout()).toContain('target/docs/index.html does not exist yet: generating it first');
    const index = fs.readFileSync(path.join(dir, 'target/docs/index.html'));

    const page = await request(port, '/');
    expect(page.status).toBe(200);
    expect(page.type).toBe('text/html; charset=utf-8');
    expect(page.body.equals(index)).toBe(true);
    const lineage = await request(port, '/lineage.json');
    expect(lineage.status).toBe(200);
    expect(JSON.parse(lineage.body.toString()).schema_version).toBe(1);
    expect((await request(port, '/', 'HEAD')).status).toBe(200);

    // a link inside target/docs to a file outside it is not followed
    fs.symlinkSync(path.join(dir, 'stedi_project.yml'), path.join(dir, 'target/docs/project.yml'));
    fs.mkdirSync(path.join(dir, 'target/docs/sub'));
    for (const p of ['/../stedi_project.yml', '/../../stedi_project.yml', '/%2e%2e/stedi_project.yml', '/..%2fstedi_project.yml', '/sub/..%2f..%2fstedi_project.yml', '/..%5cstedi_project.yml', '/project.yml', '/../target/manifest.json', '/sub', '/nope.html', '/%00']) {
      const r = await request(port, p);
      expect([400, 404], p).toContain(r.status);
      expect(r.body.includes(secret), p).toBe(false);
    }
    expect((await request(port, '/', 'POST')).status).toBe(405);

    s.child.kill('SIGINT');
    const done = await s.exited;
    expect(done.code, explain(done)).toBe(0);
    expect(done.stdout).toContain('SIGINT received: stopped serving the docs');
    await expect(request(port, '/')).rejects.toThrow(/ECONNREFUSED/);
  }, 180_000);

  it('serves docs already generated as they are; SIGTERM stops it; a busy port and a bad --port are errors (exit 2)', async () => {
    const dir = copyFixture();
    fs.mkdirSync(path.join(dir, 'target/docs'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'target/docs/index.html'), '<!doctype html><title>kept</title>');
    const { s, port } = await serve(dir, ['--target', 'alt']);
    expect(s.stdout()).not.toContain('generating it first');
    expect(s.stderr()).toContain('warning: target/docs/index.html exists and is served as it is: --target and --vars apply only when the docs are generated (stedi docs generate --target alt to regenerate them)');
    expect((await request(port, '/')).body.toString()).toBe('<!doctype html><title>kept</title>');

    const busy = await stedi(dir, ['docs', 'serve', '--port', String(port)]);
    expect(busy.code, explain(busy)).toBe(2);
    expect(busy.stderr).toContain(`port ${port} on 127.0.0.1 is in use: choose another with --port`);
    const bad = await stedi(dir, ['docs', 'serve', '--port', '70000']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--port must be a whole number from 0 to 65535 (0: any free port), not '70000'");

    s.child.kill('SIGTERM');
    const done = await s.exited;
    expect(done.code, explain(done)).toBe(0);
    expect(done.stdout).toContain('SIGTERM received: stopped serving the docs');
  }, 120_000);
});
