/**
 * `stedi forget --email <e>` (or `--emails-file <f>`): erases people from every zone of the
 * target, with a receipt. The target's side (its erasure log, landing files, versions, how to look
 * for a value) is its adapter's `ErasureAccess` (runner/adapters/<engine>/erasure.ts); the steps
 * are the same on both, each safe to interrupt (running the command again completes it):
 *
 *   1. checks first: the published tables were built with this key and from the landing files as
 *      they are now (or as an earlier forget that stopped half-way left them), so that the
 *      rebuild changes exactly what this forget removes;
 *   2. the identities become keyed hashes (runner/landing/erasure.ts); the devices only they
 *      claimed are found in the customer records and their lines in every landing file, with the
 *      ingestion's own classifier (runner/landing/forget.ts);
 *   3. `--dry-run` stops here and prints what would be removed: lines per landing file, rows per
 *      published table (counts only, no identifier);
 *   4. a `request` entry goes to the erasure log (with the content hashes of the rewrites it
 *      will make): from now on no ingestion lets their records in (rule `erased`);
 *   5. each landing file is replaced by its rewrite, only if it is still what was read;
 *   6. `stedi build` runs on every node with keep_versions 0 (and the shrink allowed: it is what
 *      was asked for): every table is rebuilt through write-audit-publish, older versions expire;
 *   7. checks: no published table holds a value of theirs, no older version is kept; files under
 *      target/ holding a value of theirs are removed;
 *   8. a `receipt` entry: time, hashes, counts removed per zone and file, and what the target
 *      cannot erase itself (printed with the exact setting or action).
 *
 * Nothing it prints or stores names a person: counts, hashes and (masked) file names only.
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Adapter, ErasureAccess, ForgetFile, RecordedFile } from '../adapters/types.js';
import { UserError } from '../core/diagnostics.js';
import type { Reporter } from '../execute/reporter.js';
import { landingColumns } from '../landing/classify.js';
import { readColumns } from '../landing/derive.js';
import { erasureList, type LogEntry, type RemovedCounts } from '../landing/erasure-log.js';
import { ErasureMatcher, identityRoles, personHash, type ErasureList, type MatcherSetup } from '../landing/erasure.js';
import { addClaims, scanFile, soleDevices, withoutLines, type Claims, type FileScan } from '../landing/forget.js';
import { canonicalEmail } from '../landing/identity.js';
import { shownPath } from '../landing/report.js';
import { DEFAULT_MAX_LINE_BYTES, type LandingColumn } from '../landing/types.js';
import type { SourceNode } from '../manifest/types.js';
import { rebuildDisagreements } from '../execute/inputs.js';
import { adapterFor, commandKey, runCommand, type RunCommandOptions } from './commands.js';
import { SUBJECT_KEY_ENV } from './secrets.js';
import { openSession, type GlobalOptions, type Session } from './session.js';
import { targetSpec } from '../targets/registry.js';

export interface ForgetOptions extends GlobalOptions {
  email?: string[];
  emailsFile?: string;
  dryRun?: boolean;
}

interface Source {
  node: SourceNode;
  name: string;
  columns: LandingColumn[];
  /** Has identity columns (meta.identity): scanned for the people to forget. */
  identity: boolean;
  maxLineBytes: number;
  files: ForgetFile[];
}

interface FileHit {
  source: Source;
  file: ForgetFile;
  scan: FileScan;
  /** sha256 of the file as scanned and of its rewrite (recorded by the request, so that a forget stopped half-way is recognised). */
  from: string;
  to: string;
}

/** The identities asked for, canonical, without repeats; an empty one is an error naming where it came from, never its value. */
/**
 * The canonical identities to forget, each with where it was first given (`--email 2`,
 * `requests.txt line 5`): a position, never the value, so that one that matched nothing can be
 * named without printing it.
 */
export function identityOrigins(opts: Pick<ForgetOptions, 'email' | 'emailsFile'>): Map<string, string> {
  const out = new Map<string, string>();
  const add = (c: string, origin: string) => {
    if (!out.has(c)) out.set(c, origin);
  };
  (opts.email ?? []).forEach((e, i) => {
    const c = canonicalEmail(e);
    if (c === null) throw new UserError(`--email value ${i + 1} is empty (or only white space): no identity to forget`);
    add(c, `--email ${i + 1}`);
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
      add(c, `${opts.emailsFile} line ${i + 1}`);
    });
  }
  if (!out.size) throw new UserError('stedi forget needs at least one identity: --email <email> (repeatable) or --emails-file <file> (one per line)');
  return out;
}

/** The landing sources of the project with their columns; `identity` when they have identity columns. */
function landingSources(s: Session): Omit<Source, 'files'>[] {
  const out: Omit<Source, 'files'>[] = [];
  for (const n of Object.values(s.manifest.nodes)) {
    if (n.resource_type !== 'source') continue;
    const { columns, problems } = landingColumns(n.columns);
    const identity = columns.some((c) => c.identity);
    if (identity && problems.length) throw new UserError(`${n.source_name}.${n.name}: ${problems.join('; ')}`);
    const max = typeof n.config.max_line_bytes === 'number' ? n.config.max_line_bytes : DEFAULT_MAX_LINE_BYTES;
    out.push({ node: n, name: `${n.source_name}.${n.name}`, columns, identity, maxLineBytes: max });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Rows of each published table, and of those the rows holding any of `values` (in any text column, any case). */
async function rowsHolding(adapter: Adapter, access: ErasureAccess, values: string[]): Promise<Map<string, { holding: number; rows: number }>> {
  const out = new Map<string, { holding: number; rows: number }>();
  const lowered = [...new Set(values.map((v) => v.toLowerCase()))].sort();
  for (const p of await adapter.published()) {
    const all = (await adapter.query(`SELECT * FROM ${p.relation} LIMIT 0`)).columns;
    // a table has columns: none means the engine did not say, and a check over no column would prove nothing
    if (!all.length) throw new UserError(`cannot read the columns of ${p.relation}: the engine returned none; nothing can be proven erased`);
    const cols = all.filter((c) => /^(VARCHAR|TEXT|STRING|CHAR)/i.test(c.type));
    const hit = cols.length ? cols.map((c) => access.holding(c.name, lowered)).join(' OR ') : 'FALSE';
    const r = (await adapter.query(`SELECT count(*) FILTER (WHERE ${hit}) AS holding, count(*) AS n FROM ${p.relation}`)).rows[0];
    if (!r || r.holding === undefined || r.n === undefined) throw new UserError(`cannot count the rows of ${p.relation}: the engine returned no count; nothing can be proven erased`);
    out.set(p.relation, { holding: Number(r.holding), rows: Number(r.n) });
  }
  return out;
}

/** Files under `dir` whose text holds any of `values`, in any case (compared as UTF-8 text: a name with an accent is found too). */
function filesHolding(dir: string, values: string[]): string[] {
  const needles = [...new Set(values.map((v) => v.toLowerCase()))];
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
        const text = fs.readFileSync(p, 'utf8').toLowerCase();
        if (needles.some((n) => text.includes(n))) out.push(p);
      }
    }
  };
  walk(dir);
  return out;
}

export async function forgetCommand(opts: ForgetOptions, reporter: Reporter): Promise<number> {
  const origins = identityOrigins(opts);
  const identities = [...origins.keys()].sort();
  const s = openSession(opts, reporter, undefined, undefined, false);
  const project = s.project.config.name;
  const key = await commandKey(s.target, false, reporter);
  const persons = identities.map((e) => personHash(key.key, e)!);
  const sources = landingSources(s);
  // fail closed: without a person column stedi cannot find anyone's records, and would publish the same tables again
  if (!sources.some((x) => x.columns.some((c) => c.identity === 'person'))) {
    throw new UserError('no landing source declares a person column (meta: {identity: person} on the column holding the email, in its YAML): stedi forget cannot find anyone\'s records; nothing was erased');
  }
  const adapter = await adapterFor(s.target, { project });
  const access = adapter.erasure();
  // a local target that was never built has no catalog to read (and a dry run must not make one)
  const built = !targetSpec(s.target.type).capabilities.local || fs.existsSync(String(s.target.catalog));
  // opened first: a target it cannot reach (no credentials, no workgroup) is a clear error before anything is read
  if (built) await adapter.open('read');

  // one file in memory at a time (a landing zone can be far larger than memory); its content hash is kept, and a file
  // read again must still have it (else it changed while forget ran: an error, nothing of it replaced)
  const shas = new Map<string, string>();
  const read = async (f: ForgetFile) => {
    const buf = await access.readLanding(f);
    const sha = createHash('sha256').update(buf).digest('hex');
    const seen = shas.get(f.path);
    if (seen !== undefined && seen !== sha) throw new UserError(`${shownPath(f.name)} changed while stedi forget ran; nothing was erased (run stedi build, then stedi forget again)`);
    shas.set(f.path, sha);
    return { buf, sha };
  };
  const shaOf = async (f: ForgetFile) => shas.get(f.path) ?? (await read(f)).sha;
  let before = new Map<string, { holding: number; rows: number }>();
  let entries: LogEntry[] = [];
  const scanned = await (async () => {
    try {
      // 1. the log, the key, the landing zone against what the published tables were built from
      entries = await access.readLog();
      const earlier = erasureList(entries, access.logLocation);
      if (earlier && earlier.key_fingerprint !== key.fingerprint) {
        throw new UserError(`the erasure log ${access.logLocation} was made with another pseudonymisation key (fingerprint ${earlier.key_fingerprint}; this key's is ${key.fingerprint}): forget with the key of the log`);
      }
      const allPersons = new Set([...(earlier?.persons ?? []), ...persons]);
      const withFiles: Source[] = [];
      for (const src of sources) withFiles.push({ ...src, files: await access.listLanding(src.node) });
      if (built) {
        // the rebuild must differ from the published tables by the erasure only: same key, vars, landing locations
        const differ = rebuildDisagreements(s.manifest, await adapter.published(), key.fingerprint);
        if (differ.length) throw new UserError(`the published tables were built from other inputs than this command would rebuild them from, so the rebuild would change more than the erasure: ${differ.slice(0, 3).map((d) => d.message).join('; ')}${differ.length > 3 ? `; and ${differ.length - 3} more` : ''}. Run stedi forget with the key (${SUBJECT_KEY_ENV}, or the target's secret) and --vars of the last build; nothing was erased`);
      }
      // 2. devices only erased people claim, then their lines in every identity source
      const claims: Claims = new Map();
      // the claims are made by the sources with both a person and a device column (the customer records)
      const claiming = withFiles.filter((x) => x.columns.some((c) => c.identity === 'person') && x.columns.some((c) => c.identity === 'device'));
      for (const src of claiming) for (const f of src.files) addClaims(claims, (await read(f)).buf, src.columns, key.key, allPersons, src.maxLineBytes);
      const devices = soleDevices(claims, key.key);
      const list: ErasureList = { key_fingerprint: key.fingerprint, persons: [...allPersons].sort(), devices: [...new Set([...(earlier?.devices ?? []), ...devices.hashes])].sort() };
      const hits: FileHit[] = [];
      const matched = new Set<string>();
      const values = new Set<string>([...identities, ...persons, ...devices.serials]);
      for (const src of withFiles.filter((x) => x.identity)) {
        const m = new ErasureMatcher({ key: key.key.toString('hex'), persons: list.persons, devices: list.devices, roles: identityRolesOf(src.columns) });
        for (const f of src.files) {
          const { buf, sha } = await read(f);
          const scan = scanFile(buf, src.columns, m, src.maxLineBytes);
          if (scan.remove.length) hits.push({ source: src, file: f, scan, from: sha, to: createHash('sha256').update(withoutLines(buf, scan.remove)).digest('hex') });
          for (const v of scan.values) values.add(v);
        }
        for (const h of m.matchedPersons) matched.add(h);
      }
      // the landing zone as the published tables were built from it (hashes from the scan above; other sources read here)
      if (built) {
        const changes: string[] = [];
        const pending = pendingRewrites(entries);
        // every source: a change anywhere would be published by the rebuild along with the erasure
        for (const src of withFiles) changes.push(...await landingChanges(src, await access.recordedFiles(src.node), pending, shaOf));
        if (changes.length) throw new UserError(`stedi forget needs the landing zone as the published tables were built from it, so that the rebuild removes exactly what it erases: ${changes.slice(0, 5).join('; ')}${changes.length > 5 ? `; and ${changes.length - 5} more` : ''}. Run stedi build first (or restore the files), then stedi forget; nothing was erased`);
      }
      const searched = [...identities, ...persons, ...devices.serials, ...hitSpellings(hits)];
      if (built) before = await rowsHolding(adapter, access, searched);
      return { devices, hits, values, searched, matched, storedBefore: built ? await access.storedVersions() : [] };
    } finally {
      await adapter.close();
    }
  })();
  const { devices, hits, values, searched, matched, storedBefore } = scanned;

  const landingCounts = hits.map((h) => ({ source: h.source.name, file: shownPath(h.file.name), accepted: h.scan.remove.filter((r) => r.kind === 'accepted').length, rejected: h.scan.remove.filter((r) => r.kind === 'rejected').length }));
  const found = hits.length > 0 || [...before.values()].some((b) => b.holding > 0);
  reporter.info(`stedi forget on ${s.target.name}: ${identities.length} ${identities.length === 1 ? 'identity' : 'identities'}, ${devices.hashes.length} device${devices.hashes.length === 1 ? '' : 's'} only they claimed`);
  for (const c of landingCounts) reporter.info(`  landing ${c.source} ${c.file}: ${c.accepted} record${c.accepted === 1 ? '' : 's'}${c.rejected ? ` + ${c.rejected} quarantined line${c.rejected === 1 ? '' : 's'}` : ''}`);
  for (const [rel, b] of before) if (b.holding) reporter.info(`  table ${rel}: ${b.holding} row${b.holding === 1 ? '' : 's'}`);
  if (!found) reporter.info('  no record of them was found in the landing files or the published tables');
  // a typo among many must not pass unnoticed: each identity no landing line matched, by where it was given (never its value)
  const hashOf = new Map(identities.map((c, i) => [c, persons[i]!]));
  const unmatched = [...origins].filter(([c]) => !matched.has(hashOf.get(c)!)).map(([, origin]) => origin);
  if (found && unmatched.length) {
    reporter.warn(`${unmatched.length} of ${identities.length} identities matched no landing record (check the spelling; case, surrounding white space and Unicode composition do not matter), given as: ${unmatched.join(', ')}`);
  }
  if (opts.dryRun) {
    reporter.info('DRY RUN: nothing was changed; without --dry-run their hashes also join the erasure list, so a file delivered later cannot bring them back');
    return 0;
  }

  // 4. the erasure list first; with the rewrites it will make, so that a forget stopped half-way is recognised and completed
  const id = randomUUID();
  await access.appendLog({ kind: 'request', id, at: new Date().toISOString(), key_fingerprint: key.fingerprint, persons, devices: devices.hashes, rewrites: hits.map((h) => ({ from: h.from, to: h.to })) });

  // 5. the landing files, each replaced at once, only if it is still what was scanned (read checks the hash; the store checks its token)
  for (const h of hits) await access.replaceLanding(h.file, withoutLines((await read(h.file)).buf, h.scan.remove));

  // 6. every table rebuilt through write-audit-publish, older versions expired; the shrink is what was asked for
  reporter.info('Rebuilding every table without them (stedi build, older versions expired):');
  // the session already entered the project folder: the build runs there (a relative --project-dir would be resolved twice)
  const code = await runCommand('build', { ...(opts as RunCommandOptions), projectDir: undefined, select: undefined, exclude: undefined, dryRun: false, allowShrink: true, expireVersions: true, reuse: false } as RunCommandOptions, reporter);
  if (code !== 0) {
    reporter.error(`the build after the erasure failed (exit ${code}): their landing lines are removed and the erasure list keeps them out, but some tables may still hold them; fix the failure and run stedi forget again`);
    return code;
  }

  // 7. checks
  const checker = await adapterFor(s.target, { project });
  const checked = await (async () => {
    await checker.open('write');
    try {
      const a = checker.erasure();
      return { after: await rowsHolding(checker, a, searched), older: await a.olderVersions(), stored: await a.storedVersions(), outside: await a.outOfReach(sources.map((x) => x.node.location)) };
    } finally {
      await checker.close();
    }
  })();
  const left = [...checked.after].filter(([, a]) => a.holding > 0);
  if (left.length) {
    reporter.error(`forget incomplete: ${left.map(([rel, a]) => `${rel} still holds ${a.holding} row${a.holding === 1 ? '' : 's'} of them`).join('; ')}; nothing was recorded as done (run stedi forget again after fixing the cause)`);
    return 1;
  }
  if (checked.older > 0) {
    reporter.error(`forget incomplete: ${checked.older} older table version${checked.older === 1 ? ' is' : 's are'} still kept and may hold them; run stedi forget again`);
    return 1;
  }
  const identifying = [...values].filter((v) => v.length >= 6);
  const targetFiles = filesHolding(s.targetPath, identifying);
  for (const f of targetFiles) fs.rmSync(f, { force: true });

  // 8. the receipt
  const storedAfter = new Set(checked.stored);
  const removed: RemovedCounts = {
    landing_files: landingCounts,
    tables: [...new Set([...before.keys(), ...checked.after.keys()])].sort().map((rel) => ({ relation: rel, before: before.get(rel)?.rows ?? 0, after: checked.after.get(rel)?.rows ?? 0 })),
    versions_expired: storedBefore.filter((v) => !storedAfter.has(v)).length,
    target_files_removed: targetFiles.length,
  };
  const completes = pendingRequests(entries);
  await access.appendLog({ kind: 'receipt', id, at: new Date().toISOString(), key_fingerprint: key.fingerprint, persons, devices: devices.hashes, removed, ...(found ? {} : { unknown: identities.length }), ...(completes.length ? { completes } : {}) });
  reporter.info('');
  reporter.info(`Erased: ${landingCounts.reduce((n, c) => n + c.accepted + c.rejected, 0)} landing lines in ${landingCounts.length} file${landingCounts.length === 1 ? '' : 's'}; ${removed.tables.filter((t) => t.before !== t.after).map((t) => `${t.relation} ${t.before} -> ${t.after}`).join(', ') || 'no table changed'}; ${removed.versions_expired} older version${removed.versions_expired === 1 ? '' : 's'} expired; ${targetFiles.length} file${targetFiles.length === 1 ? '' : 's'} under ${s.targetPath}/ removed.`);
  reporter.info(`Receipt ${id} appended to the erasure log ${access.logLocation}.`);
  reporter.info('What stedi cannot erase itself on this target:');
  for (const o of checked.outside) reporter.info(`  - ${o}`);
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

/** How a source's landing files differ from what its published ingestion recorded, besides the rewrites of an unfinished forget (file names masked). */
async function landingChanges(src: Source, recorded: RecordedFile[] | undefined, pending: Set<string>, sha: (f: ForgetFile) => Promise<string>): Promise<string[]> {
  if (!recorded) return src.files.length ? [`${src.name}: its landing files were never ingested`] : [];
  const out: string[] = [];
  const byName = new Map(recorded.map((f) => [f.name, f]));
  for (const f of src.files) {
    const r = byName.get(f.name);
    if (!r || r.removed) {
      out.push(`${src.name}: ${shownPath(f.name)} is new since the last build`);
      continue;
    }
    const now = await sha(f);
    if (r.sha256 !== now && !pending.has(`${r.sha256}>${now}`)) out.push(`${src.name}: ${shownPath(f.name)} changed since the last build`);
  }
  const listed = new Set(src.files.map((f) => f.name));
  for (const r of byName.values()) {
    if (listed.has(r.name)) continue;
    if (!r.removed) out.push(`${src.name}: ${shownPath(r.name)} was removed since the last build`);
    // its rows are kept (on_removed_file: keep) but the file is gone: stedi cannot rewrite it
    else if (r.rows > 0) out.push(`${src.name}: ${shownPath(r.name)} is no longer in the landing folder but its rows are kept (on_removed_file: keep); put the file back or set on_removed_file: drop`);
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
