/**
 * The Athena plan as `stedi build --target athena --dry-run` prints it, made runnable on a real
 * Trino with as few changes as possible:
 * - every Athena statement runs as printed, except that S3 locations become `local:///`
 *   locations and the Athena-only CTAS properties are dropped or mapped (`table_type = 'ICEBERG'`
 *   and `is_external = false` are what a Trino Iceberg catalog does anyway; `write_compression`
 *   is Trino's `compression_codec` session property);
 * - the Glue calls that change the catalog become their Trino equivalent: an Iceberg table
 *   published through Glue is registered (`register_table`) at the location the CTAS wrote, a
 *   candidate removed from Glue is unregistered (its data stays, as on Glue); a landing JSON table
 *   is a Hive `OPENX_JSON` table over the parts the runner's own Athena landing sink wrote (a
 *   first-build plan has none, so they come from a real ingestion, see `landingParts`);
 *   an UpdateTable that only stamps a candidate's owner parameters changes nothing on Trino.
 * Anything else (another property, an S3 location outside the lake bucket, a Glue call on a
 * table the plan did not create) throws: what cannot be mapped is not run differently.
 */

export type PlanStep =
  | { kind: 'sql'; sql: string }
  | { kind: 'glue'; op: 'CreateTable' | 'UpdateTable' | 'DeleteTable'; input: GlueInput };

export interface GlueInput {
  DatabaseName: string;
  Name?: string;
  TableInput?: {
    Name: string;
    StorageDescriptor?: { Columns?: { Name: string; Type: string }[]; Location?: string; InputFormat?: string };
    Parameters?: Record<string, string>;
  };
}

const CALL = /^(athena|glue|s3):([A-Za-z0-9]+)\b ?(.*)$/;
const REPORT = /^(\d\d:\d\d:\d\d |Finished running|Done\.)/;

/** The statements and catalog changes of a dry run's output, in order (reads are left out). */
export function planSteps(out: string): PlanStep[] {
  const steps: PlanStep[] = [];
  let sql: string[] | undefined;
  const flush = () => {
    if (sql) steps.push({ kind: 'sql', sql: sql.join('\n').trim() });
    sql = undefined;
  };
  for (const line of out.split('\n')) {
    const m = CALL.exec(line);
    if (!m && !REPORT.test(line)) {
      sql?.push(line);
      continue;
    }
    flush();
    if (m?.[1] === 'athena' && m[2] === 'StartQueryExecution') sql = [];
    else if (m?.[1] === 'glue' && (m[2] === 'CreateTable' || m[2] === 'UpdateTable' || m[2] === 'DeleteTable')) steps.push({ kind: 'glue', op: m[2], input: JSON.parse(m[3]!) as GlueInput });
  }
  flush();
  return steps;
}

export interface TrinoStatement {
  sql: string;
  session?: Record<string, string>;
  /** A data test's statement: `select count(*) as failures from (<the test's SQL>) as stedi_test`. */
  test?: string;
}

export interface PlanMapping {
  /** The S3 prefix the plan's locations start with (`s3://<bucket>/`), which becomes `local:///`. */
  s3Prefix: string;
  /**
   * Where each landing table's parts are (a `local:///` folder), by published table name; or, for a
   * real build (tests/helpers/trino-aws.ts), a function of the Glue table that returns a folder
   * holding exactly the parts its symlink manifest lists.
   */
  landingParts: Record<string, string> | ((table: NonNullable<GlueInput['TableInput']>) => string);
}

/** A candidate's published name: `<name>__stedi_<version>` → `<name>`. */
export function publishedName(name: string): string {
  return name.replace(/__stedi_\d{8}t\d{6}z_[0-9a-f]{8}$/, '');
}

const TEST = /^select count\(\*\) as failures from \(\n([\s\S]*)\n\) as stedi_test$/;

/** Maps the plan's steps to Trino statements; keeps which table is Iceberg or Hive as it goes. */
export class PlanOnTrino {
  private readonly kinds = new Map<string, 'iceberg' | 'hive' | 'view'>();
  /** Where each registered Iceberg table is (its Glue location), by name. */
  private readonly locations = new Map<string, string>();

  constructor(private readonly mapping: PlanMapping) {}

  statements(step: PlanStep): TrinoStatement[] {
    return step.kind === 'sql' ? [this.statement(step.sql)] : this.glue(step.op, step.input);
  }

  private local(text: string): string {
    const out = text.split(this.mapping.s3Prefix).join('local:///');
    if (/s3:\/\//i.test(out)) throw new Error(`an S3 location outside ${this.mapping.s3Prefix}:\n${text}`);
    return out;
  }

  private statement(printed: string): TrinoStatement {
    const sql = this.local(printed);
    const test = TEST.exec(sql);
    if (test) return { sql, test: test[1]! };
    const view = /^CREATE (?:OR REPLACE )?VIEW "[^"]+"\."([^"]+)"/.exec(sql);
    if (view) this.kinds.set(view[1]!, 'view');
    // an INSERT INTO a Hive table (a partitioned CTAS's next intervals): into the Hive catalog
    const insert = /^INSERT INTO "([^"]+)"\."([^"]+)"\n/.exec(sql);
    if (insert && this.kinds.get(insert[2]!) === 'hive') return { sql: `INSERT INTO hive."${insert[1]}"."${insert[2]}"\n${sql.slice(insert[0].length)}` };
    const ctas = /^CREATE TABLE "([^"]+)"\."([^"]+)"\nWITH \((.*)\)\nAS\n/.exec(sql);
    if (!ctas) return { sql };
    const session: Record<string, string> = {};
    const kept: string[] = [];
    const props = ctasProperties(ctas[3]!);
    // a Hive CTAS (Parquet at an external location, maybe partitioned) goes to the Hive catalog
    const hive = props.some(([k]) => k === 'external_location');
    for (const [key, value] of props) {
      if (key === 'table_type' && value === "'ICEBERG'") continue;
      if (key === 'is_external' && value === 'false') continue;
      if (key === 'write_compression') session[`${hive ? 'hive' : 'iceberg'}.compression_codec`] = value.slice(1, -1);
      else if (key === 'location' || key === 'format') kept.push(`${key} = ${value}`);
      else if (hive && (key === 'external_location' || key === 'partitioned_by')) kept.push(`${key} = ${value}`);
      else throw new Error(`a CTAS property with no Trino mapping: ${key} = ${value}`);
    }
    this.kinds.set(ctas[2]!, hive ? 'hive' : 'iceberg');
    const head = `CREATE TABLE ${hive ? 'hive.' : ''}"${ctas[1]}"."${ctas[2]}"\nWITH (${kept.join(', ')})\nAS\n`;
    return { sql: head + sql.slice(ctas[0].length), session };
  }

  private glue(op: 'CreateTable' | 'UpdateTable' | 'DeleteTable', input: GlueInput): TrinoStatement[] {
    const db = input.DatabaseName;
    const name = input.TableInput?.Name ?? input.Name ?? '';
    if (op === 'UpdateTable') {
      if (!this.kinds.has(name)) throw new Error(`glue:UpdateTable of ${name}, which is not a candidate this plan created: no Trino mapping`);
      // a candidate stamped with its owner, or a view stamped after CREATE OR REPLACE VIEW: nothing changes on Trino
      if (publishedName(name) !== name || this.kinds.get(name) === 'view') return [];
      // a published table takes a new version: registered anew when its location moved
      return this.publishAgain(db, name, input.TableInput!);
    }
    if (op === 'DeleteTable') {
      const kind = this.kinds.get(name);
      this.kinds.delete(name);
      if (kind === 'iceberg') return [{ sql: `CALL iceberg.system.unregister_table(schema_name => '${db}', table_name => '${name}')` }];
      if (kind === 'hive') return [{ sql: `DROP TABLE hive."${db}"."${name}"` }];
      if (kind === 'view') return [{ sql: `DROP VIEW iceberg."${db}"."${name}"` }];
      throw new Error(`glue:DeleteTable of ${name}, which this plan did not create`);
    }
    const table = input.TableInput!;
    if (this.kinds.has(name)) throw new Error(`glue:CreateTable of ${name}, which exists`);
    return this.create(db, name, table);
  }

  private create(db: string, name: string, table: NonNullable<GlueInput['TableInput']>): TrinoStatement[] {
    if (table.Parameters?.table_type === 'ICEBERG') {
      this.kinds.set(name, 'iceberg');
      const location = this.local(table.StorageDescriptor?.Location ?? '').replace(/\/$/, '');
      this.locations.set(name, location);
      return [{ sql: `CALL iceberg.system.register_table(schema_name => '${db}', table_name => '${name}', table_location => '${location}')` }];
    }
    const classification = table.Parameters?.classification;
    if (classification === 'json' || (classification === 'parquet' && /SymlinkTextInputFormat$/.test(table.StorageDescriptor?.InputFormat ?? ''))) {
      const given = this.mapping.landingParts;
      const parts = typeof given === 'function' ? given(table) : given[publishedName(name)];
      if (!parts) throw new Error(`no landing parts for ${name}`);
      this.kinds.set(name, 'hive');
      const columns = (table.StorageDescriptor?.Columns ?? []).map((c) => `"${c.Name}" ${trinoType(c.Type)}`);
      return [{ sql: `CREATE TABLE hive."${db}"."${name}" (${columns.join(', ')})\nWITH (format = '${classification === 'json' ? 'OPENX_JSON' : 'PARQUET'}', external_location = '${parts}')` }];
    }
    throw new Error(`glue:CreateTable of ${name}: neither an Iceberg nor a JSON table`);
  }

  /**
   * A published table's next version (Glue UpdateTable). An Iceberg table whose location stays is
   * the same Trino table (a MERGE INTO it committed on Trino already; Glue only records it); one
   * that moved is unregistered and registered at its new location. A landing table is dropped and
   * created over the new version's parts.
   */
  private publishAgain(db: string, name: string, table: NonNullable<GlueInput['TableInput']>): TrinoStatement[] {
    const kind = this.kinds.get(name);
    if (kind === 'iceberg' && table.Parameters?.table_type === 'ICEBERG') {
      const location = this.local(table.StorageDescriptor?.Location ?? '').replace(/\/$/, '');
      if (this.locations.get(name) === location) return [];
      return [{ sql: `CALL iceberg.system.unregister_table(schema_name => '${db}', table_name => '${name}')` }, ...this.create(db, name, table)];
    }
    if (kind === 'hive' && (table.Parameters?.classification === 'json' || table.Parameters?.classification === 'parquet')) return [{ sql: `DROP TABLE hive."${db}"."${name}"` }, ...this.create(db, name, table)];
    throw new Error(`glue:UpdateTable of ${name} (${kind}) to a table of another kind: no Trino mapping`);
  }
}

/** `a = 'x', b = false` → [['a', "'x'"], ['b', 'false']] (values are literals without commas). */
function ctasProperties(text: string): [string, string][] {
  return text.split(/,\s*(?=[a-z_]+ = )/).map((p) => {
    const m = /^([a-z_]+) = (.+)$/.exec(p.trim());
    if (!m) throw new Error(`a CTAS property stedi cannot read: ${p}`);
    return [m[1]!, m[2]!];
  });
}

/** A Glue (Hive) column type as Trino names it. */
function trinoType(hive: string): string {
  const t = hive.toLowerCase();
  if (t === 'string' || /^varchar(\(\d+\))?$/.test(t)) return t === 'string' ? 'varchar' : t;
  if (t === 'integer' || t === 'real') return t;
  if (t === 'int') return 'integer';
  if (t === 'float') return 'real';
  if (/^(bigint|smallint|tinyint|double|boolean|date|timestamp|decimal\(\d+,\s*\d+\))$/.test(t)) return t;
  throw new Error(`a Glue column type with no Trino mapping: ${hive}`);
}
