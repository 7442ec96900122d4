/**
 * Reuse: a model, seed or data test whose inputs are provably what they were when its published
 * version (or its recorded result) was made is not run again. This is what makes a daily build
 * cost what changed: a build with no new landing file rebuilds nothing and reruns no test.
 *
 * What "provably" means (anything short of it runs the node, as before):
 *   - every relation the node's SQL reads is parsed out of its compiled SQL and is one of the
 *     node's parents (`depends_on`) or a CTE of the query; a relation that is not a node of the
 *     project (an engine catalog table, a file read by a table function, a view the runner does
 *     not version), SQL the parser cannot read, or a volatile function (`now()`, `random()`, …)
 *     makes the node not reusable;
 *   - each parent has a content token: the adapter's name for exactly the data it publishes (on
 *     DuckDB the version folder or the list of immutable Parquet parts). Tokens are never
 *     recomputed from data; a rebuilt parent has a new token even when its rows are the same;
 *   - the key of the node is a hash of its compiled SQL, its whole config, its columns, the
 *     inputs the executor records (target, vars, landing locations, key fingerprints), its
 *     parents' tokens, a seed's file bytes, and the engine and stedi versions;
 *   - a model's published version recorded that key, and every blocking test that gates it has a
 *     recorded pass or warn under its own key (else the model is built, and its audit runs).
 *
 * Incremental models other than microbatch are never reused (their batch reads their own table:
 * running them again is not a no-op, as in dbt); views are not versioned, so nothing that reads
 * a view is reused. Sources always run: their ingestion reads only new files itself. A unit
 * test is reused on a recorded pass under its own key (unitTestKey): it reads only its given rows.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { isObj, nameParts } from '../lineage/ast.js';
import { parseSql } from '../lineage/parser.js';
import type { PublishedRecord } from '../adapters/types.js';
import type { Manifest, ManifestNode, ModelNode, SeedNode, TestNode, UnitTestNode } from '../manifest/types.js';
import { givenPlaceholder } from '../compiler/unit-tests.js';

/**
 * Functions (and bare keywords) whose result is not a function of the tables read: the time, the
 * session, random values, sequences, the environment. Matched, lower case, against every function
 * name and every unquoted one-word identifier of the query, so an unquoted column of one of these
 * names (`user`) makes a node not reusable (fail closed); `"user"` or `a.user` is a column.
 */
const VOLATILE = new Set([
  'now', 'today', 'current_date', 'current_time', 'current_timestamp', 'localtime', 'localtimestamp', 'get_current_time', 'get_current_timestamp',
  'transaction_timestamp', 'statement_timestamp', 'clock_timestamp', 'timeofday', 'current_timezone', 'current_localtimestamp',
  'random', 'rand', 'setseed', 'uuid', 'gen_random_uuid', 'uuidv4', 'uuidv7', 'nextval', 'currval',
  'getenv', 'current_setting', 'current_user', 'current_role', 'session_user', 'user', 'current_catalog', 'current_schema', 'current_schemas', 'current_database', 'current_query', 'txid_current', 'version',
]);
/** String literals DuckDB may read as the current time (`'now'::TIMESTAMP`). */
const VOLATILE_LITERALS = new Set(['now', 'today', 'tomorrow', 'yesterday']);

export type Provable<T> = { ok: T; why?: undefined } | { ok?: undefined; why: string };

interface Scan {
  tables: string[][];
  ctes: Set<string>;
  problem?: string;
}

function scanAst(v: unknown, out: Scan): void {
  if (out.problem) return;
  if (Array.isArray(v)) {
    for (const x of v) scanAst(x, out);
    return;
  }
  if (!isObj(v)) return;
  for (const [k, x] of Object.entries(v)) {
    if (k === 'relation' && isObj(x)) {
      const [tag] = Object.keys(x);
      if (tag !== 'Table' && tag !== 'Derived' && tag !== 'NestedJoin') {
        out.problem = `it reads a ${tag} relation`;
        return;
      }
      if (tag === 'Table') {
        const t = x.Table as Record<string, unknown>;
        if (t.args !== undefined && t.args !== null) {
          out.problem = `it calls the table function ${nameParts(t.name).join('.')}`;
          return;
        }
        out.tables.push(nameParts(t.name));
      }
    }
    if (k === 'sample' && x !== null && x !== undefined && x !== 'None') {
      out.problem = 'it samples a table';
      return;
    }
    if (k === 'cte_tables' && Array.isArray(x)) {
      for (const c of x) {
        const name = isObj(c) && isObj(c.alias) && isObj(c.alias.name) ? c.alias.name.value : undefined;
        if (typeof name === 'string') out.ctes.add(name.toLowerCase());
      }
    }
    if ((k === 'SingleQuotedString' || k === 'DoubleQuotedString') && typeof x === 'string' && VOLATILE_LITERALS.has(x.trim().toLowerCase())) {
      out.problem = `it reads the literal '${x}', which the engine may take as the current time`;
      return;
    }
    // a function by any name, quoted or not; a bare unquoted word (DuckDB reads `user`, `current_date` without parentheses)
    const called = k === 'Function' && isObj(x) ? nameParts(x.name).at(-1) : k === 'Identifier' && isObj(x) && typeof x.value === 'string' && !x.quote_style ? x.value : undefined;
    if (called !== undefined && VOLATILE.has(called.toLowerCase())) {
      out.problem = `it calls ${called}, whose result is not a function of the tables it reads`;
      return;
    }
    scanAst(x, out);
  }
}

/**
 * The nodes a query reads, proven from its SQL: each relation it names must be one of `allowed`
 * (its parents) or a CTE. The parser's dialect is the target's.
 */
export function provenReads(manifest: Manifest, sql: string, dialect: string, allowed: string[]): Provable<string[]> {
  let ast: unknown[];
  try {
    ast = parseSql(sql, dialect);
  } catch {
    return { why: 'its SQL could not be parsed' };
  }
  const scan: Scan = { tables: [], ctes: new Set() };
  scanAst(ast, scan);
  if (scan.problem) return { why: scan.problem };
  const byRelation = new Map<string, string>();
  const byName = new Map<string, string[]>();
  for (const id of allowed) {
    const n = manifest.nodes[id];
    if (!n || !('relation' in n)) continue;
    byRelation.set(`${n.relation.schema}.${n.relation.identifier}`.toLowerCase(), id);
    const k = n.relation.identifier.toLowerCase();
    byName.set(k, [...(byName.get(k) ?? []), id]);
  }
  const reads = new Set<string>();
  for (const parts of scan.tables) {
    if (parts.length === 1 && scan.ctes.has(parts[0]!.toLowerCase())) continue;
    const qualified = parts.length >= 2 ? byRelation.get(parts.slice(-2).join('.').toLowerCase()) : undefined;
    const bare = parts.length === 1 ? byName.get(parts[0]!.toLowerCase()) : undefined;
    const id = qualified ?? (bare?.length === 1 ? bare[0] : undefined);
    if (!id) return { why: `it reads ${parts.join('.')}, which is not one of its parents` };
    reads.add(id);
  }
  return { ok: [...reads].sort() };
}

/** JSON with object keys sorted: equal values, equal text. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

function digest(parts: unknown): string {
  return createHash('sha256').update(stableJson(parts)).digest('hex');
}

/** node unique_id → the content token of what it publishes now (only nodes with one). */
export function contentTokens(manifest: Manifest, records: PublishedRecord[]): Map<string, string> {
  const byRelation = new Map(records.filter((r) => r.content !== undefined).map((r) => [r.relation, r.content!]));
  const out = new Map<string, string>();
  for (const n of Object.values(manifest.nodes)) {
    if (!('relation' in n)) continue;
    const t = byRelation.get(n.relation.rendered);
    if (t !== undefined) out.set(n.unique_id, t);
  }
  return out;
}

/** Columns as they shape the data (descriptions change nothing). */
function columnsOf(node: Pick<ModelNode, 'columns'>): unknown[] {
  return node.columns.map(({ description: _d, ...c }) => c);
}

function tokensOf(ids: string[], tokens: Map<string, string>): Provable<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const id of [...new Set(ids)].sort()) {
    const t = tokens.get(id);
    if (t === undefined) return { why: `${id} has no recorded version to compare` };
    out[id] = t;
  }
  return { ok: out };
}

/** The reuse key of a model or seed, or why it has none (then it is built). */
export function materializeKey(manifest: Manifest, node: ModelNode | SeedNode, ctx: { dialect: string; salt: string; tokens: Map<string, string>; inputs?: unknown }): Provable<string> {
  if (node.resource_type === 'seed') {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(node.seed_path);
    } catch {
      return { why: 'its CSV file could not be read' };
    }
    return { ok: digest({ salt: ctx.salt, kind: 'seed', file: createHash('sha256').update(bytes).digest('hex'), config: node.config, columns: columnsOf(node), inputs: ctx.inputs ?? null }) };
  }
  if (node.materialized === 'view') return { why: 'a view is not versioned' };
  if (node.materialized === 'incremental' && node.config.incremental_strategy !== 'microbatch') return { why: 'an incremental batch reads the table it adds to' };
  const reads = provenReads(manifest, node.compiled_code, ctx.dialect, node.depends_on);
  if (reads.why !== undefined) return reads;
  const batch = node.compiled_incremental_code === undefined ? undefined : provenReads(manifest, node.compiled_incremental_code, ctx.dialect, node.depends_on);
  if (batch?.why !== undefined) return batch;
  const parents = tokensOf(node.depends_on, ctx.tokens);
  if (parents.why !== undefined) return parents;
  return {
    ok: digest({ salt: ctx.salt, kind: 'model', sql: node.compiled_code, batch: node.compiled_incremental_code ?? null, materialized: node.materialized, config: node.config, columns: columnsOf(node), inputs: ctx.inputs ?? null, parents: parents.ok }),
  };
}

/** The reuse key of a data test, or why it has none (then it runs). */
export function testKey(manifest: Manifest, test: TestNode, ctx: { dialect: string; salt: string; tokens: Map<string, string> }): Provable<string> {
  const reads = provenReads(manifest, test.compiled_code, ctx.dialect, test.depends_on);
  if (reads.why !== undefined) return reads;
  const parents = tokensOf(test.depends_on, ctx.tokens);
  if (parents.why !== undefined) return parents;
  return { ok: digest({ salt: ctx.salt, kind: 'test', sql: test.compiled_code, config: test.config, severity: test.severity, warn_if: test.warn_if, error_if: test.error_if, parents: parents.ok }) };
}

/**
 * The reuse key of a unit test, or why it has none (then it runs). A unit test reads only the rows
 * it is given (`__stedi_given_<n>` tables) and its expected rows, so its outcome is a function of
 * its compiled SQL, those rows, the given inputs' declared columns (types and derivations) and the
 * engine: no published data. Its SQL must be proven to read nothing else and to call nothing
 * volatile.
 */
export function unitTestKey(manifest: Manifest, ut: UnitTestNode, ctx: { dialect: string; salt: string }): Provable<string> {
  let ast: unknown[];
  try {
    ast = parseSql(ut.compiled_code, ctx.dialect);
  } catch {
    return { why: 'its SQL could not be parsed' };
  }
  const scan: Scan = { tables: [], ctes: new Set() };
  scanAst(ast, scan);
  if (scan.problem) return { why: scan.problem };
  const given = new Set(ut.given.map((_g, i) => givenPlaceholder(i).toLowerCase()));
  for (const parts of scan.tables) {
    const name = parts.length === 1 ? parts[0]!.toLowerCase() : undefined;
    if (name === undefined || !(given.has(name) || scan.ctes.has(name))) return { why: `it reads ${parts.join('.')}, which is not one of its given inputs` };
  }
  const inputs = ut.given.map((g) => {
    const n = manifest.nodes[g.input];
    return { input: g.input, kind: n?.resource_type ?? null, columns: n && 'columns' in n ? columnsOf(n) : null, rows: g.rows };
  });
  return { ok: digest({ salt: ctx.salt, kind: 'unit_test', sql: ut.compiled_code, given: inputs, expect: ut.expect }) };
}

/** The published record of a node's relation. */
export function recordOf(node: ManifestNode, records: PublishedRecord[]): PublishedRecord | undefined {
  return 'relation' in node ? records.find((r) => r.relation === node.relation.rendered) : undefined;
}

/** The key a published version was built under (recorded with its inputs), if any. */
export function recordedKey(r: PublishedRecord | undefined): string | undefined {
  const k = r?.inputs?.reuse_key;
  return typeof k === 'string' ? k : undefined;
}
