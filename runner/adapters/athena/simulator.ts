/**
 * An in-memory stand-in for the Athena, Glue and S3 APIs that stedi calls: a Glue catalog with
 * table versions, S3 objects, and Athena queries that succeed at once (a CTAS or CREATE VIEW
 * registers its table, a test's count query returns 0). It answers `--dry-run` (no AWS call,
 * no credentials) and, behind aws-sdk-client-mock, the tests of the real adapter, which decide
 * a query's fate (throttling, failures, slow queries) in a subclass of their own
 * (tests/helpers/hooked-simulator.ts) by overriding `fate`.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { InvalidRequestException } from '@aws-sdk/client-athena';
import { NoSuchKey, S3ServiceException } from '@aws-sdk/client-s3';
import { AlreadyExistsException, EntityNotFoundException, type Table, type TableInput } from '@aws-sdk/client-glue';
import type { ColumnInfo, Row } from '@aws-sdk/client-athena';
import type { AwsApi } from './api.js';

export interface SimQuery {
  id: string;
  sql: string;
  params: string[];
  state: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  statementType: 'DML' | 'DDL';
  error?: { message: string; category: number; type: number; retryable?: boolean };
  dataScannedBytes: number;
  columns: ColumnInfo[];
  rows: (string | null)[][];
  /** Rows a CTAS wrote (GetQueryResults' UpdateCount). */
  updateCount?: number;
}

/** What becomes of a query instead of succeeding at once: failure, rows, bytes scanned, polls before it finishes. */
export type SimFate = Partial<Pick<SimQuery, 'state' | 'error' | 'dataScannedBytes' | 'columns' | 'rows' | 'updateCount'>> & { polls?: number };

const meta = { $metadata: {} };

function notFound(what: string): EntityNotFoundException {
  return new EntityNotFoundException({ message: `${what} not found`, $metadata: { httpStatusCode: 400 } });
}

export class AwsSimulator {
  readonly tables = new Map<string, { table: Table; versions: Table[] }>();
  /** s3://bucket/key of every object; `bodies` holds the content of those that have one. */
  readonly objects = new Set<string>();
  readonly bodies = new Map<string, Buffer>();
  /** When each object was last written (S3's LastModified), by the simulator's clock; tests may set it. */
  readonly modified = new Map<string, Date>();
  readonly queries = new Map<string, SimQuery>();
  private readonly polls = new Map<string, number>();
  private seq = 0;

  /** A query's fate when it starts (throw to refuse it): here, none (it succeeds at once with its default result). */
  protected fate(_sql: string): SimFate {
    return {};
  }

  constructor(
    readonly database: string,
    readonly workgroup: { name: string; outputLocation?: string; enforced?: boolean; engine?: string } = { name: 'primary', outputLocation: 's3://aws-athena-query-results/' },
    private readonly clock: () => Date = () => new Date(0),
  ) {}

  // ---- Glue
  GetDatabase(input: { Name?: string }) {
    if (input.Name !== this.database) throw notFound(`database ${input.Name}`);
    return { ...meta, Database: { Name: this.database } };
  }

  GetTable(input: { DatabaseName?: string; Name?: string }) {
    const t = this.tables.get(input.Name ?? '');
    if (!t || input.DatabaseName !== this.database) throw notFound(`table ${input.DatabaseName}.${input.Name}`);
    return { ...meta, Table: structuredClone(t.table) };
  }

  GetTables(input: { Expression?: string }) {
    const re = new RegExp(`^${input.Expression ?? '.*'}$`);
    return { ...meta, TableList: [...this.tables.values()].map((t) => structuredClone(t.table)).filter((t) => re.test(t.Name ?? '')) };
  }

  private put(input: TableInput, versionId: string): Table {
    return { ...structuredClone(input), Name: input.Name, DatabaseName: this.database, VersionId: versionId, CreateTime: this.clock() } as Table;
  }

  CreateTable(input: { TableInput?: TableInput }) {
    const name = input.TableInput!.Name!;
    if (this.tables.has(name)) throw new AlreadyExistsException({ message: `table ${name} exists`, $metadata: { httpStatusCode: 400 } });
    const t = this.put(input.TableInput!, '0');
    this.tables.set(name, { table: t, versions: [t] });
    return meta;
  }

  UpdateTable(input: { TableInput?: TableInput; VersionId?: string; SkipArchive?: boolean }) {
    const name = input.TableInput!.Name!;
    const cur = this.tables.get(name);
    if (!cur) throw notFound(`table ${name}`);
    const next = String(Number(cur.table.VersionId ?? 0) + (input.SkipArchive ? 0 : 1));
    const t = { ...this.put(input.TableInput!, next), CreateTime: cur.table.CreateTime } as Table;
    cur.table = t;
    if (input.SkipArchive) cur.versions[cur.versions.length - 1] = t;
    else cur.versions.push(t);
    return meta;
  }

  DeleteTable(input: { Name?: string }) {
    if (!this.tables.delete(input.Name ?? '')) throw notFound(`table ${input.Name}`);
    return meta;
  }

  GetTableVersions(input: { TableName?: string }) {
    const t = this.tables.get(input.TableName ?? '');
    if (!t) throw notFound(`table ${input.TableName}`);
    return { ...meta, TableVersions: t.versions.map((v) => ({ VersionId: v.VersionId, Table: structuredClone(v) })).reverse() };
  }

  BatchDeleteTableVersion(input: { TableName?: string; VersionIds?: string[] }) {
    const t = this.tables.get(input.TableName ?? '');
    if (t) t.versions = t.versions.filter((v) => !(input.VersionIds ?? []).includes(v.VersionId ?? ''));
    return { ...meta, Errors: [] };
  }

  // ---- S3
  /** Puts an object (tests: the delivered landing files). */
  putObject(uri: string, body: string | Uint8Array): void {
    this.objects.add(uri);
    this.bodies.set(uri, Buffer.from(body));
    this.modified.set(uri, this.clock());
  }

  ListObjectsV2(input: { Bucket?: string; Prefix?: string; Delimiter?: string; ContinuationToken?: string }) {
    const base = `s3://${input.Bucket}/`;
    const prefix = input.Prefix ?? '';
    const keys = [...this.objects].filter((o) => o.startsWith(base + prefix)).map((o) => o.slice(base.length));
    return this.listPage(keys, prefix, input.Delimiter, (Key) => ({ Size: this.bodies.get(base + Key)?.length ?? 0, ETag: this.etag(base + Key), LastModified: this.modified.get(base + Key) ?? this.clock() }));
  }

  /** One ListObjectsV2 page (never truncated) of `keys` under `prefix`: objects, and common prefixes up to the delimiter. */
  protected listPage(keys: string[], prefix: string, delimiter: string | undefined, object: (key: string) => { Size: number; ETag: string; LastModified: Date }) {
    const contents: { Key: string; Size: number; ETag: string; LastModified: Date }[] = [];
    const common = new Set<string>();
    for (const Key of [...keys].sort()) {
      const rest = Key.slice(prefix.length);
      const cut = delimiter ? rest.indexOf(delimiter) : -1;
      if (cut >= 0) common.add(prefix + rest.slice(0, cut + 1));
      else contents.push({ Key, ...object(Key) });
    }
    return { ...meta, Contents: contents, ...(common.size ? { CommonPrefixes: [...common].map((Prefix) => ({ Prefix })) } : {}), IsTruncated: false };
  }

  private etag(uri: string): string {
    return `"${createHash('md5').update(this.bodies.get(uri) ?? Buffer.alloc(0)).digest('hex')}"`;
  }

  GetObject(input: { Bucket?: string; Key?: string; IfMatch?: string }) {
    const uri = `s3://${input.Bucket}/${input.Key}`;
    if (!this.objects.has(uri)) throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } });
    if (input.IfMatch && input.IfMatch !== this.etag(uri)) {
      throw new S3ServiceException({ name: 'PreconditionFailed', $fault: 'client', message: 'At least one of the pre-conditions you specified did not hold', $metadata: { httpStatusCode: 412 } });
    }
    const body = this.bodies.get(uri) ?? Buffer.alloc(0);
    return { ...meta, ContentLength: body.length, ETag: this.etag(uri), Body: Readable.from(body.length ? [body] : []) };
  }

  PutObject(input: { Bucket?: string; Key?: string; Body?: Uint8Array | string; IfMatch?: string; IfNoneMatch?: string }) {
    const uri = `s3://${input.Bucket}/${input.Key}`;
    // conditional writes, as S3 answers them: 412 when the object is not the one named (IfMatch) or exists (IfNoneMatch: *)
    const failed = (input.IfMatch !== undefined && (!this.objects.has(uri) || input.IfMatch !== this.etag(uri))) || (input.IfNoneMatch === '*' && this.objects.has(uri));
    if (failed) throw new S3ServiceException({ name: 'PreconditionFailed', $fault: 'client', message: 'At least one of the pre-conditions you specified did not hold', $metadata: { httpStatusCode: 412 } });
    this.putObject(uri, input.Body ?? '');
    return { ...meta, ETag: this.etag(`s3://${input.Bucket}/${input.Key}`) };
  }

  /** Versioning status per bucket (tests set it); unset: never enabled (S3 then answers no Status). */
  readonly versioning = new Map<string, 'Enabled' | 'Suspended'>();

  GetBucketVersioning(input: { Bucket?: string }) {
    const status = this.versioning.get(input.Bucket ?? '');
    return { ...meta, ...(status ? { Status: status } : {}) };
  }

  DeleteObjects(input: { Bucket?: string; Delete?: { Objects?: { Key?: string }[] } }) {
    for (const o of input.Delete?.Objects ?? []) {
      this.objects.delete(`s3://${input.Bucket}/${o.Key}`);
      this.bodies.delete(`s3://${input.Bucket}/${o.Key}`);
    }
    return { ...meta, Errors: [] };
  }

  /**
   * Rows of a JSON-lines table: the non-blank lines of the objects under its location (gunzipped);
   * for a symlink table, of the objects its manifests list (a listed object that does not exist
   * fails the query, as Athena does).
   */
  jsonRows(table: string): string[] {
    const sd = this.tables.get(table)?.table.StorageDescriptor;
    const loc = sd?.Location;
    if (!loc) throw new InvalidRequestException({ message: `TABLE_NOT_FOUND: Table '${this.database}.${table}' does not exist`, $metadata: { httpStatusCode: 400 } });
    const text = (o: string) => {
      const body = this.bodies.get(o);
      if (!this.objects.has(o)) throw new InvalidRequestException({ message: `HIVE_CANNOT_OPEN_SPLIT: ${o} does not exist`, $metadata: { httpStatusCode: 400 } });
      return body ? (o.endsWith('.gz') ? gunzipSync(body) : body).toString('utf8') : '';
    };
    const under = [...this.objects].filter((x) => x.startsWith(loc)).sort();
    const files = /SymlinkTextInputFormat$/.test(sd?.InputFormat ?? '') ? under.flatMap((m) => text(m).split('\n').filter((l) => l.trim() !== '')) : under;
    const rows: string[] = [];
    for (const o of files) rows.push(...text(o).split('\n').filter((l) => l.trim() !== ''));
    return rows;
  }

  // ---- Athena
  GetWorkGroup(input: { WorkGroup?: string }) {
    if (input.WorkGroup !== this.workgroup.name) throw new InvalidRequestException({ message: `WorkGroup ${input.WorkGroup} is not found.`, $metadata: { httpStatusCode: 400 } });
    return {
      ...meta,
      WorkGroup: {
        Name: this.workgroup.name,
        State: 'ENABLED' as const,
        Configuration: {
          EnforceWorkGroupConfiguration: !!this.workgroup.enforced,
          ...(this.workgroup.outputLocation ? { ResultConfiguration: { OutputLocation: this.workgroup.outputLocation } } : {}),
          EngineVersion: { SelectedEngineVersion: 'AUTO', EffectiveEngineVersion: this.workgroup.engine ?? 'Athena engine version 3' },
        },
      },
    };
  }

  StartQueryExecution(input: { QueryString?: string; ExecutionParameters?: string[] }) {
    const sql = input.QueryString ?? '';
    const fate = this.fate(sql);
    const id = `q-${String(++this.seq).padStart(4, '0')}`;
    const ddl = /^\s*create\s+(or\s+replace\s+)?view\b/i.test(sql);
    const q: SimQuery = {
      id, sql, params: input.ExecutionParameters ?? [], state: 'SUCCEEDED', statementType: ddl ? 'DDL' : 'DML',
      dataScannedBytes: 0, columns: [], rows: [], ...this.defaultResult(sql), ...fate,
    };
    this.queries.set(id, q);
    this.polls.set(id, fate.polls ?? 0);
    if (q.state === 'SUCCEEDED') this.apply(sql);
    return { ...meta, QueryExecutionId: id };
  }

  /** A finished CTAS or CREATE VIEW registers its table, as Athena does in Glue. */
  private apply(sql: string): void {
    const m = /^\s*create\s+(or\s+replace\s+)?(table|view)\s+"([^"]+)"\."([^"]+)"/i.exec(sql);
    if (!m) return;
    const name = m[4]!;
    const loc = /\b(?:external_)?location = '([^']+)'/.exec(sql)?.[1];
    const iceberg = /table_type = 'ICEBERG'/.test(sql);
    const input: TableInput = m[2]!.toLowerCase() === 'view'
      ? { Name: name, TableType: 'VIRTUAL_VIEW', Parameters: { presto_view: 'true', comment: 'Presto View' }, ViewOriginalText: `/* Presto View: ${Buffer.from(sql).toString('base64')} */`, StorageDescriptor: { Columns: [] } }
      : {
          Name: name,
          TableType: 'EXTERNAL_TABLE',
          Parameters: iceberg ? { table_type: 'ICEBERG', metadata_location: `${loc}metadata/00000-${name}.metadata.json` } : { EXTERNAL: 'TRUE', has_encrypted_data: 'false' },
          StorageDescriptor: { Columns: [{ Name: 'c', Type: 'string' }], Location: loc },
        };
    const existing = this.tables.get(name);
    if (existing && m[1]) this.UpdateTable({ TableInput: input });
    else this.CreateTable({ TableInput: input });
    // a partitioned (Hive) CTAS writes one folder per partition value, and the simulator knows no rows: no file
    if (loc && !/\bpartitioned_by = /.test(sql)) {
      this.objects.add(`${loc}data/part-00000.parquet`);
      if (iceberg) this.objects.add(`${loc}metadata/00000-${name}.metadata.json`);
    }
  }

  /**
   * A test's count query answers 0 failing rows; counting JSON-lines tables (the landing audit)
   * answers their real row counts; `SELECT * … LIMIT 0` answers the table's columns; the max of a
   * column of a JSON-lines table (stedi source freshness) answers it; other SELECTs answer no rows.
   */
  private defaultResult(sql: string): Partial<SimQuery> {
    if (/^\s*create\s+table\b/i.test(sql)) return { updateCount: 1 };
    // a query's column metadata, as Athena gives it for any SELECT: the table's Glue columns (Hive string is varchar)
    const shape = /^SELECT \* FROM "[^"]+"\."([^"]+)" LIMIT 0$/i.exec(sql.trim());
    if (shape) {
      const cols = this.tables.get(shape[1]!)?.table.StorageDescriptor?.Columns;
      if (!cols) throw new InvalidRequestException({ message: `TABLE_NOT_FOUND: Table '${this.database}.${shape[1]}' does not exist`, $metadata: { httpStatusCode: 400 } });
      return { columns: cols.map((c) => ({ Name: c.Name!, Label: c.Name!, Type: c.Type === 'string' ? 'varchar' : c.Type! })) };
    }
    const max = /^SELECT max\("([^"]+)"\) AS newest FROM "[^"]+"\."([^"]+)"$/i.exec(sql.trim());
    if (max) {
      const values = this.jsonRows(max[2]!).map((l) => (JSON.parse(l) as Record<string, unknown>)[max[1]!]).filter((v): v is number => typeof v === 'number');
      return { columns: [{ Name: 'newest', Label: 'newest', Type: 'bigint' }], rows: [[values.length ? String(Math.max(...values)) : null]] };
    }
    if (/^select count\(\*\) as failures/i.test(sql)) return { columns: [{ Name: 'failures', Label: 'failures', Type: 'bigint' }], rows: [['0']] };
    const counts = [...sql.matchAll(/\(SELECT count\(\*\) FROM "[^"]+"\."([^"]+)"\) AS (\w+)/g)];
    if (/^SELECT \(SELECT count/.test(sql) && counts.length) {
      return { columns: counts.map((m) => ({ Name: m[2]!, Label: m[2]!, Type: 'bigint' })), rows: [counts.map((m) => String(this.jsonRows(m[1]!).length))] };
    }
    return {};
  }

  GetQueryExecution(input: { QueryExecutionId?: string }) {
    const q = this.queries.get(input.QueryExecutionId ?? '');
    if (!q) throw new InvalidRequestException({ message: 'QueryExecution not found', $metadata: { httpStatusCode: 400 } });
    const left = this.polls.get(q.id) ?? 0;
    this.polls.set(q.id, left - 1);
    const state = left > 0 && q.state !== 'CANCELLED' ? 'RUNNING' : q.state;
    return {
      ...meta,
      QueryExecution: {
        QueryExecutionId: q.id, Query: q.sql, StatementType: q.statementType,
        Status: {
          State: state,
          ...(state === 'FAILED' && q.error ? { StateChangeReason: q.error.message, AthenaError: { ErrorCategory: q.error.category, ErrorType: q.error.type, Retryable: !!q.error.retryable, ErrorMessage: q.error.message } } : {}),
        },
        Statistics: { DataScannedInBytes: state === 'RUNNING' ? 0 : q.dataScannedBytes },
      },
    };
  }

  StopQueryExecution(input: { QueryExecutionId?: string }) {
    const q = this.queries.get(input.QueryExecutionId ?? '');
    if (q && (this.polls.get(q.id) ?? 0) > 0) q.state = 'CANCELLED';
    return meta;
  }

  GetQueryResults(input: { QueryExecutionId?: string; NextToken?: string; MaxResults?: number }) {
    const q = this.queries.get(input.QueryExecutionId ?? '');
    if (!q || q.state !== 'SUCCEEDED') throw new InvalidRequestException({ message: 'query has no results', $metadata: { httpStatusCode: 400 } });
    const all: Row[] = [...(q.statementType === 'DML' && q.columns.length ? [{ Data: q.columns.map((c) => ({ VarCharValue: c.Name! })) }] : []), ...q.rows.map((r) => ({ Data: r.map((v) => (v === null ? {} : { VarCharValue: v })) }))];
    const size = Math.min(input.MaxResults ?? 1000, 1000);
    const start = Number(input.NextToken ?? 0);
    const page = all.slice(start, start + size);
    const next = start + size < all.length ? String(start + size) : undefined;
    return { ...meta, ResultSet: { ResultSetMetadata: { ColumnInfo: q.columns }, Rows: page }, ...(next ? { NextToken: next } : {}), UpdateCount: q.updateCount ?? 0 };
  }
}

/** The operations the simulator answers, by service (the SDK command name without `Command`). */
export const SIMULATED: Record<'athena' | 'glue' | 's3', string[]> = {
  athena: ['GetWorkGroup', 'StartQueryExecution', 'GetQueryExecution', 'GetQueryResults', 'StopQueryExecution'],
  glue: ['GetDatabase', 'GetTable', 'GetTables', 'CreateTable', 'UpdateTable', 'DeleteTable', 'GetTableVersions', 'BatchDeleteTableVersion'],
  s3: ['ListObjectsV2', 'GetObject', 'PutObject', 'DeleteObjects', 'GetBucketVersioning'],
};

export function simulate(sim: AwsSimulator, operation: string, input: unknown): unknown {
  const fn = (sim as unknown as Record<string, (i: unknown) => unknown>)[operation];
  if (typeof fn !== 'function') throw new Error(`internal: the simulator does not answer ${operation}`);
  return fn.call(sim, input);
}

/** The simulator as the adapter's AWS calls (api.ts): `--dry-run` prints around it (`printing`). */
export function simulatorApi(sim: AwsSimulator): AwsApi {
  return { call: async (op, input) => simulate(sim, op, input) as never };
}
