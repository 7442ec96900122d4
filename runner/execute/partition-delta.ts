/**
 * Partition-local audits: `same_customer_pairs` run only on the (customer, hour) partitions whose
 * inputs changed since it last passed, when that proves what the whole test would.
 *
 * The test is not row-wise (a missing row fails it; runner/execute/delta-test.ts cannot take it),
 * but its verdict is local: with k a customer's subject_key and t a millisecond, every failing
 * row it returns is about one (k, t) and is decided by the rows of that partition alone —
 *   - the model's rows with subject_key k at t (a model row whose key is no customer's counts for
 *     its own key: `unknown_keys`);
 *   - the Step Trainer rows at t of the serials k owns (a serial claimed by exactly one customer:
 *     `device_owners`); the phone rows at t of k's emails (`phone_readings`);
 *   - the customer rows, through k's own rows and the other claimants of k's serials.
 * (Customers are numbered by dense_rank over all of them, but a number only stands for a key: the
 * failures are named by key.) So, with D a set of partitions holding every partition whose inputs
 * differ between the versions the test passed on and the versions it reads now, the failures of
 * the whole test = its failures on D (each other partition reads what it read when it returned
 * nothing). Running the test on inputs restricted to D gives exactly those when every partition
 * of D gets all its rows and a partition outside D gets no model row and no Step Trainer row: it
 * may get phone rows (an email held by a customer of D and one outside), but phone rows alone
 * fail nothing — an expected count needs a device reading too, and every other failure a model
 * row. This file builds that restriction:
 *   1. Δ of each input: the rows that differ between the recorded version and now, as a multiset
 *      (rows grouped on the columns the test reads, the count from each side compared), computed
 *      over the files that differ (parts kept by both versions cancel without being read; a file
 *      listed twice counts twice).
 *   2. Each Δ row touches (key, hour) pairs: a model row its key; a Step Trainer row every customer
 *      claiming its serial now, a phone row every customer holding its email now (one who did then
 *      and not now has a changed customer row). A changed customer row touches its key (its phone
 *      attribution, its serials, whether it is a customer at all) and every customer claiming its
 *      serial now (who owns the serial changes with it), at every hour.
 *   3. D = every partition of a dirty hour (an hour touched by HOUR_KEYS keys or more, or by a row
 *      of no key: a NULL key is its own partition) ∪ every partition of a dirty key (the other
 *      touches, and the customer rows' keys).
 *   4. The model rows are restricted to D by key or hour; the Step Trainer rows to the serials the
 *      dirty keys claim (a serial's only owner can be the one claiming it) or to the dirty hours;
 *      the phone rows to the dirty keys' emails or the dirty hours; the customers are read whole.
 *      A dirty key that no customer had in the version the test passed on is looked for only in
 *      the model files added since: that version of the model held no row of it (a model row
 *      whose key is no customer's fails `unknown_keys`, and the test passed), so no file kept from
 *      it does either (the +1% case: customers who became curated, without a scan of the model).
 * Whether an hour is dirtied whole or through its keys is only a matter of cost (HOUR_KEYS);
 * either way every touched partition is in D. The hours are computed from the times as numbers:
 * times of another type (text, TIMESTAMP) make `prepare` fail at binding, and the gate then runs
 * the test whole (runner/execute/run.ts), never on a restriction it could not build.
 *
 * Trusted, not parsed: proving this locality from arbitrary SQL is beyond the row-wise prover, so
 * it is pinned to the test's exact compiled form — its SQL with the four relations replaced by
 * placeholders must hash to PINNED_SHA256. A test edited in any way (or a project's own macro of
 * the same name) runs whole. Changing the shipped macro means re-checking the argument above and
 * then the pin (tests/unit/execute/partition-delta.test.ts shows the new hash and checks the
 * restricted run against the whole test on random histories).
 */
import { createHash } from 'node:crypto';
import type { Queryable, RecordedTest, VersionFiles } from '../adapters/types.js';
import type { Manifest, ManifestNode, TestNode } from '../manifest/types.js';
import type { Provable } from './reuse.js';

export const PINNED_MACRO = 'same_customer_pairs';
export const PINNED_SHA256 = 'a5da204043e4bf7a7c6e127b9e2bad56b01a437e089da0510259bd420ab0039d';

/** An hour touched by at least this many keys is audited whole rather than key by key (cost only). */
export const HOUR_KEYS = 8;

type Role = 'model' | 'step_trainer' | 'accelerometer' | 'customers';
const ROLES: Role[] = ['model', 'step_trainer', 'accelerometer', 'customers'];

/** The columns of each input the test reads (the diff is on them). */
const COLUMNS: Record<Role, string[]> = {
  model: ['subject_key', 'sensor_reading_time', 'distance_from_object', 'x', 'y', 'z'],
  step_trainer: ['sensor_reading_time', 'serial_number', 'distance_from_object'],
  accelerometer: ['user_email', 'reading_time', 'x', 'y', 'z'],
  customers: ['subject_key', 'email', 'serial_number'],
};

export interface PinnedForm {
  /** The compiled SQL with `{{ role }}` in place of each input relation. */
  template: string;
  nodes: Record<Role, ManifestNode & { relation: { rendered: string } }>;
}

const REF = /^\s*ref\(\s*(?:'([^']+)'|"([^"]+)")\s*\)\s*$/;

/** The test's inputs by role and its SQL as a template, when it is the pinned form; otherwise why not. */
export function pinnedForm(manifest: Manifest, t: TestNode): Provable<PinnedForm> {
  if (t.test_metadata.name !== PINNED_MACRO) return { why: 'it is not a partition-local test' };
  const byName = (arg: unknown) => {
    const m = typeof arg === 'string' ? REF.exec(arg) : null;
    const name = m ? (m[1] ?? m[2]) : undefined;
    const found = t.depends_on.map((id) => manifest.nodes[id]).filter((n) => n && n.name === name && 'relation' in n);
    return found.length === 1 ? found[0] : undefined;
  };
  const nodes = {
    model: manifest.nodes[t.attached_node],
    step_trainer: byName(t.test_metadata.kwargs.step_trainer),
    accelerometer: byName(t.test_metadata.kwargs.accelerometer),
    customers: byName(t.test_metadata.kwargs.customers),
  };
  if (ROLES.some((r) => !nodes[r] || !('relation' in nodes[r]!))) return { why: 'its inputs are not four relations named by ref()' };
  const rendered = ROLES.map((r) => (nodes[r] as { relation: { rendered: string } }).relation.rendered);
  if (new Set(rendered).size !== ROLES.length || new Set(t.depends_on).size !== ROLES.length) return { why: 'its inputs are not four distinct relations' };
  let template = t.compiled_code;
  ROLES.forEach((r, i) => {
    template = template.split(rendered[i]!).join(`{{ ${r} }}`);
  });
  if (createHash('sha256').update(template).digest('hex') !== PINNED_SHA256) return { why: 'its SQL is not the form whose locality is proven' };
  return { ok: { template, nodes: nodes as PinnedForm['nodes'] } };
}

/** The files of `a` not in `b`, as multisets (a version listing a file twice reads it twice). */
function minus(a: string[], b: string[]): string[] {
  const left = new Map<string, number>();
  for (const f of b) left.set(f, (left.get(f) ?? 0) + 1);
  return a.filter((f) => {
    const n = left.get(f) ?? 0;
    if (n > 0) left.set(f, n - 1);
    return n === 0;
  });
}

const P = '__stedi_pd_';
/** A bucket of epoch milliseconds (any function of the time is sound; hours keep D small). NULL, NaN and out-of-range values share one bucket. */
const hourOf = (col: string) => `coalesce(TRY_CAST(floor(${col} / 3600000.0) AS bigint), -9223372036854775808)`;
const NO_HOUR = -9223372036854775808n;
/** Above this many separate ranges of dirty hours, the rows are matched by their hour instead (the same rows, read whole). */
const MAX_RANGES = 256;

/**
 * SQL true for the rows of the dirty hours (a superset is sound as long as it takes every row of
 * each millisecond it takes — every input is restricted by the same times — so each hour is
 * widened by an hour on both sides: no rounding of hourOf can put a row outside). Consecutive
 * hours are merged into ranges; the rows of no hour (NULL, NaN, out of range) are matched as such.
 */
export function hoursPredicate(col: string, hours: bigint[]): string {
  const terms: string[] = [];
  if (hours.includes(NO_HOUR)) terms.push(`${hourOf(col)} = ${NO_HOUR}`);
  const ranges: [bigint, bigint][] = [];
  for (const h of hours.filter((x) => x !== NO_HOUR).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    const last = ranges[ranges.length - 1];
    if (last && h <= last[1] + 1n) last[1] = h > last[1] ? h : last[1];
    else ranges.push([h, h]);
  }
  if (ranges.length > MAX_RANGES) terms.push(`${hourOf(col)} IN (SELECT h FROM ${P}hours)`);
  else for (const [a, b] of ranges) terms.push(`(${col} >= ${(a - 1n) * 3600000n} AND ${col} < ${(b + 2n) * 3600000n})`);
  return terms.length ? terms.map((t) => `(${t})`).join(' OR ') : 'false';
}

export interface PartitionAudit {
  /** The test's SQL on the restricted inputs. */
  sql: string;
  /** Creates the restriction on the gate's connection; answers what to say about it. */
  prepare(q: Queryable, signal?: AbortSignal): Promise<string>;
  cleanup(q: Queryable): Promise<void>;
}

/**
 * The restricted run of a pinned test, when the versions it passed on (recorded with its result)
 * can all be read, or why not (then it runs whole). `now`: the content token of every input the
 * gate reads, except the model under audit (the candidate, read through `versions`).
 */
export async function partitionAudit(form: PinnedForm, rec: RecordedTest, now: Map<string, string>, versions: VersionFiles): Promise<Provable<PartitionAudit>> {
  if (rec.status !== 'pass' || rec.failures !== 0 || !rec.inputs) return { why: 'it has no recorded pass with its inputs' };
  const sides = {} as Record<Role, { added: string[]; removed: string[]; was: string[]; relation: string }>;
  for (const r of ROLES) {
    const n = form.nodes[r];
    const base = rec.inputs[n.unique_id];
    if (base === undefined) return { why: `its recorded pass does not name the version of ${n.name} it read` };
    const cur = await versions.files(n.relation.rendered);
    if (!cur) return { why: `the version of ${n.name} it reads now cannot be named` };
    if (r !== 'model' && now.get(n.unique_id) !== cur.token) return { why: `${n.name} is not what the gate reads` };
    const was = cur.token === base ? cur : await versions.files(n.relation.rendered, base);
    if (!was) return { why: `the version of ${n.name} it passed on is no longer kept` };
    sides[r] = { added: minus(cur.files, was.files), removed: minus(was.files, cur.files), was: was.files, relation: n.relation.rendered };
  }
  const read = (r: Role, files: string[]) => versions.read(files, COLUMNS[r], sides[r].relation);
  const diff = (r: Role) => {
    const a = read(r, sides[r].added);
    const b = read(r, sides[r].removed);
    // the rows whose count differs between the two sides (a multiset difference both ways, each side read once; NULLs group together)
    const cols = COLUMNS[r].map((c) => `"${c}"`).join(', ');
    return `CREATE OR REPLACE TEMP TABLE ${P}d_${r} AS\nSELECT ${cols} FROM (SELECT *, 1 AS ${P}sign FROM (${a}) UNION ALL SELECT *, -1 FROM (${b})) GROUP BY ${cols} HAVING sum(${P}sign) <> 0`;
  };
  const cust = form.nodes.customers.relation.rendered;
  const setup = [
    ...ROLES.map(diff),
    // who claims a serial or holds an email now: one who did then and not now has a changed row
    `CREATE OR REPLACE TEMP TABLE ${P}touch AS
SELECT subject_key AS k, ${hourOf('sensor_reading_time')} AS h FROM ${P}d_model
UNION ALL SELECT c.subject_key, ${hourOf('d.sensor_reading_time')} FROM ${P}d_step_trainer d JOIN ${cust} c ON c.serial_number = d.serial_number
UNION ALL SELECT c.subject_key, ${hourOf('d.reading_time')} FROM ${P}d_accelerometer d JOIN ${cust} c ON c.email = d.user_email`,
    `CREATE OR REPLACE TEMP TABLE ${P}hours AS SELECT h FROM ${P}touch GROUP BY h HAVING count(DISTINCT k) >= ${HOUR_KEYS} OR count(*) > count(k)`,
    `CREATE OR REPLACE TEMP TABLE ${P}keys AS
SELECT k FROM ${P}touch WHERE k IS NOT NULL AND h NOT IN (SELECT h FROM ${P}hours)
UNION SELECT subject_key FROM ${P}d_customers WHERE subject_key IS NOT NULL
UNION SELECT c.subject_key FROM ${cust} c JOIN ${P}d_customers d ON c.serial_number = d.serial_number WHERE c.subject_key IS NOT NULL`,
    // the dirty keys no customer had in the version the test passed on: that version of the model
    // had no row of theirs (its unknown_keys would have failed), so neither has a model file kept
    // from it — their model rows now are all in the files added since (see the header, step 4)
    `CREATE OR REPLACE TEMP TABLE ${P}newkeys AS
SELECT k FROM ${P}keys WHERE k NOT IN (SELECT subject_key FROM (${read('customers', sides.customers.was)}) WHERE subject_key IS NOT NULL)`,
  ];
  const names: Record<Role, string> = { model: `${P}model`, step_trainer: `${P}step_trainer`, accelerometer: `${P}accelerometer`, customers: cust };
  let sql = form.template;
  for (const r of ROLES) sql = sql.split(`{{ ${r} }}`).join(names[r]);
  return {
    ok: {
      sql,
      async prepare(q, signal) {
        // a file that cannot be read would abort the gate's transaction mid-way: try them first,
        // elsewhere, and stop before any statement here when one fails (the test then runs whole)
        if (!(await versions.readable(ROLES.map((r) => ({ files: [...sides[r].added, ...sides[r].removed, ...(r === 'customers' ? sides[r].was : [])], columns: COLUMNS[r] }))))) throw new Error('a file of a version it diffs cannot be read');
        for (const s of setup) await q.query(s, signal);
        const hours = (await q.query(`SELECT CAST(h AS VARCHAR) AS h FROM ${P}hours ORDER BY h`, signal)).rows.map((x) => BigInt(String(x.h)));
        const count = async (sql: string) => Number((await q.query(`SELECT count(*) AS n FROM ${sql}`, signal)).rows[0]?.n ?? 0);
        const keys = await count(`${P}keys`);
        const fresh = keys ? await count(`${P}newkeys`) : 0;
        const views: [Role, string, string, string][] = [
          ['model', 'sensor_reading_time', 'subject_key', `SELECT k FROM ${P}keys${fresh ? ` WHERE k NOT IN (SELECT k FROM ${P}newkeys)` : ''}`],
          ['step_trainer', 'sensor_reading_time', 'serial_number', `SELECT serial_number FROM ${cust} WHERE subject_key IN (SELECT k FROM ${P}keys)`],
          ['accelerometer', 'reading_time', 'user_email', `SELECT email FROM ${cust} WHERE subject_key IN (SELECT k FROM ${P}keys)`],
        ];
        for (const [role, time, key, keyed] of views) {
          const inHours = hoursPredicate(time, hours);
          const cols = COLUMNS[role].map((c) => `"${c}"`).join(', ');
          // disjoint halves, so the time ranges reach the Parquet reader (row groups and parts
          // outside them are skipped); the keyed half only when a customer is dirty, and the model
          // rows of keys new since the pass read from the files added since, not the whole model
          const halves = [`SELECT ${cols} FROM ${sides[role].relation} WHERE ${inHours}`];
          if (keys && (role !== 'model' || fresh < keys)) halves.push(`SELECT ${cols} FROM ${sides[role].relation} WHERE ${key} IN (${keyed}) AND (${inHours}) IS NOT TRUE`);
          if (role === 'model' && fresh) halves.push(`SELECT ${cols} FROM (${read('model', sides.model.added)}) WHERE ${key} IN (SELECT k FROM ${P}newkeys) AND (${inHours}) IS NOT TRUE`);
          await q.query(`CREATE OR REPLACE TEMP VIEW ${P}${role} AS ${halves.join('\nUNION ALL ')}`, signal);
        }
        const n = hours.length;
        const newNote = fresh ? `, ${fresh === keys ? 'all' : fresh} new since then (their model rows read from the files added since)` : '';
        return `(on the ${n} hour${n === 1 ? '' : 's'} and ${keys} customer${keys === 1 ? '' : 's'} whose inputs changed since it passed${newNote}; every other partition reads what it read then)`;
      },
      async cleanup(q) {
        for (const v of ['model', 'step_trainer', 'accelerometer']) await q.query(`DROP VIEW IF EXISTS ${P}${v}`).catch(() => undefined);
        for (const t of ['newkeys', 'keys', 'hours', 'touch', ...ROLES.map((r) => `d_${r}`)]) await q.query(`DROP TABLE IF EXISTS ${P}${t}`).catch(() => undefined);
      },
    },
  };
}
