/**
 * `stedi forget --email <e>` (or `--emails-file <f>`): erases people from every zone of the
 * local target, with a receipt. In order, each step safe to interrupt (running the command again
 * completes it):
 *
 *   1. the identities become keyed hashes (runner/landing/erasure.ts); the devices only they
 *      claimed are found in the customer records (landing/forget.ts); the landing files are
 *      scanned with the ingestion's classifier for their lines;
 *   2. `--dry-run` stops here and prints what would be removed: lines per landing file, rows per
 *      published table (counts only, no identifier);
 *   3. a `request` line goes to the erasure log (landing/erasure-log.ts): from now on no
 *      ingestion lets their records in (rule `erased`), whatever happens next;
 *   4. each landing file is rewritten without their lines (a temporary file renamed over it; the
 *      other lines byte for byte);
 *   5. `stedi build` runs on every node with keep_versions 0: each table is rebuilt through
 *      write-audit-publish and every older version is expired with its files;
 *   6. checks: no published table holds a value of theirs, no older version is left; files
 *      under target/ that hold a value of theirs are removed;
 *   7. a `receipt` line: time, hashes, counts removed per zone and file.
 *
 * Nothing it prints or stores names a person: counts, hashes and (masked) file names only.
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/diagnostics.js';
import type { Reporter } from '../execute/reporter.js';
import { landingColumns } from '../landing/classify.js';
import { canonicalEmail } from '../landing/identity.js';
import { appendErasureLog, erasureList, erasureLogPath, readErasureLog, type LogEntry, type RemovedCounts } from '../landing/erasure-log.js';
import { ErasureMatcher, identityRoles, personHash, type ErasureList, type MatcherSetup } from '../landing/erasure.js';
import { readColumns } from '../landing/derive.js';
import { listOwnedVersionDirs } from '../adapters/duckdb/lake.js';
import { addClaims, scanFile, soleDevices, withoutLines, type Claims, type FileScan } from '../landing/forget.js';
import { shownPath } from '../landing/report.js';
import { isLandingFileName } from '../landing/classify.js';
import { DEFAULT_MAX_LINE_BYTES, type LandingColumn } from '../landing/types.js';
import type { SourceNode } from '../manifest/types.js';
import type { ResolvedTarget } from '../project/resolve.js';
import { adapterFor, runCommand, type RunCommandOptions } from './commands.js';
import { resolvePseudonymKey, SUBJECT_KEY_ENV } from './secrets.js';
import { openSession, type GlobalOptions, type Session } from './session.js';

export interface ForgetOptions extends GlobalOptions {
  email?: string[];
  emailsFile?: string;
  dryRun?: boolean;
}

interface SourceFiles {
  node: SourceNode;
  columns: LandingColumn[];
  /** Has identity columns (meta.identity): scanned for the people to forget. */
  identity: boolean;
  maxLineBytes: number;
  files: { name: string; path: string }[];
}

interface FileHit {
  source: SourceFiles;
  file: { name: string; path: string };
  scan: FileScan;
}

/** The identities asked for, canonical, without repeats; an empty one is an error naming where it came from, never its value. */
export function identitiesOf(opts: Pick<ForgetOptions, 'email' | 'emailsFile'>): string[] {
  const out = new Set<string>();
  (opts.email ?? []).forEach((e, i) => {
    const c = canonicalEmail(e);
    if (c === null) throw new UserError(`--email value ${i + 1} is empty (or only white space): no identity to forget`);
    out.add(c);
  });
  if (opts.emailsFile !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(opts.emailsFile, 'utf8');
    } catch (e) {
      throw new UserError(`cannot read --emails-file ${opts.emailsFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      const c = canonicalEmail(line);
      if (c === null) throw new UserError(`${opts.emailsFile} line ${i + 1}: not an identity`);
      out.add(c);
    });
  }
  if (!out.size) throw new UserError('stedi forget needs at least one identity: --email <email> (repeatable) or --emails-file <file> (one per line)');
  return [...out].sort();
}

/** The landing sources and their landing files, in name order; those with identity columns (meta.identity) flagged. */
function landingSources(s: Session): SourceFiles[] {
  const out: SourceFiles[] = [];
  for (const n of Object.values(s.manifest.nodes)) {
    if (n.resource_type !== 'source') continue;
    const { columns, problems } = landingColumns(n.columns);
    const identity = columns.some((c) => c.identity);
    if (identity && problems.length) throw new UserError(`${n.source_name}.${n.name}: ${problems.join('; ')}`);
    let names: string[];
    try {
      names = fs.readdirSync(n.location, { withFileTypes: true }).filter((e) => e.isFile() && isLandingFileName(e.name)).map((e) => e.name).sort();
    } catch (e) {
      throw new UserError(`${n.source_name}.${n.name}: cannot list its landing folder ${shownPath(n.location)} (${(e as NodeJS.ErrnoException).code ?? 'error'}); nothing was erased`);
    }
    const max = typeof n.config.max_line_bytes === 'number' ? n.config.max_line_bytes : DEFAULT_MAX_LINE_BYTES;
    out.push({ node: n, columns, identity, maxLineBytes: max, files: names.map((name) => ({ name, path: path.join(n.location, name) })) });
  }
  return out.sort((a, b) => a.node.unique_id.localeCompare(b.node.unique_id));
}

const sourceName = (s: SourceFiles) => `${s.node.source_name}.${s.node.name}`;

/** Rows of each published table holding any of `values` (in any column, any case; the raw text of rejects included). */
async function rowsHolding(target: ResolvedTarget, project: string, values: string[]): Promise<Map<string, { holding: number; rows: number }>> {
  const out = new Map<string, { holding: number; rows: number }>();
  // nothing built yet: no table to look in
  if (!fs.existsSync(String(target.catalog))) return out;
  const adapter = await adapterFor(target, { project });
  try {
    await adapter.open('read');
    const lowered = [...new Set(values.map((v) => v.toLowerCase()))];
    for (const p of await adapter.published()) {
      const cols = (await adapter.query(`SELECT * FROM ${p.relation} LIMIT 0`)).columns.filter((c) => /^(VARCHAR|TEXT|STRING)/i.test(c.type));
      const list = lowered.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ');
      const hit = cols.length && lowered.length ? cols.map((c) => `(lower(${quote(c.name)}) IN (${list}) OR ${lowered.map((v) => `contains(lower(${quote(c.name)}), '${v.replace(/'/g, "''")}')`).join(' OR ')})`).join(' OR ') : 'FALSE';
      const r = (await adapter.query(`SELECT count(*) FILTER (WHERE ${hit}) AS holding, count(*) AS n FROM ${p.relation}`)).rows[0]!;
      out.set(p.relation, { holding: Number(r.holding), rows: Number(r.n) });
    }
  } finally {
    await adapter.close();
  }
  return out;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Files under `dir` whose bytes hold any of `values` (case-insensitive for ASCII). */
function filesHolding(dir: string, values: string[]): string[] {
  const needles = [...new Set(values.filter((v) => v.length >= 6).map((v) => Buffer.from(v.toLowerCase(), 'utf8')))];
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const text = Buffer.from(fs.readFileSync(p).toString('latin1').toLowerCase(), 'latin1');
        if (needles.some((n) => text.includes(n))) out.push(p);
      }
    }
  };
  walk(dir);
  return out;
}

export async function forgetCommand(opts: ForgetOptions, reporter: Reporter): Promise<number> {
  const identities = identitiesOf(opts);
  const s = openSession(opts, reporter, undefined, undefined, false);
  if (s.target.type !== 'duckdb') {
    throw new UserError(`stedi forget erases from the local (duckdb) target only so far; target ${s.target.name} is ${s.target.type}. On Athena, see "Erasure requests" in the README for what it takes by hand`);
  }
  const lake = String(s.target.lake_dir);
  const project = s.project.config.name;
  const key = await resolvePseudonymKey(s.target, { env: process.env, info: reporter.info });
  const logFile = erasureLogPath(lake);
  const entries = readErasureLog(logFile);
  const earlier = erasureList(entries, logFile);
  if (earlier && earlier.key_fingerprint !== key.fingerprint) {
    throw new UserError(`the erasure log ${logFile} was made with another pseudonymisation key (fingerprint ${earlier.key_fingerprint}; this key's is ${key.fingerprint}): forget with the key of the log`);
  }
  const persons = identities.map((e) => personHash(key.key, e)!);
  const allPersons = new Set([...(earlier?.persons ?? []), ...persons]);

  // the landing zone must be what the published tables were built from (or changed only by an earlier forget):
  // then the rebuild changes exactly what this forget removes, and the volume guards may let it shrink the tables
  const sources = landingSources(s);
  const contents = new Map<string, { buf: Buffer; sha: string }>();
  const read = (file: string) => {
    let c = contents.get(file);
    if (!c) {
      const buf = fs.readFileSync(file);
      c = { buf, sha: createHash('sha256').update(buf).digest('hex') };
      contents.set(file, c);
    }
    return c;
  };
  const published = await publishedFiles(s.target, project);
  const otherKeys = [...(published?.keys ?? [])].filter((k) => k !== key.fingerprint);
  if (otherKeys.length) {
    throw new UserError(`the published tables were built with another pseudonymisation key (fingerprint ${otherKeys.join(', ')}; this key's is ${key.fingerprint}): forget with the key they were built with (${SUBJECT_KEY_ENV}); nothing was erased`);
  }
  const changes = landingChanges(sources, published?.files, pendingRewrites(entries), (f) => read(f).sha);
  if (changes.length) {
    throw new UserError(`stedi forget needs the landing zone as the published tables were built from it, so that the rebuild removes exactly what it erases: ${changes.slice(0, 5).join('; ')}${changes.length > 5 ? `; and ${changes.length - 5} more` : ''}. Run stedi build first (or restore the files), then stedi forget; nothing was erased`);
  }

  // 1. devices only erased people claim, then the lines of every identity source
  const identitySources = sources.filter((src) => src.identity);
  const claims: Claims = new Map();
  for (const src of identitySources) for (const f of src.files) addClaims(claims, read(f.path).buf, src.columns, key.key, allPersons, src.maxLineBytes);
  const devices = soleDevices(claims, key.key);
  const list: ErasureList = { key_fingerprint: key.fingerprint, persons: [...allPersons].sort(), devices: [...new Set([...(earlier?.devices ?? []), ...devices.hashes])].sort() };
  const hits: FileHit[] = [];
  const values = new Set<string>([...identities, ...persons, ...devices.serials]);
  for (const src of identitySources) {
    const m = new ErasureMatcher({ key: key.key.toString('hex'), persons: list.persons, devices: list.devices, roles: identityRolesOf(src.columns) });
    for (const f of src.files) {
      const scan = scanFile(read(f.path).buf, src.columns, m, src.maxLineBytes);
      if (scan.remove.length) hits.push({ source: src, file: f, scan });
      for (const v of scan.values) values.add(v);
    }
  }
  // what to look for in files stedi keeps besides the tables: every text value of their records
  const identifying = [...values].filter((v) => v.length >= 6);
  const searched = [...identities, ...persons, ...devices.serials, ...hitSpellings(hits)];
  const before = await rowsHolding(s.target, project, searched);

  const landingCounts = hits.map((h) => ({ source: sourceName(h.source), file: shownPath(h.file.name), accepted: h.scan.remove.filter((r) => r.kind === 'accepted').length, rejected: h.scan.remove.filter((r) => r.kind === 'rejected').length }));
  const found = hits.length > 0 || [...before.values()].some((b) => b.holding > 0);
  reporter.info(`stedi forget on ${s.target.name}: ${identities.length} ${identities.length === 1 ? 'identity' : 'identities'}, ${devices.hashes.length} device${devices.hashes.length === 1 ? '' : 's'} only they claimed`);
  for (const c of landingCounts) reporter.info(`  landing ${c.source} ${c.file}: ${c.accepted} record${c.accepted === 1 ? '' : 's'}${c.rejected ? ` + ${c.rejected} quarantined line${c.rejected === 1 ? '' : 's'}` : ''}`);
  for (const [rel, b] of before) if (b.holding) reporter.info(`  table ${rel}: ${b.holding} row${b.holding === 1 ? '' : 's'}`);
  if (!found) reporter.info('  no record of them was found in the landing files or the published tables');
  if (opts.dryRun) {
    reporter.info('DRY RUN: nothing was changed; without --dry-run their hashes also join the erasure list, so a file delivered later cannot bring them back');
    return 0;
  }

  // 2. the erasure list first: from here on no ingestion lets them in; the rewrites it will make, so that a run stopped half-way can be completed
  const id = randomUUID();
  const owner = { project, target: s.target.name };
  const dirsBefore = versionDirs(s.target, owner);
  const rewrites = hits.map((h) => {
    const c = read(h.file.path);
    const out = withoutLines(c.buf, h.scan.remove);
    return { hit: h, out, from: c.sha, to: createHash('sha256').update(out).digest('hex') };
  });
  appendErasureLog(logFile, { kind: 'request', id, at: new Date().toISOString(), key_fingerprint: key.fingerprint, persons, devices: devices.hashes, rewrites: rewrites.map((r) => ({ from: r.from, to: r.to })) });

  // 3. the landing files, each replaced at once by its rewrite
  for (const r of rewrites) {
    const file = r.hit.file.path;
    const tmp = path.join(path.dirname(file), `.${path.basename(file)}.stedi-forget-${id}`);
    fs.writeFileSync(tmp, r.out, { mode: fs.statSync(file).mode });
    const fd = fs.openSync(tmp, 'r');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, file);
  }

  // 4. every table rebuilt through write-audit-publish, older versions expired; the shrink is what was asked for
  reporter.info('Rebuilding every table without them (stedi build, older versions expired):');
  const code = await runCommand('build', { ...(opts as RunCommandOptions), select: undefined, exclude: undefined, dryRun: false, allowShrink: true, expireVersions: true } as RunCommandOptions, reporter);
  if (code !== 0) {
    reporter.error(`the build after the erasure failed (exit ${code}): their landing lines are removed and the erasure list keeps them out, but some tables may still hold them; fix the failure and run stedi forget again`);
    return code;
  }

  // 5. checks
  const after = await rowsHolding(s.target, project, searched);
  const left = [...after].filter(([, a]) => a.holding > 0);
  if (left.length) {
    reporter.error(`forget incomplete: ${left.map(([rel, a]) => `${rel} still holds ${a.holding} row${a.holding === 1 ? '' : 's'} of them`).join('; ')}; nothing was recorded as done (run stedi forget again after fixing the cause)`);
    return 1;
  }
  const history = await historyLeft(s.target, project);
  if (history > 0) {
    reporter.error(`forget incomplete: the catalog still keeps ${history} older table version${history === 1 ? '' : 's'} that may hold them; run stedi forget again`);
    return 1;
  }
  const dirsAfter = versionDirs(s.target, owner);
  const targetFiles = filesHolding(s.targetPath, identifying);
  for (const f of targetFiles) fs.rmSync(f, { force: true });

  // 6. the receipt
  const removed: RemovedCounts = {
    landing_files: landingCounts,
    tables: [...new Set([...before.keys(), ...after.keys()])].sort().map((rel) => ({ relation: rel, before: before.get(rel)?.rows ?? 0, after: after.get(rel)?.rows ?? 0 })),
    versions_expired: [...dirsBefore].filter((d) => !dirsAfter.has(d)).length,
    target_files_removed: targetFiles.length,
  };
  const completes = pendingRequests(entries);
  appendErasureLog(logFile, { kind: 'receipt', id, at: new Date().toISOString(), key_fingerprint: key.fingerprint, persons, devices: devices.hashes, removed, ...(found ? {} : { unknown: identities.length }), ...(completes.length ? { completes } : {}) });
  reporter.info('');
  reporter.info(`Erased: ${landingCounts.reduce((n, c) => n + c.accepted + c.rejected, 0)} landing lines in ${landingCounts.length} file${landingCounts.length === 1 ? '' : 's'}; ${removed.tables.filter((t) => t.before !== t.after).map((t) => `${t.relation} ${t.before} -> ${t.after}`).join(', ') || 'no table changed'}; ${removed.versions_expired} older version${removed.versions_expired === 1 ? '' : 's'} expired; ${targetFiles.length} file${targetFiles.length === 1 ? '' : 's'} under ${s.targetPath}/ removed.`);
  reporter.info(`Receipt ${id} appended to ${logFile}. What stedi cannot erase itself (backups, copies outside the lake): see "Erasure requests" in the README.`);
  return 0;
}

/** The (from, to) content hashes of the rewrites of requests without a receipt: a forget that stopped half-way. */
function pendingRewrites(entries: LogEntry[]): Set<string> {
  const done = new Set(entries.filter((e) => e.kind === 'receipt').flatMap((e) => [e.id, ...(e.completes ?? [])]));
  return new Set(entries.filter((e) => e.kind === 'request' && !done.has(e.id)).flatMap((e) => (e.rewrites ?? []).map((r) => `${r.from}>${r.to}`)));
}

/** Requests without a receipt: forgets that stopped half-way, which this one completes. */
function pendingRequests(entries: LogEntry[]): string[] {
  const done = new Set(entries.filter((e) => e.kind === 'receipt').flatMap((e) => [e.id, ...(e.completes ?? [])]));
  return entries.filter((e) => e.kind === 'request' && !done.has(e.id)).map((e) => e.id);
}

interface PublishedFile {
  name: string;
  sha256: string;
  removed: boolean;
  rows: number;
}

/**
 * Per source, the landing files its published ingestion recorded (none: nothing built yet); and
 * the pseudonymisation keys the published tables were built with (their fingerprints).
 */
async function publishedFiles(target: ResolvedTarget, project: string): Promise<{ files: Map<string, PublishedFile[]>; keys: Set<string> } | undefined> {
  if (!fs.existsSync(String(target.catalog))) return undefined;
  const adapter = await adapterFor(target, { project });
  try {
    await adapter.open('read');
    const keys = new Set<string>();
    for (const p of await adapter.published()) {
      const k = (p.inputs as { keys?: Record<string, string> } | undefined)?.keys;
      for (const v of Object.values(k ?? {})) keys.add(String(v));
    }
    const out = new Map<string, PublishedFile[]>();
    for (const r of (await adapter.query('SELECT source, name, sha256, removed, accepted, rejected FROM _stedi.landing_files')).rows) {
      const list = out.get(String(r.source)) ?? [];
      list.push({ name: String(r.name), sha256: String(r.sha256), removed: r.removed === true, rows: Number(r.accepted) + Number(r.rejected) });
      out.set(String(r.source), list);
    }
    return { files: out, keys };
  } finally {
    await adapter.close();
  }
}

/** How the landing zone differs from what the published ingestion recorded, besides the rewrites of an unfinished forget (file names masked). */
function landingChanges(sources: SourceFiles[], published: Map<string, PublishedFile[]> | undefined, pending: Set<string>, sha: (file: string) => string): string[] {
  if (!published) return [];
  const out: string[] = [];
  for (const src of sources) {
    const name = sourceName(src);
    const recorded = new Map((published.get(name) ?? []).map((f) => [f.name, f]));
    for (const f of src.files) {
      const r = recorded.get(f.name);
      const now = sha(f.path);
      if (!r || r.removed) out.push(`${name}: ${shownPath(f.name)} is new since the last build`);
      else if (r.sha256 !== now && !pending.has(`${r.sha256}>${now}`)) out.push(`${name}: ${shownPath(f.name)} changed since the last build`);
    }
    const listed = new Set(src.files.map((f) => f.name));
    for (const r of recorded.values()) {
      if (listed.has(r.name)) continue;
      if (!r.removed) out.push(`${name}: ${shownPath(r.name)} was removed since the last build`);
      // its rows are kept (on_removed_file: keep) but the file is gone: stedi cannot rewrite it
      else if (src.identity && r.rows > 0) out.push(`${name}: ${shownPath(r.name)} is no longer in the landing folder but its rows are kept (on_removed_file: keep); put the file back or set on_removed_file: drop`);
    }
  }
  return out;
}

/** The roles of a source's read columns (erasure.ts identityRoles). */
function identityRolesOf(columns: LandingColumn[]): MatcherSetup['roles'] {
  return identityRoles(readColumns(columns));
}

/** The spellings of their identities as their records wrote them (the values of their records that look like an email). */
function hitSpellings(hits: FileHit[]): string[] {
  const out = new Set<string>();
  for (const h of hits) for (const v of h.scan.values) if (v.includes('@')) out.add(v.trim());
  return [...out];
}

/** The version folders of the lake that belong to this project and target. */
function versionDirs(target: ResolvedTarget, owner: { project: string; target: string }): Set<string> {
  return new Set(listOwnedVersionDirs(String(target.lake_dir), owner).map((d) => path.resolve(d)));
}

/** After the build: the catalog keeps no older version (history). */
async function historyLeft(target: ResolvedTarget, project: string): Promise<number> {
  const adapter = await adapterFor(target, { project });
  try {
    await adapter.open('write');
    return Number((await adapter.query('SELECT count(*) AS n FROM _stedi.history')).rows[0]!.n);
  } finally {
    await adapter.close();
  }
}
