/**
 * Athena, Glue and S3 as a real `stedi build --target athena` calls them, executed on a real
 * Trino 476 (what Athena engine v3 is built on), behind the real SDK clients (aws-sdk-client-mock,
 * see `fakeAws` in tests/unit/athena/harness.ts):
 * - S3 is a local folder, the Trino's warehouse: `s3://<bucket>/<key>` is `<warehouse>/<key>`,
 *   which Trino reads and writes as `local:///<key>`. A zero-byte "folder" object (`…/`) is a
 *   marker file inside the folder, listed under the folder's own key.
 * - Glue is the simulator's in-memory catalog (table versions, parameters), and every change to it
 *   is also made on Trino with the mapping of tests/helpers/athena-plan.ts (register_table,
 *   unregister_table, a Hive OPENX_JSON table over the parts a landing table's symlink manifest
 *   lists, copied into a folder of their own since Trino's SQL cannot create a symlink table).
 * - Athena: each statement runs on Trino, mapped by athena-plan.ts too (locations, Athena-only
 *   CTAS properties), and a finished CTAS or CREATE VIEW is registered in Glue as Athena does.
 * Nothing else is changed: what the mapping cannot map throws, and a statement Trino refuses is a
 * FAILED query with Trino's message.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { NoSuchKey, S3ServiceException } from '@aws-sdk/client-s3';
import type { ColumnInfo } from '@aws-sdk/client-athena';
import type { TableInput } from '@aws-sdk/client-glue';
import { simulate } from '../../runner/adapters/athena/simulator.js';
import { PlanOnTrino, type GlueInput } from './athena-plan.js';
import { HookedSimulator } from './hooked-simulator.js';
import { trinoSession, type Rows, type TrinoServer, type TrinoSession } from './trino.js';

const meta = { $metadata: {} };
const MARKER = '.s3-folder-object';

interface Ran {
  sql: string;
  state: 'SUCCEEDED' | 'FAILED';
  error?: string;
  statementType: 'DML' | 'DDL';
  columns: ColumnInfo[];
  rows: (string | null)[][];
  updateCount?: number;
}

export class TrinoAws extends HookedSimulator {
  /** Every statement Trino ran, as Athena received it (before the mapping), in order. */
  readonly statements: string[] = [];
  private readonly mapping: PlanOnTrino;
  private readonly session: TrinoSession;
  private readonly ran = new Map<string, Ran>();
  private started = 0;
  private landingSeq = 0;

  constructor(
    database: string,
    private readonly server: TrinoServer,
    private readonly bucket = 'lake-bucket',
    clock: () => Date = () => new Date(),
  ) {
    super(database, { name: 'stedi', outputLocation: 's3://results-bucket/athena/' }, clock);
    this.session = trinoSession(server, 'iceberg', database);
    this.mapping = new PlanOnTrino({ s3Prefix: `s3://${bucket}/`, landingParts: (t) => this.landingFolder(t) });
  }

  /** The schema of the Glue database on Trino (both catalogs share one metastore). */
  async createSchema(): Promise<void> {
    await this.session.query(`CREATE SCHEMA IF NOT EXISTS hive."${this.database}"`);
  }

  /** A query on Trino, as the test reads the published tables (the iceberg catalog, the database's schema). */
  trino(sql: string): Promise<Rows> {
    return this.session.query(sql);
  }

  /** Answers one operation, as the faked SDK clients call it. */
  async answer(op: string, input: unknown): Promise<unknown> {
    switch (op) {
      case 'StartQueryExecution': return this.start(input as { QueryString?: string; ExecutionParameters?: string[] });
      case 'GetQueryExecution': return this.execution(input as { QueryExecutionId?: string });
      case 'GetQueryResults': return this.results(input as { QueryExecutionId?: string; NextToken?: string; MaxResults?: number });
      case 'StopQueryExecution': return meta;
      case 'CreateTable': case 'UpdateTable': case 'DeleteTable': {
        const out = simulate(this, op, input);
        for (const s of this.mapping.statements({ kind: 'glue', op, input: input as GlueInput })) await this.session.query(s.sql, s.session);
        return out;
      }
      default: return simulate(this, op, input);
    }
  }

  // ---- Athena on Trino
  private async start(input: { QueryString?: string; ExecutionParameters?: string[] }): Promise<unknown> {
    const sql = input.QueryString ?? '';
    // a test's hook may decide the query's outcome instead of Trino (a failing gate, a failed query)
    const fate = this.fate(sql);
    if (fate.state !== undefined || fate.rows !== undefined) {
      const id = `trino-${String(++this.started).padStart(5, '0')}`;
      this.statements.push(sql);
      this.ran.set(id, { sql, state: fate.state === 'FAILED' ? 'FAILED' : 'SUCCEEDED', ...(fate.error ? { error: fate.error.message } : {}), statementType: 'DML', columns: fate.columns ?? [], rows: fate.rows ?? [] });
      return { ...meta, QueryExecutionId: id };
    }
    if (input.ExecutionParameters?.length) throw new Error(`a statement with execution parameters: no Trino mapping\n${sql}`);
    const id = `trino-${String(++this.started).padStart(5, '0')}`;
    const ddl = /^\s*create\s+(or\s+replace\s+)?view\b/i.test(sql);
    const ran: Ran = { sql, state: 'SUCCEEDED', statementType: ddl ? 'DDL' : 'DML', columns: [], rows: [] };
    this.statements.push(sql);
    try {
      const [s] = this.mapping.statements({ kind: 'sql', sql });
      const r = await this.session.query(s!.sql, s!.session).catch(async (e: Error) => {
        // S3 has no folders: on Athena a Hive CTAS of no rows makes an empty table at its external
        // location; Trino refuses a location that is no folder when it wrote no file there
        const external = /^CREATE TABLE "[^"]+"\."[^"]+"\nWITH \(.*\bexternal_location = '([^']+)'/.exec(sql)?.[1];
        if (!external || !/External table location does not exist/.test(e.message)) throw e;
        // (a CTAS refuses a location that exists): the empty table is created from the select's columns
        const parts = /^(CREATE TABLE \S+)\nWITH \((.*)\)\nAS\n([\s\S]*)$/.exec(s!.sql);
        if (!parts) throw e;
        const shape = await this.session.query(`SELECT * FROM (\n${parts[3]}\n) stedi_shape LIMIT 0`);
        fs.mkdirSync(path.dirname(this.file(external.endsWith('/') ? external : `${external}/`)), { recursive: true });
        await this.session.query(`${parts[1]} (${shape.columns.map((c, i) => `"${c}" ${shape.types[i]}`).join(', ')})\nWITH (${parts[2]})`, s!.session);
        return { columns: ['rows'], types: ['bigint'], rows: [['0']] } as unknown as Awaited<ReturnType<TrinoSession['query']>>;
      });
      const ctas = /^\s*create\s+table\s+"([^"]+)"\."([^"]+)"/i.exec(sql);
      if (ctas) {
        ran.updateCount = Number(r.rows[0]?.[0] ?? 0);
        await this.registerCtas(ctas[2]!, sql);
      } else if (/^\s*(insert|merge|delete|update)\b/i.test(sql)) {
        ran.updateCount = Number(r.rows[0]?.[0] ?? 0);
      } else if (ddl) {
        const name = /"[^"]+"\."([^"]+)"/.exec(sql)![1]!;
        const view: TableInput = { Name: name, TableType: 'VIRTUAL_VIEW', Parameters: { presto_view: 'true', comment: 'Presto View' }, StorageDescriptor: { Columns: [] } };
        if (this.tables.has(name)) this.UpdateTable({ TableInput: view });
        else this.CreateTable({ TableInput: view });
      } else {
        ran.columns = r.columns.map((c, i) => ({ Name: c, Label: c, Type: r.types[i] ?? 'varchar' }));
        ran.rows = r.rows.map((row) => row.map(text));
      }
    } catch (e) {
      ran.state = 'FAILED';
      ran.error = (e as Error).message;
    }
    this.ran.set(id, ran);
    return { ...meta, QueryExecutionId: id };
  }

  /** Athena registers a finished CTAS in Glue: an Iceberg table (or Hive/Parquet) at the CTAS location. */
  private async registerCtas(name: string, sql: string): Promise<void> {
    const loc = /\b(?:external_)?location = '([^']+)'/.exec(sql)?.[1];
    const iceberg = /table_type = 'ICEBERG'/.test(sql);
    // a partitioned (Hive) CTAS: Glue holds its partition columns apart, as PartitionKeys
    const partitioned = new Set([...(/partitioned_by = ARRAY\[([^\]]*)\]/.exec(sql)?.[1] ?? '').matchAll(/'([^']+)'/g)].map((m) => m[1]!));
    const cols = await this.session.query(`SELECT column_name, data_type FROM ${iceberg ? '' : 'hive.'}information_schema.columns WHERE table_schema = '${this.database}' AND table_name = '${name}' ORDER BY ordinal_position`);
    const all = cols.rows.map(([n, t]) => ({ Name: String(n), Type: String(t) }));
    this.CreateTable({
      TableInput: {
        Name: name,
        TableType: 'EXTERNAL_TABLE',
        Parameters: iceberg ? { table_type: 'ICEBERG', metadata_location: `${loc}metadata/` } : { EXTERNAL: 'TRUE', has_encrypted_data: 'false', classification: 'parquet' },
        ...(partitioned.size ? { PartitionKeys: all.filter((c) => partitioned.has(c.Name)) } : {}),
        StorageDescriptor: { Columns: all.filter((c) => !partitioned.has(c.Name)), ...(loc ? { Location: loc } : {}) },
      },
    });
  }

  private execution(input: { QueryExecutionId?: string }): unknown {
    const q = this.ran.get(input.QueryExecutionId ?? '');
    if (!q) throw new Error(`no query ${input.QueryExecutionId}`);
    return {
      ...meta,
      QueryExecution: {
        QueryExecutionId: input.QueryExecutionId, Query: q.sql, StatementType: q.statementType,
        Status: { State: q.state, ...(q.error ? { StateChangeReason: q.error, AthenaError: { ErrorCategory: 2, ErrorType: 1100, Retryable: false, ErrorMessage: q.error } } : {}) },
        Statistics: { DataScannedInBytes: 0 },
      },
    };
  }

  private results(input: { QueryExecutionId?: string; NextToken?: string; MaxResults?: number }): unknown {
    const q = this.ran.get(input.QueryExecutionId ?? '');
    if (!q || q.state !== 'SUCCEEDED') throw new Error('query has no results');
    const all = [...(q.statementType === 'DML' && q.columns.length ? [{ Data: q.columns.map((c) => ({ VarCharValue: c.Name! })) }] : []), ...q.rows.map((r) => ({ Data: r.map((v) => (v === null ? {} : { VarCharValue: v })) }))];
    const size = Math.min(input.MaxResults ?? 1000, 1000);
    const start = Number(input.NextToken ?? 0);
    const next = start + size < all.length ? String(start + size) : undefined;
    return { ...meta, ResultSet: { ResultSetMetadata: { ColumnInfo: q.columns }, Rows: all.slice(start, start + size) }, ...(next ? { NextToken: next } : {}), UpdateCount: q.updateCount ?? 0 };
  }

  // ---- landing tables: the parts a symlink manifest lists, in a folder Trino reads
  private landingFolder(table: NonNullable<GlueInput['TableInput']>): string {
    const manifest = this.file(`${table.StorageDescriptor?.Location ?? ''}manifest`);
    if (!fs.existsSync(manifest)) throw new Error(`${table.Name}: no symlink manifest at ${table.StorageDescriptor?.Location}`);
    const rel = `_trino_landing/${this.database}/${table.Name}-${++this.landingSeq}`;
    const folder = path.join(this.server.warehouse, rel);
    fs.mkdirSync(folder, { recursive: true });
    fs.readFileSync(manifest, 'utf8').split('\n').filter(Boolean).forEach((uri, i) => {
      fs.copyFileSync(this.file(uri), path.join(folder, `${String(i).padStart(5, '0')}-${path.basename(uri)}`));
    });
    return `local:///${rel}`;
  }

  // ---- S3 on the warehouse folder
  /** The local file of `s3://<bucket>/<key>`; any other bucket is refused. */
  file(uri: string): string {
    const base = `s3://${this.bucket}/`;
    if (!uri.startsWith(base)) throw new Error(`an S3 location outside ${base}: ${uri}`);
    const key = uri.slice(base.length);
    return key.endsWith('/') || key === '' ? path.join(this.server.warehouse, key, MARKER) : path.join(this.server.warehouse, key);
  }

  override putObject(uri: string, body: string | Uint8Array): void {
    const f = this.file(uri);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, body);
  }

  private etagOf(f: string): string {
    return `"${createHash('md5').update(fs.readFileSync(f)).digest('hex')}"`;
  }

  private bucketOf(input: { Bucket?: string }): void {
    if (input.Bucket !== this.bucket) throw new NoSuchKey({ message: `no bucket ${input.Bucket}`, $metadata: { httpStatusCode: 404 } });
  }

  override ListObjectsV2(input: { Bucket?: string; Prefix?: string; Delimiter?: string }) {
    this.bucketOf(input);
    const prefix = input.Prefix ?? '';
    const root = this.server.warehouse;
    // the deepest existing folder the prefix is in
    let dir = path.join(root, prefix.slice(0, prefix.lastIndexOf('/') + 1));
    const keys: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const full = path.join(d, e.name);
        if (e.isDirectory()) walk(full);
        else {
          const rel = path.relative(root, full).split(path.sep).join('/');
          const key = e.name === MARKER ? rel.slice(0, -MARKER.length) : rel;
          if (key.startsWith(prefix)) keys.push(key);
        }
      }
    };
    if (!fs.existsSync(dir)) dir = '';
    if (dir) walk(dir);
    return this.listPage(keys, prefix, input.Delimiter, (Key) => {
      const f = this.file(`s3://${this.bucket}/${Key}`);
      const st = fs.statSync(f);
      return { Size: st.size, ETag: this.etagOf(f), LastModified: st.mtime };
    });
  }

  override GetObject(input: { Bucket?: string; Key?: string; IfMatch?: string }) {
    this.bucketOf(input);
    const f = this.file(`s3://${this.bucket}/${input.Key}`);
    if (!fs.existsSync(f)) throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } });
    if (input.IfMatch && input.IfMatch !== this.etagOf(f)) {
      throw new S3ServiceException({ name: 'PreconditionFailed', $fault: 'client', message: 'At least one of the pre-conditions you specified did not hold', $metadata: { httpStatusCode: 412 } });
    }
    const body = fs.readFileSync(f);
    return { ...meta, ContentLength: body.length, ETag: this.etagOf(f), Body: Readable.from(body.length ? [body] : []) };
  }

  override PutObject(input: { Bucket?: string; Key?: string; Body?: Uint8Array | string; IfMatch?: string; IfNoneMatch?: string }) {
    this.bucketOf(input);
    const uri = `s3://${this.bucket}/${input.Key}`;
    const f = this.file(uri);
    const exists = fs.existsSync(f);
    if ((input.IfMatch !== undefined && (!exists || input.IfMatch !== this.etagOf(f))) || (input.IfNoneMatch === '*' && exists)) {
      throw new S3ServiceException({ name: 'PreconditionFailed', $fault: 'client', message: 'At least one of the pre-conditions you specified did not hold', $metadata: { httpStatusCode: 412 } });
    }
    this.putObject(uri, input.Body ?? '');
    return { ...meta, ETag: this.etagOf(f) };
  }

  override DeleteObjects(input: { Bucket?: string; Delete?: { Objects?: { Key?: string }[] } }) {
    this.bucketOf(input);
    for (const o of input.Delete?.Objects ?? []) {
      const f = this.file(`s3://${this.bucket}/${o.Key}`);
      fs.rmSync(f, { force: true });
      // S3 has no folders: one left empty is gone too
      for (let d = path.dirname(f); d.startsWith(this.server.warehouse + path.sep) && fs.existsSync(d) && fs.readdirSync(d).length === 0; d = path.dirname(d)) fs.rmdirSync(d);
    }
    return { ...meta, Errors: [] };
  }
}

/** A Trino value as Athena's VarCharValue. */
function text(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}
