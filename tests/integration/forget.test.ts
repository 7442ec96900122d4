/**
 * `stedi forget` on the local target, end to end on a real DuckDB, on the STEDI project with its
 * bundled seeds and with the public STEDI landing data (../shared/data/udacity-stedi, copied to a
 * temp folder at test time):
 *   - every table equals, row for row, a full build on landing files from which the test removed
 *     the person's lines by hand (its own reading of the JSON, not stedi's);
 *   - every byte stedi stores (lake folders and versions, Parquet decoded, the catalog's tables,
 *     landing files, target/, the command's output) holds none of their email, name, phone,
 *     birthday or serial number;
 *   - twice is harmless, someone unknown is reported, a re-delivered file does not bring them
 *     back, --dry-run changes nothing, and a forget killed at any point leaves each table at its
 *     old or new state and completes when run again.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { copyProjectInto, explain, REPO, start, stedi, withCatalog } from '../helpers/stedi.js';

const REAL_DATA = path.resolve(REPO, '../shared/data/udacity-stedi');
const KEY = 'forget-test-key-0123456789abcdef';
const ENV = { STEDI_SUBJECT_KEY: KEY };
const ENTITIES = ['customer', 'accelerometer', 'step_trainer'] as const;

const made: string[] = [];
afterAll(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

/** A copy of the STEDI project; its landing zone from `landing` (default: the bundled seeds) at seeds/landing. */
function project(landing?: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-forget-'));
  made.push(dir);
  copyProjectInto(dir);
  if (landing) {
    fs.rmSync(path.join(dir, 'seeds', 'landing'), { recursive: true, force: true });
    fs.cpSync(landing, path.join(dir, 'seeds', 'landing'), { recursive: true });
  }
  // the copy is ours to rewrite (the shared data is read-only)
  for (const e of ENTITIES) for (const f of landingFiles(dir, e)) fs.chmodSync(f, 0o644);
  return dir;
}

function landingFiles(dir: string, entity: string): string[] {
  const d = path.join(dir, 'seeds', 'landing', entity, 'landing');
  return fs.readdirSync(d).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(d, f));
}

async function build(dir: string): Promise<void> {
  const r = await stedi(dir, ['build', '--quiet'], { env: ENV, timeoutMs: 300_000 });
  expect(r.code, explain(r)).toBe(0);
}

interface Person {
  email: string;
  name: string;
  /** Searched only when theirs alone: a value every customer shares (the public data gives everyone one phone number) identifies no one. */
  phone?: string;
  birthday: string;
  serials: string[];
}

const parse = (line: string): Record<string, unknown> | undefined => {
  try {
    const v = JSON.parse(line.replace(/^\ufeff/, '').replace(/\r$/, '').replace(/,\s*$/, '')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};
const canon = (v: unknown) => (typeof v === 'string' ? v.trim().toLowerCase() : undefined);

function lines(file: string): string[] {
  return fs.readFileSync(file, 'utf8').split('\n');
}

/**
 * A consenting customer with phone readings and a device, whose email, name, phone, birthday and
 * serial each occur in the landing files only on their own lines: what a search for them must
 * then never find anywhere.
 */
function pickPerson(dir: string): Person {
  const all = ENTITIES.flatMap((e) => landingFiles(dir, e).flatMap(lines));
  const records = ENTITIES.flatMap((e) => landingFiles(dir, e).flatMap((f) => lines(f).map(parse).filter((r): r is Record<string, unknown> => r !== undefined).map((r) => ({ e, r }))));
  const users = new Set(records.filter((x) => x.e === 'accelerometer').map((x) => canon(x.r.user)));
  const byEmail = new Map<string, Record<string, unknown>[]>();
  for (const { e, r } of records) if (e === 'customer' && canon(r.email)) byEmail.set(canon(r.email)!, [...(byEmail.get(canon(r.email)!) ?? []), r]);
  const count = (needle: string) => all.filter((l) => l.toLowerCase().includes(needle.toLowerCase())).length;
  for (const [email, recs] of [...byEmail].sort(([a], [b]) => a.localeCompare(b))) {
    const r = recs[recs.length - 1]!;
    if (recs.length !== 1 || !users.has(email) || typeof r.shareWithResearchAsOfDate !== 'number') continue;
    const serial = String(r.serialNumber);
    const readings = records.filter((x) => x.e === 'step_trainer' && x.r.serialNumber === serial).length;
    const own = 1 + records.filter((x) => x.e === 'accelerometer' && canon(x.r.user) === email).length + readings;
    if (!readings || count(email) !== own - readings) continue;
    if (count(serial) !== 1 + readings) continue;
    const name = String(r.customerName);
    const phone = String(r.phone);
    const birthday = String(r.birthDay);
    if (count(name) !== 1 || count(birthday) !== 1) continue;
    return { email: String(r.email), name, ...(count(phone) === 1 ? { phone } : {}), birthday, serials: [serial] };
  }
  throw new Error('no customer with values of their own in this landing data');
}

/** The landing files without the person's lines, removed by the test's own reading of each line. */
function removeByHand(dir: string, p: Person): void {
  const email = canon(p.email);
  for (const e of ENTITIES) {
    for (const f of landingFiles(dir, e)) {
      const kept = fs.readFileSync(f, 'utf8').split(/(?<=\n)/).filter((l) => {
        const r = parse(l);
        if (!r) return !l.toLowerCase().includes(email!);
        if (e === 'customer') return canon(r.email) !== email;
        if (e === 'accelerometer') return canon(r.user) !== email;
        return !p.serials.includes(String(r.serialNumber));
      });
      fs.writeFileSync(f, kept.join(''));
    }
  }
}

/** Every published relation, rows sorted by their JSON. */
async function tables(dir: string): Promise<Record<string, string[]>> {
  return withCatalog(dir, async (q) => {
    const rels = await q(`SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal AND schema_name NOT IN ('_stedi', 'main', 'information_schema', 'pg_catalog') ORDER BY 1, 2`);
    const out: Record<string, string[]> = {};
    for (const r of rels) {
      const rel = `"${String(r.schema_name)}"."${String(r.view_name)}"`;
      out[rel] = (await q(`SELECT to_json(t)::VARCHAR AS j FROM ${rel} t`)).map((x) => String(x.j)).sort();
    }
    return out;
  });
}

/** Where any of `needles` occurs in what stedi stores under `dir` (Parquet decoded, the catalog's tables read), or in `texts`. */
async function traces(dir: string, needles: string[], texts: string[] = []): Promise<string[]> {
  const lower = needles.map((n) => n.toLowerCase());
  const hits: string[] = [];
  const look = (where: string, text: string) => {
    const t = text.toLowerCase();
    for (const n of lower) if (t.includes(n)) hits.push(`${where}: ${n.length} chars`);
  };
  texts.forEach((t, i) => look(`output ${i}`, t));
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else files.push(p);
    }
  };
  for (const sub of ['lake', 'target', path.join('seeds', 'landing'), '.stedi']) if (fs.existsSync(path.join(dir, sub))) walk(path.join(dir, sub));
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    for (const f of files) {
      look(f, fs.readFileSync(f).toString('latin1'));
      look(f, fs.readFileSync(f, 'utf8'));
      if (f.endsWith('.parquet')) {
        for (const r of (await c.runAndReadAll(`SELECT to_json(t)::VARCHAR FROM read_parquet('${f}') t`)).getRows()) look(f, String(r[0]));
      }
    }
  } finally {
    c.closeSync();
    db.closeSync();
  }
  // the catalog's own tables (DuckDB compresses what it stores)
  await withCatalog(dir, async (q) => {
    for (const t of await q(`SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT temporary`)) {
      for (const r of await q(`SELECT to_json(t)::VARCHAR AS j FROM "${String(t.schema_name)}"."${String(t.table_name)}" t`)) look(`catalog ${String(t.schema_name)}.${String(t.table_name)}`, String(r.j));
    }
  });
  return hits;
}

const needlesOf = (p: Person) => [p.email.trim(), p.name, ...(p.phone ? [p.phone] : []), p.birthday, ...p.serials];

async function forgetAndCompare(landing: string | undefined): Promise<{ dir: string; person: Person; output: string; original: string }> {
  const dir = project(landing);
  const original = project(landing);
  const person = pickPerson(dir);
  await build(dir);
  expect(await traces(dir, needlesOf(person))).not.toEqual([]); // the search finds them before
  const expected = project(landing);
  removeByHand(expected, person);
  await build(expected);

  const r = await stedi(dir, ['forget', '--email', `  ${person.email.toUpperCase()} `], { env: ENV, timeoutMs: 300_000 });
  expect(r.code, explain(r)).toBe(0);
  expect(await tables(dir)).toEqual(await tables(expected));
  // the landing files hold exactly the lines the test kept
  for (const e of ENTITIES) for (const f of landingFiles(dir, e)) expect(fs.readFileSync(f, 'utf8'), f).toBe(fs.readFileSync(path.join(expected, path.relative(dir, f)), 'utf8'));
  expect(await traces(dir, needlesOf(person), [r.stdout, r.stderr])).toEqual([]);
  const log = fs.readFileSync(path.join(dir, 'lake', '_stedi_erasures.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; removed?: { landing_files: unknown[]; tables: { relation: string; before: number; after: number }[] } });
  expect(log.map((l) => l.kind)).toEqual(['request', 'receipt']);
  expect(log[1]!.removed!.landing_files.length).toBeGreaterThan(0);
  expect(log[1]!.removed!.tables.find((t) => t.relation === '"curated"."machine_learning_curated"')!.before).toBeGreaterThan(log[1]!.removed!.tables.find((t) => t.relation === '"curated"."machine_learning_curated"')!.after);
  return { dir, person, output: r.stdout + r.stderr, original };
}

describe('stedi forget on the bundled seeds', () => {
  it('erases one person from every zone: tables equal a build without their lines, no trace left; twice, unknown, re-delivered', async () => {
    const { dir, person, original } = await forgetAndCompare(undefined);
    const after = await tables(dir);

    // twice: nothing more to remove, said so; tables unchanged
    const again = await stedi(dir, ['forget', '--email', person.email], { env: ENV, timeoutMs: 120_000 });
    expect(again.code, explain(again)).toBe(0);
    expect(again.stdout).toMatch(/no record of them was found/);
    expect(await tables(dir)).toEqual(after);

    // someone unknown (and --project-dir given relative to where stedi is started)
    const unknown = await stedi(path.dirname(dir), ['forget', '--email', 'nobody.here@example.org', '--project-dir', path.basename(dir)], { env: ENV, timeoutMs: 120_000 });
    expect(unknown.code, explain(unknown)).toBe(0);
    expect(unknown.stdout).toMatch(/no record of them was found/);
    expect(unknown.stdout + unknown.stderr).not.toMatch(/nobody\.here/);

    // the app re-sends old backups: their records are left out as erased, and counted
    for (const e of ENTITIES) for (const f of landingFiles(original, e)) fs.copyFileSync(f, path.join(path.dirname(path.join(dir, path.relative(original, f))), `zz-redelivered-${path.basename(f)}`));
    const rebuilt = await stedi(dir, ['build'], { env: ENV, timeoutMs: 120_000 });
    expect(rebuilt.code, explain(rebuilt)).toBe(0);
    expect(rebuilt.stdout).toMatch(/landing\.customer +\d+ lines read = \d+ accepted .*\+ 1 erased/);
    expect(rebuilt.stdout).toMatch(/landing\.step_trainer +\d+ lines read = \d+ accepted .*\+ [1-9]\d* erased/);
    expect(rebuilt.stderr).toMatch(/zz-redelivered-customer-1700100000000\.json: 1 line of erased people left out/);
    // the re-delivered files themselves still hold them (a build reads landing files, it never rewrites them): all else is clean
    expect((await traces(dir, needlesOf(person), [rebuilt.stdout, rebuilt.stderr])).filter((h) => !h.includes('zz-redelivered-'))).toEqual([]);
    // and forget, run again, removes them from those files too
    const third = await stedi(dir, ['forget', '--email', person.email], { env: ENV, timeoutMs: 120_000 });
    expect(third.code, explain(third)).toBe(0);
    expect(await traces(dir, needlesOf(person), [third.stdout, third.stderr])).toEqual([]);
  }, 600_000);

  it('--dry-run counts per file and table and changes nothing', async () => {
    const dir = project();
    await build(dir);
    const person = pickPerson(dir);
    const before = await tables(dir);
    const bytes = ENTITIES.flatMap((e) => landingFiles(dir, e).map((f) => fs.readFileSync(f, 'utf8')));
    const r = await stedi(dir, ['forget', '--email', person.email, '--dry-run'], { env: ENV });
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toMatch(/landing landing\.customer .*: 1 record/);
    expect(r.stdout).toMatch(/table "curated"\."machine_learning_curated": \d+ rows?/);
    expect(r.stdout).toMatch(/DRY RUN: nothing was changed/);
    expect(r.stdout + r.stderr).not.toContain(person.email);
    expect(ENTITIES.flatMap((e) => landingFiles(dir, e).map((f) => fs.readFileSync(f, 'utf8')))).toEqual(bytes);
    expect(fs.existsSync(path.join(dir, 'lake', '_stedi_erasures.jsonl'))).toBe(false);
    expect(await tables(dir)).toEqual(before);
    expect(r.stderr).not.toMatch(/matched no landing record/);

    // among several identities, each one no landing line matched is named by where it was given, never by its value
    const list = path.join(dir, 'requests.txt');
    const typo = person.email.replace('@', 'x@');
    fs.writeFileSync(list, `${person.email.toUpperCase()}\n\n${typo}\n`);
    const some = await stedi(dir, ['forget', '--emails-file', list, '--email', 'nobody.here@example.org', '--email', ` ${person.email} `, '--dry-run'], { env: ENV });
    expect(some.code, explain(some)).toBe(0);
    expect(some.stderr).toContain(`2 of 3 identities matched no landing record`);
    expect(some.stderr).toContain(`given as: --email 1, ${list} line 3`);
    expect(some.stdout + some.stderr).not.toContain(typo);
    expect(some.stdout + some.stderr).not.toContain('nobody.here');
  }, 300_000);

  it('a forget killed at any point leaves each table old or new, and running it again completes it', async () => {
    const base = project();
    const person = pickPerson(base);
    const expected = project();
    removeByHand(expected, person);
    await build(expected);
    const want = await tables(expected);
    let midway = 0;
    // killed while it reads and checks, and at several points of the rebuild (after the request and the rewrites)
    const points: [RegExp | undefined, number][] = [[undefined, 150], [undefined, 700], [/Rebuilding every table/, 0], [/Rebuilding every table/, 400], [/Rebuilding every table/, 900], [/Rebuilding every table/, 1600]];
    for (const [marker, delayMs] of points) {
      const dir = project();
      await build(dir);
      const old = await tables(dir);
      const run = start(dir, ['forget', '--email', person.email], { env: ENV, timeoutMs: 120_000 });
      if (marker) await run.waitFor(marker, 60_000).catch(() => undefined);
      await new Promise((res) => setTimeout(res, delayMs));
      run.child.kill('SIGKILL');
      await run.exited;
      const log = path.join(dir, 'lake', '_stedi_erasures.jsonl');
      if (fs.existsSync(log) && !fs.readFileSync(log, 'utf8').includes('"receipt"')) midway++;
      const now = await tables(dir);
      for (const rel of Object.keys(want)) expect([old[rel], want[rel]], `${rel} after a kill at ${String(marker ?? 'start')} + ${delayMs} ms`).toContainEqual(now[rel]);
      const again = await stedi(dir, ['forget', '--email', person.email], { env: ENV, timeoutMs: 120_000 });
      expect(again.code, explain(again)).toBe(0);
      expect(await tables(dir)).toEqual(want);
      expect(await traces(dir, needlesOf(person))).toEqual([]);
    }
    // some kills came after the request was logged and before the receipt: those runs were completed
    expect(midway).toBeGreaterThan(0);
  }, 900_000);

  it('refuses what it cannot do: no identity, another key, the athena target', async () => {
    const dir = project();
    const none = await stedi(dir, ['forget'], { env: ENV });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/needs at least one identity/);
    const blank = await stedi(dir, ['forget', '--email', '   '], { env: ENV });
    expect(blank.stderr).toMatch(/--email value 1 is empty/);
    // a project whose sources say of no column that it holds a person: nothing could be found, so nothing is done
    const anonymous = project();
    const yml = path.join(anonymous, 'models', 'landing', 'sources.yml');
    fs.writeFileSync(yml, fs.readFileSync(yml, 'utf8').replace(/, identity: person/g, ''));
    const noPerson = await stedi(anonymous, ['forget', '--email', 'nobody@example.org'], { env: ENV });
    expect(noPerson.code, explain(noPerson)).toBe(2);
    expect(noPerson.stderr).toMatch(/no landing source declares a person column/);
    await build(dir);
    const r = await stedi(dir, ['forget', '--email', 'nobody@example.org'], { env: ENV });
    expect(r.code, explain(r)).toBe(0);
    const other = await stedi(dir, ['forget', '--email', 'nobody@example.org'], { env: { STEDI_SUBJECT_KEY: 'another-key-0123456789abcdef' } });
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/made with another pseudonymisation key/);
    // a lake without an erasure log yet, built under one key: forget under another refuses too
    const fresh = project();
    await build(fresh);
    const wrongKey = await stedi(fresh, ['forget', '--email', 'nobody@example.org'], { env: { STEDI_SUBJECT_KEY: 'another-key-0123456789abcdef' } });
    expect(wrongKey.code, explain(wrongKey)).toBe(2);
    expect(wrongKey.stderr).toMatch(/published tables were built from other inputs .*pseudonymisation key \(fingerprint\) of landing\.customer is [0-9a-f]{16} here but [0-9a-f]{16} there/);
    expect(fs.existsSync(path.join(fresh, 'lake', '_stedi_erasures.jsonl'))).toBe(false);
    // other vars than the last build's: the rebuild would change every table, not only the erasure
    const bytes = fs.readFileSync(path.join(fresh, 'seeds', 'landing', 'customer', 'landing', 'customer-1700100000000.json'));
    const otherVars = await stedi(fresh, ['forget', '--email', 'ada.stone@example.com', '--vars', '{consent_policy: any_time}'], { env: ENV });
    expect(otherVars.code, explain(otherVars)).toBe(2);
    expect(otherVars.stderr).toMatch(/var consent_policy is any_time here but as_of_date there/);
    expect(fs.readFileSync(path.join(fresh, 'seeds', 'landing', 'customer', 'landing', 'customer-1700100000000.json'))).toEqual(bytes);
    expect(fs.existsSync(path.join(fresh, 'lake', '_stedi_erasures.jsonl'))).toBe(false);
    // a build under another key stops too: its hashes would let the erased back in
    const b = await stedi(dir, ['build', '--quiet', '--full-refresh'], { env: { STEDI_SUBJECT_KEY: 'another-key-0123456789abcdef' } });
    expect(b.code).not.toBe(0);
    expect(b.stdout + b.stderr).toMatch(/another pseudonymisation key/);
    // a landing zone that changed since the last build: the rebuild would publish more than the erasure
    fs.writeFileSync(path.join(dir, 'seeds', 'landing', 'customer', 'landing', 'customer-1800000000000.json'), '{"email":"new@example.com","lastUpdateDate":1}\n');
    const changed = await stedi(dir, ['forget', '--email', 'nobody@example.org'], { env: ENV });
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(/landing\.customer: customer-1800000000000\.json is new since the last build.*Run stedi build first/);
    // athena without AWS credentials: a clear error before anything is read or written
    const athena = await stedi(dir, ['forget', '--email', 'nobody@example.org', '--target', 'athena'], { env: { ...ENV, AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_PROFILE: 'stedi-test-no-such-profile', AWS_EC2_METADATA_DISABLED: 'true' } });
    expect(athena.code, explain(athena)).toBe(1);
    expect(athena.stderr).not.toMatch(/internal error/);
    expect(athena.stderr).toMatch(/no usable AWS credentials for the athena target/);
  }, 300_000);

  it('on a target never built: the erasure log claims the lake folder as a build would, and later builds go on; a folder of other files is refused first', async () => {
    const dir = project();
    const file = path.join(dir, 'seeds', 'landing', 'customer', 'landing', 'customer-1700100000000.json');
    expect(fs.readFileSync(file, 'utf8')).toContain('Ada.Stone@example.com');
    const r = await stedi(dir, ['forget', '--email', 'ada.stone@example.com'], { env: ENV, timeoutMs: 300_000 });
    expect(r.code, explain(r)).toBe(0);
    expect(fs.existsSync(path.join(dir, 'lake', '_stedi_lake.json'))).toBe(true);
    expect(fs.readFileSync(file, 'utf8')).not.toMatch(/ada\.stone@example\.com/i);
    const again = await stedi(dir, ['build', '--quiet'], { env: ENV, timeoutMs: 300_000 });
    expect(again.code, explain(again)).toBe(0);

    // a lake folder holding files stedi did not make: refused before the log, a landing file or a table is written
    const foreign = project();
    fs.mkdirSync(path.join(foreign, 'lake'));
    fs.writeFileSync(path.join(foreign, 'lake', 'notes.txt'), 'not stedi\n');
    const ffile = path.join(foreign, 'seeds', 'landing', 'customer', 'landing', 'customer-1700100000000.json');
    const bytes = fs.readFileSync(ffile);
    const refused = await stedi(foreign, ['forget', '--email', 'ada.stone@example.com'], { env: ENV });
    expect(refused.code, explain(refused)).toBe(1);
    expect(refused.stderr).toMatch(/already holds files that stedi did not create/);
    expect(fs.readdirSync(path.join(foreign, 'lake'))).toEqual(['notes.txt']);
    expect(fs.readFileSync(ffile)).toEqual(bytes);
  }, 300_000);
});

const hasRealData = fs.existsSync(REAL_DATA);
if (!hasRealData) console.warn(`SKIPPED: the STEDI acceptance data set is not at ${path.relative(REPO, REAL_DATA)}; the real-data forget test does not run.`);
describe.skipIf(!hasRealData)('stedi forget on the public STEDI landing data', () => {
  it('erases one person: every table equals a build without their lines, and no byte stedi stores names them', async () => {
    const { person } = await forgetAndCompare(REAL_DATA);
    expect(person.serials.length).toBe(1);
    // every customer of the public data has the same phone number: not theirs alone, so not searched
    expect(person.phone).toBeUndefined();
  }, 900_000);
});

