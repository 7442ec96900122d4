/**
 * Property files (models/**.yml): sources, models, seeds, unit_tests. Pure.
 * Cross-file checks (duplicate names) are done by the caller in parse.ts.
 */
import { isMap } from 'yaml';
import type { DiagnosticBag } from '../core/diagnostics.js';
import { readConfig, readTests } from './datatests.js';
import {
  COLUMN_KEYS,
  DERIVED_KEYS,
  MODEL_PROPS_KEYS,
  PROPERTY_FILE_KEYS,
  SEED_PROPS_KEYS,
  SOURCE_KEYS,
  SOURCE_TABLE_KEYS,
} from './schema.js';
import type { ColumnSpec, ModelPropsSpec, SeedPropsSpec, SourceSpec, SourceTableSpec, UnitTestSpec } from './types.js';
import { readUnitTests } from './unittests.js';
import { readFreshness } from './freshness.js';
import { describe, lineOf, mapItems, MapView, parseYaml, readName, toJS } from './yamlread.js';

export interface PropertyFile {
  sources: SourceSpec[];
  models: ModelPropsSpec[];
  seeds: SeedPropsSpec[];
  unitTests: UnitTestSpec[];
  /** The file could not be read (YAML syntax, hostile structure, not a mapping): whatever it declares is missing. */
  unreadable?: boolean;
}

export function parsePropertyFile(file: string, text: string, bag: DiagnosticBag): PropertyFile {
  const out: PropertyFile = { sources: [], models: [], seeds: [], unitTests: [] };
  const ctx = parseYaml(file, text, bag);
  if (!ctx) return { ...out, unreadable: true };
  const root = ctx.doc.contents;
  if (root === null || root === undefined) return out;
  if (!isMap(root)) {
    bag.error('E_BAD_TYPE', file, lineOf(ctx, root, 1), `property file must be a mapping, got ${describe(root)}`);
    return { ...out, unreadable: true };
  }
  const top = new MapView(ctx, root, file);
  top.checkKeys(PROPERTY_FILE_KEYS);
  const version = top.get('version');
  if (version !== undefined && toJS(ctx, version) !== 2) {
    top.err('E_BAD_VALUE', 'version', `property file version must be 2`);
  }
  out.sources = items(top, 'sources', 'source').map((v) => readSource(v)).filter(isDefined);
  out.models = items(top, 'models', 'model').map((v) => readEntry(v, 'model')).filter(isDefined);
  out.seeds = items(top, 'seeds', 'seed').map((v) => readEntry(v, 'seed')).filter(isDefined);
  const ut = top.seq('unit_tests');
  out.unitTests = ut ? readUnitTests(ctx, ut) : [];
  return out;
}

function isDefined<T>(v: T | undefined): v is T {
  return v !== undefined;
}

function items(view: MapView, key: string, what: string): MapView[] {
  const seq = view.seq(key);
  return seq ? mapItems(view.ctx, seq, what) : [];
}

function description(view: MapView): string {
  return view.str('description') ?? '';
}

function readSource(view: MapView): SourceSpec | undefined {
  view.checkKeys(SOURCE_KEYS, ['name', 'tables']);
  const name = readName(view, 'source');
  const tables = items(view, 'tables', `source '${name ?? '?'}' table`).map((t) => readSourceTable(t)).filter(isDefined);
  const freshness = readFreshness(view);
  const loadedAt = loadedAtField(view);
  if (name === undefined) return undefined;
  return { name, description: description(view), tables, ...(freshness !== undefined ? { freshness } : {}), ...(loadedAt !== undefined ? { loaded_at_field: loadedAt } : {}), loc: { file: view.ctx.file, line: view.line } };
}

function readSourceTable(view: MapView): SourceTableSpec | undefined {
  view.checkKeys(SOURCE_TABLE_KEYS, ['name', 'location']);
  const name = readName(view, 'source table');
  const what = `source table '${name ?? '?'}'`;
  const v = new MapView(view.ctx, view.node, what);
  const format = v.str('format') ?? 'json';
  if (format !== 'json') v.err('E_BAD_VALUE', 'format', `${what}: format '${format}' is not supported`, "only 'json' is supported");
  const spec = {
    description: description(v),
    location: v.str('location'),
    entity: v.str('entity'),
    config: readConfig(v, 'source_table'),
    columns: readColumns(v, true),
    tests: readTests(v),
  };
  const freshness = readFreshness(v);
  const loadedAt = loadedAtField(v);
  if (name === undefined || spec.location === undefined) return undefined;
  return { ...spec, ...(freshness !== undefined ? { freshness } : {}), ...(loadedAt !== undefined ? { loaded_at_field: loadedAt } : {}), name, location: spec.location, entity: spec.entity ?? name, format: 'json', loc: { file: v.ctx.file, line: v.line } };
}

function readEntry(view: MapView, kind: 'model' | 'seed'): ModelPropsSpec | undefined {
  view.checkKeys(kind === 'model' ? MODEL_PROPS_KEYS : SEED_PROPS_KEYS, ['name']);
  const name = readName(view, kind);
  const v = new MapView(view.ctx, view.node, `${kind} '${name ?? '?'}'`);
  const spec = {
    description: description(v),
    config: readConfig(v, kind),
    columns: readColumns(v, false),
    tests: readTests(v),
  };
  if (name === undefined) return undefined;
  return { name, ...spec, loc: { file: v.ctx.file, line: v.line } };
}

function readColumns(view: MapView, isSource: boolean): ColumnSpec[] {
  const cols = items(view, 'columns', `${view.what} column`)
    .map((c) => readColumn(c, view.what, isSource))
    .filter(isDefined);
  const seen = new Map<string, ColumnSpec>();
  for (const c of cols) {
    const first = seen.get(c.name.toLowerCase());
    if (first) {
      view.ctx.bag.error('E_DUPLICATE_PROPERTY', c.loc.file, c.loc.line, `${view.what}: column '${c.name}' is declared twice`, `first declared at ${first.loc.file}:${first.loc.line}`);
    } else seen.set(c.name.toLowerCase(), c);
  }
  return cols;
}

function readColumn(view: MapView, owner: string, isSource: boolean): ColumnSpec | undefined {
  view.checkKeys(COLUMN_KEYS, isSource ? ['name', 'data_type'] : ['name']);
  const name = readName(view, 'column');
  const v = new MapView(view.ctx, view.node, `${owner} column '${name ?? '?'}'`);
  const meta = v.record('meta') ?? {};
  if ('pii' in meta && typeof meta.pii !== 'boolean') {
    const metaView = v.map('meta', `${v.what} meta`);
    metaView?.typeErr('pii', 'a boolean (true/false)');
  }
  // what the column identifies, for `stedi forget` (runner/landing/erasure.ts)
  if ('identity' in meta) {
    const metaView = v.map('meta', `${v.what} meta`);
    if (meta.identity !== 'person' && meta.identity !== 'device') metaView?.typeErr('identity', "'person' (an email, any spelling) or 'device' (a device serial number)");
    else if (!isSource) metaView?.err('E_BAD_VALUE', 'identity', `${v.what}: meta.identity is only for columns of a landing source`, 'stedi forget finds a person in the landing records; models are rebuilt from them');
  }
  v.strList('tags', true);
  v.bool('quote');
  const derived = readDerived(v, isSource);
  const spec = { description: description(v), data_type: v.str('data_type'), meta, tests: readTests(v) };
  if (name === undefined) return undefined;
  const { data_type, ...rest } = spec;
  return { name, ...rest, ...(data_type !== undefined ? { data_type } : {}), ...(derived ? { derived } : {}), loc: { file: v.ctx.file, line: v.line } };
}

/**
 * `derived: {pseudonym_of: <column>}`: a source column stedi computes at ingestion, never reads
 * from a record. Only landing sources have it (a model computes its columns in SQL).
 */
function readDerived(v: MapView, isSource: boolean): { pseudonym_of: string } | undefined {
  if (v.get('derived') === undefined) return undefined;
  if (!isSource) {
    v.err('E_BAD_VALUE', 'derived', `${v.what}: 'derived' is only for columns of a landing source`, 'a model computes its columns in its SQL');
    return undefined;
  }
  const d = v.map('derived', `${v.what} derived`);
  if (!d) return undefined;
  d.checkKeys(DERIVED_KEYS, ['pseudonym_of']);
  const base = d.str('pseudonym_of');
  return base === undefined ? undefined : { pseudonym_of: base };
}

function loadedAtField(view: MapView): { column: string; loc: { file: string; line: number } } | undefined {
  const column = view.str('loaded_at_field');
  return column === undefined ? undefined : { column, loc: { file: view.ctx.file, line: view.valueLine('loaded_at_field') } };
}
