/** `unit_tests:` entries of property files. Pure. */
import { isMap, type YAMLSeq } from 'yaml';
import { csvToRows } from './csv.js';
import {
  UNIT_TEST_EXPECT_KEYS,
  UNIT_TEST_GIVEN_KEYS,
  UNIT_TEST_KEYS,
  UNIT_TEST_MACRO_KEYS,
  UNIT_TEST_OVERRIDES_KEYS,
} from './schema.js';
import type { UnitTestSpec } from './types.js';
import { deref, describe, IDENT_RE, lineOf, mapItems, MapView, readName, toJS, type Ctx } from './yamlread.js';

/** `ref('x')` or `source('a', 'b')`, as written in SQL, or `this` (the model's own published rows, for its is_incremental() branch). */
export const UNIT_INPUT_RE =
  /^\s*(this|ref\(\s*(['"])[A-Za-z_][A-Za-z0-9_]*\2\s*\)|source\(\s*(['"])[A-Za-z_][A-Za-z0-9_]*\3\s*,\s*(['"])[A-Za-z_][A-Za-z0-9_]*\4\s*\))\s*$/;

type Rows = Record<string, unknown>[];
type Given = UnitTestSpec['given'][number];

export function readUnitTests(ctx: Ctx, seq: YAMLSeq): UnitTestSpec[] {
  const out: UnitTestSpec[] = [];
  for (const view of mapItems(ctx, seq, 'unit test')) {
    const t = readUnitTest(view);
    if (t) out.push(t);
  }
  return out;
}

function readUnitTest(view: MapView): UnitTestSpec | undefined {
  view.checkKeys(UNIT_TEST_KEYS, ['name', 'model', 'given', 'expect']);
  const name = readName(view, 'unit test');
  const v = new MapView(view.ctx, view.node, `unit test '${name ?? '?'}'`);
  const model = v.str('model');
  if (model !== undefined && !IDENT_RE.test(model)) {
    v.err('E_BAD_NAME', 'model', `${v.what}: model '${model}' is not a valid model name`);
  }
  const givenSeq = v.seq('given');
  const given = givenSeq ? mapItems(v.ctx, givenSeq, `${v.what} given`).map(readGiven) : [];
  const expectView = v.map('expect', `${v.what} expect`);
  const spec = {
    description: v.str('description') ?? '',
    given: given.filter((g): g is Given => g !== undefined),
    expect: { rows: expectView ? readRows(expectView, UNIT_TEST_EXPECT_KEYS) : [] },
    overrides: readOverrides(v),
  };
  if (name === undefined || model === undefined) return undefined;
  return { name, model, ...spec, loc: { file: v.ctx.file, line: v.line } };
}

function readOverrides(v: MapView): UnitTestSpec['overrides'] {
  const o = v.map('overrides', `${v.what} overrides`);
  if (!o) return { vars: {} };
  o.checkKeys(UNIT_TEST_OVERRIDES_KEYS);
  const m = o.map('macros', `${v.what} overrides macros`);
  m?.checkKeys(UNIT_TEST_MACRO_KEYS);
  const incremental = m?.bool('is_incremental');
  return { vars: o.record('vars') ?? {}, ...(incremental !== undefined ? { macros: { is_incremental: incremental } } : {}) };
}

function readGiven(view: MapView): Given | undefined {
  const input = view.str('input');
  if (input !== undefined && !UNIT_INPUT_RE.test(input)) {
    view.err('E_BAD_VALUE', 'input', `${view.what}: input '${input}' must be ref('name'), source('source', 'table') or this`);
  }
  const rows = readRows(view, UNIT_TEST_GIVEN_KEYS, ['input']);
  if (input === undefined) return undefined;
  return { input: input.trim(), rows, loc: { file: view.ctx.file, line: view.line } };
}

/** `rows:` as a list of mappings (format dict, the default) or CSV text (format csv). */
function readRows(view: MapView, keys: readonly string[], required: readonly string[] = []): Rows {
  view.checkKeys(keys, required);
  const format = view.str('format') ?? 'dict';
  if (format !== 'dict' && format !== 'csv') {
    view.err('E_BAD_VALUE', 'format', `${view.what}: format '${format}' is not supported`, "use 'dict' or 'csv'");
    return [];
  }
  return format === 'csv' ? csvRows(view) : dictRows(view);
}

function csvRows(view: MapView): Rows {
  const text = view.str('rows');
  if (text === undefined) return [];
  const { rows, error } = csvToRows(text);
  if (error) view.err('E_BAD_VALUE', 'rows', `${view.what}: ${error}`);
  return rows;
}

function dictRows(view: MapView): Rows {
  const seq = view.seq('rows');
  if (!seq) return [];
  const rows: Rows = [];
  for (const item of seq.items) {
    const n = deref(view.ctx, item);
    if (n !== undefined && isMap(n)) rows.push(toJS(view.ctx, n) as Record<string, unknown>);
    else view.ctx.bag.error('E_BAD_TYPE', view.ctx.file, lineOf(view.ctx, item), `${view.what}: each row must be a mapping, got ${describe(n)}`);
  }
  return rows;
}
