/**
 * The Glue Data Catalog side: landing tables created from the YAML schema, ownership markers,
 * table definitions copied from a candidate to the published name, and table versions.
 *
 * Ownership: every table stedi creates (published tables, candidates, landing tables) carries
 * `stedi_managed=true`, `stedi_project` and `stedi_target` in its Glue parameters, and every
 * table version that owns data records it in `stedi_location`. stedi changes or deletes only
 * tables that name its own project and target; a table of an earlier stedi (the marker without
 * a project) is taken as its own only by the node that published it (`stedi_node`).
 */
import type { Table, TableInput, TableVersion } from '@aws-sdk/client-glue';
import type { SourceNode } from '../../manifest/types.js';
import { EngineError } from '../types.js';
import { REJECTS_COLUMNS } from '../../landing/types.js';
import { mapType } from '../trino-sql/types-map.js';
import type { AwsApi } from './api.js';

export const MARKER = 'stedi_managed';
export const LOCATION_PARAM = 'stedi_location';
export const PROJECT_PARAM = 'stedi_project';
/** Rows of the published version (the volume guards compare a candidate with it). */
export const ROWS_PARAM = 'stedi_rows';
/** JSON of the inputs the version was built from (runner/execute/inputs.ts). */
export const INPUTS_PARAM = 'stedi_inputs';
export const TARGET_PARAM = 'stedi_target';

export interface Owner {
  project: string;
  target: string;
}

/** The parameters that name the owner of a table stedi creates. */
export function ownerParams(owner: Owner): Record<string, string> {
  return { [MARKER]: 'true', [PROJECT_PARAM]: owner.project, [TARGET_PARAM]: owner.target };
}

type Params = { Parameters?: Record<string, string> } | undefined;

export function isManaged(t: Params): boolean {
  return t?.Parameters?.[MARKER] === 'true';
}

/**
 * Whether `t` is this project's and target's: its owner parameters name them. A table of an
 * earlier stedi (the marker, but no owner recorded) is taken over by the node that publishes it
 * (`node`) unless it records another node; it is stamped with the owner from then on.
 */
export function isOwned(t: Params, owner: Owner, node?: string): boolean {
  const p = t?.Parameters;
  if (p?.[MARKER] !== 'true') return false;
  if (p[PROJECT_PARAM] !== undefined || p[TARGET_PARAM] !== undefined) return p[PROJECT_PARAM] === owner.project && p[TARGET_PARAM] === owner.target;
  return node !== undefined && (p.stedi_node === undefined || p.stedi_node === node);
}

/**
 * OpenX JSON SerDe properties of a landing table. The table reads the JSON lines that stedi's
 * landing ingestion wrote (runner/adapters/athena/landing.ts), never the delivered files: those
 * are validated line by line first, exactly as on the local target.
 * - `case.insensitive = TRUE` (the SerDe's default): keys match the lower-case Glue columns.
 * - `mapping.<column>` for every declared key that is not all lower case (Glue column names
 *   are): the value is the key lower-cased, because in case-insensitive mode the SerDe compares
 *   against lower-cased keys; a camelCase value would silently read NULLs there.
 * - `ignore.malformed.json = FALSE`: every line is stedi's own output, so a line the SerDe
 *   cannot read is a defect that must fail the query, never a row of NULLs.
 */
export function serdeProperties(node: { columns: readonly { name: string }[] }): Record<string, string> {
  const props: Record<string, string> = { 'case.insensitive': 'TRUE', 'dots.in.keys': 'FALSE', 'ignore.malformed.json': 'FALSE' };
  for (const c of node.columns) if (c.name !== c.name.toLowerCase()) props[`mapping.${c.name.toLowerCase()}`] = c.name.toLowerCase();
  return props;
}

type JsonTableSpec = { name: string; description: string; columns: readonly { name: string; data_type?: string; description?: string }[]; what: string };

/** A Glue table of gzipped JSON lines read with the OpenX SerDe. */
/**
 * A JSON-lines table. With `symlink`, `location` is a folder of manifests (text files listing the
 * s3:// URIs of the objects to read, one per line: Hive's SymlinkTextInputFormat, which Athena
 * reads as Delta Lake's manifest tables do): a landing table version then reads parts kept from
 * earlier ingestions without copying them.
 */
export function jsonTableInput(spec: JsonTableSpec, location: string, params: Record<string, string>, symlink = false): TableInput {
  return {
    Name: spec.name,
    Description: spec.description.trim().slice(0, 2048),
    TableType: 'EXTERNAL_TABLE',
    Parameters: { EXTERNAL: 'TRUE', classification: 'json', compressionType: 'gzip', ...params },
    StorageDescriptor: {
      Columns: spec.columns.map((c) => ({
        Name: c.name.toLowerCase(),
        Type: mapType(c.data_type, `${spec.what} column ${c.name}`).hive,
        ...(c.description ? { Comment: c.description.trim().slice(0, 255) } : {}),
      })),
      Location: location,
      InputFormat: symlink ? SYMLINK_INPUT_FORMAT : 'org.apache.hadoop.mapred.TextInputFormat',
      OutputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
      SerdeInfo: { SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe', Parameters: serdeProperties(spec) },
    },
  };
}

export const SYMLINK_INPUT_FORMAT = 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat';
/** A landing table's ingestion state (runner/landing/state.ts): the s3:// URI of its JSON. */
export const STATE_PARAM = 'stedi_state';
/** A landing table's version prefixes whose parts it reads (JSON array): pruning keeps them. */
export const PART_PREFIXES_PARAM = 'stedi_part_prefixes';

/** The prefixes a table version reads files from (`stedi_part_prefixes`); undefined when the parameter is not a JSON list of strings. */
export function partPrefixesOf(t: Params): string[] | undefined {
  try {
    const v = JSON.parse(t?.Parameters?.[PART_PREFIXES_PARAM] ?? '[]') as unknown;
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The landing table of a source, or the table of its rejects, under a Glue name. */
export function landingTableSpec(node: SourceNode, kind: 'accepted' | 'rejects', name: string): JsonTableSpec {
  const what = `source ${node.source_name}.${node.name}`;
  return kind === 'accepted'
    ? { name, description: node.description, columns: node.columns, what }
    : { name, description: `Lines of the landing files of ${node.source_name}.${node.name} that were quarantined, with file, line and reason.`, columns: REJECTS_COLUMNS, what: `${what} rejects` };
}

/** The writable part of a Glue table (GetTable output → UpdateTable/CreateTable input). */
export function tableInputOf(t: Table, name: string): TableInput {
  return {
    Name: name,
    ...(t.Description !== undefined ? { Description: t.Description } : {}),
    ...(t.Owner !== undefined ? { Owner: t.Owner } : {}),
    ...(t.Retention !== undefined ? { Retention: t.Retention } : {}),
    ...(t.StorageDescriptor ? { StorageDescriptor: t.StorageDescriptor } : {}),
    ...(t.PartitionKeys ? { PartitionKeys: t.PartitionKeys } : {}),
    ...(t.ViewOriginalText !== undefined ? { ViewOriginalText: t.ViewOriginalText } : {}),
    ...(t.ViewExpandedText !== undefined ? { ViewExpandedText: t.ViewExpandedText } : {}),
    ...(t.TableType !== undefined ? { TableType: t.TableType } : {}),
    Parameters: { ...(t.Parameters ?? {}) },
  };
}

function isNotFound(e: unknown): boolean {
  return (e as { name?: string }).name === 'EntityNotFoundException';
}

export function foreignTableError(database: string, name: string, what: string, t?: Params): EngineError {
  const p = t?.Parameters;
  const whose = isManaged(t)
    ? p?.[PROJECT_PARAM] !== undefined
      ? `belongs to stedi project '${p[PROJECT_PARAM]}', target '${p[TARGET_PARAM] ?? '?'}'`
      : `was made by an earlier stedi for another node (${p?.stedi_node ?? 'unknown'})`
    : `was not created by stedi (no ${MARKER} marker)`;
  return new EngineError(`${what}: the Glue table ${database}.${name} exists and ${whose}: stedi will not replace it nor touch its data. Give the node another name (config alias), use another Glue database for this target, or move that table away yourself.`);
}

export class Catalog {
  constructor(
    private readonly glue: AwsApi,
    private readonly database: string,
  ) {}

  async checkDatabase(): Promise<void> {
    try {
      await this.glue.call('GetDatabase', { Name: this.database });
    } catch (e) {
      if (isNotFound(e)) {
        throw new EngineError(`the Glue database '${this.database}' does not exist: create it once (aws glue create-database --database-input Name=${this.database}); stedi does not create databases`);
      }
      throw e;
    }
  }

  async get(name: string): Promise<Table | undefined> {
    try {
      return (await this.glue.call('GetTable', { DatabaseName: this.database, Name: name })).Table;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async create(input: TableInput): Promise<void> {
    await this.glue.call('CreateTable', { DatabaseName: this.database, TableInput: input });
  }

  /** Replaces the definition in one call; `versionId` makes it fail if someone changed it since. */
  async update(input: TableInput, versionId?: string, skipArchive = false): Promise<void> {
    try {
      await this.glue.call('UpdateTable', { DatabaseName: this.database, TableInput: input, ...(versionId ? { VersionId: versionId } : {}), ...(skipArchive ? { SkipArchive: true } : {}) });
    } catch (e) {
      if ((e as { name?: string }).name === 'ConcurrentModificationException') {
        throw new EngineError(`the Glue table ${this.database}.${input.Name} was changed by someone else during this build; nothing was published, run the build again`);
      }
      throw e;
    }
  }

  /** Removes the catalog entry only: Glue never deletes S3 data (unlike Athena's DROP TABLE on Iceberg). */
  async delete(name: string): Promise<void> {
    try {
      await this.glue.call('DeleteTable', { DatabaseName: this.database, Name: name });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /** Every version of a table, newest first; none when the table does not exist. */
  async versions(name: string): Promise<TableVersion[]> {
    const out: TableVersion[] = [];
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.glue.call('GetTableVersions', { DatabaseName: this.database, TableName: name, ...(token ? { NextToken: token } : {}) });
      } catch (e) {
        if (isNotFound(e)) return [];
        throw e;
      }
      out.push(...(page.TableVersions ?? []));
      token = page.NextToken;
    } while (token);
    return out.sort((a, b) => Number(b.VersionId ?? 0) - Number(a.VersionId ?? 0));
  }

  async deleteVersions(name: string, ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 100) {
      const r = await this.glue.call('BatchDeleteTableVersion', { DatabaseName: this.database, TableName: name, VersionIds: ids.slice(i, i + 100) });
      const failed = r.Errors ?? [];
      if (failed.length) throw new EngineError(`could not delete ${failed.length} Glue version(s) of ${this.database}.${name}: ${failed[0]?.ErrorDetail?.ErrorMessage ?? 'unknown error'}`);
    }
  }

  /** Tables whose name has the candidate form (`…__stedi_<version>`). */
  candidates(): Promise<Table[]> {
    return this.tables('.*__stedi_.*');
  }

  /** Every table of the database (matching a Glue name expression). */
  async tables(expression?: string): Promise<Table[]> {
    const out: Table[] = [];
    let token: string | undefined;
    do {
      const page = await this.glue.call('GetTables', { DatabaseName: this.database, ...(expression ? { Expression: expression } : {}), ...(token ? { NextToken: token } : {}) });
      out.push(...(page.TableList ?? []));
      token = page.NextToken;
    } while (token);
    return out;
  }
}
