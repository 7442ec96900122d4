/**
 * Guarantee: templates cannot run code. No template stedi renders — a model, a macro, a source
 * `location`, a data test's ref()/source() argument, a custom generic test, the model a unit
 * test renders — can reach a constructor, a prototype, `process`, `require`, `globalThis` or any
 * Node API, by any path (runner/compiler/sandbox.ts).
 *
 * Every attempt below carries a real payload: JavaScript that writes a marker file and returns
 * STEDI_SUBJECT_KEY (set to a sentinel). For each, the test asserts the guarantee itself — the
 * marker was not written, the sentinel appears nowhere in the compile's output — and that the
 * compile failed with an error naming the file and line. The positive controls show the same
 * payloads do run in a plain nunjucks environment, and that normal templates render as before.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nunjucks from 'nunjucks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileForTarget } from '../../runner/compiler/for-target.js';
import { parseProject } from '../../runner/project/parse.js';
import type { Diagnostic } from '../../runner/core/diagnostics.js';
import { copyFixture, explain, removeFixtures, stedi, write } from '../helpers/stedi.js';

const SENTINEL = 'sentinel-3b1f9c-not-a-real-key';
const PROJECT = `name: demo
default-target: local
vars:
  landing_root: landing
targets:
  local: { type: duckdb }
  athena: { type: athena, region: eu-west-1, database: lakedb, workgroup: wg, s3_data_dir: "s3://b/zones" }
models:
  +materialized: table
`;

let scratch: string;
let savedKey: string | undefined;
const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();

beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-sandbox-'));
  savedKey = process.env.STEDI_SUBJECT_KEY;
  process.env.STEDI_SUBJECT_KEY = SENTINEL;
});

afterAll(() => {
  if (savedKey === undefined) delete process.env.STEDI_SUBJECT_KEY;
  else process.env.STEDI_SUBJECT_KEY = savedKey;
  fs.rmSync(scratch, { recursive: true, force: true });
  removeFixtures();
});

let markers = 0;
/** A fresh marker path and JavaScript that writes it and returns the secret (no double quotes, no backslashes). */
function payload(): { marker: string; js: string } {
  const marker = path.join(scratch, `marker-${++markers}`);
  return { marker, js: `process.getBuiltinModule('fs').writeFileSync('${marker}', 'pwned'); return process.env.STEDI_SUBJECT_KEY` };
}

function compileProject(files: Record<string, string>, target = 'local'): { output: string; errors: Diagnostic[] } {
  const all = { 'stedi_project.yml': PROJECT, 'models/m.sql': 'select 1 as a', ...files };
  const parsed = parseProject(Object.entries(all).map(([p, text]) => ({ path: p, text })));
  const diagnostics = [...parsed.diagnostics];
  let manifest: unknown;
  if (parsed.project) {
    const c = compileForTarget(parsed.project, { target, env: { ...process.env }, now: new Date(0) });
    diagnostics.push(...c.configDiagnostics, ...c.compileDiagnostics);
    manifest = c.manifest;
  }
  return { output: JSON.stringify({ manifest, diagnostics }), errors: diagnostics.filter((d) => d.severity === 'error') };
}

interface Attempt {
  name: string;
  /** The project files of the attempt, given the payload's JavaScript. */
  files: (js: string) => Record<string, string>;
  /** The error expected: code, file, line. */
  code: string;
  file: string;
  line: number;
}

const model = (name: string, tpl: (js: string) => string, line = 1, code = 'E_SANDBOX'): Attempt => ({
  name: `model: ${name}`, files: (js) => ({ 'models/m.sql': tpl(js) }), code, file: 'models/m.sql', line,
});
const macro = (name: string, text: (js: string) => string, line: number, code = 'E_SANDBOX'): Attempt => ({
  name: `macro: ${name}`, files: (js) => ({ 'macros/evil.sql': text(js) }), code, file: 'macros/evil.sql', line,
});
/** A macro from macros/ called by a model: reported at the model's line that called it. */
const viaMacro = (name: string, text: (js: string) => string, call: string, line: number): Attempt => ({
  name: `macro called by a model: ${name}`, files: (js) => ({ 'macros/evil.sql': text(js), 'models/m.sql': `select 1 as a\n${call}` }), code: 'E_SANDBOX', file: 'models/m.sql', line,
});
const yaml = (s: string) => JSON.stringify(s);
const source = (name: string, location: (js: string) => string): Attempt => ({
  name: `source location: ${name}`,
  files: (js) => ({ 'models/src.yml': `version: 2\nsources:\n  - name: landing\n    tables:\n      - name: c\n        location: ${yaml(location(js))}\n        columns: [{ name: a, data_type: bigint }]\n` }),
  code: 'E_SANDBOX', file: 'models/src.yml', line: 5,
});
const testArg = (name: string, to: (js: string) => string): Attempt => ({
  name: `data test argument: ${name}`,
  files: (js) => ({ 'models/p.yml': `version: 2\nmodels:\n  - name: m\n    columns:\n      - name: a\n        tests:\n          - relationships: { to: ${yaml(to(js))}, field: a }\n` }),
  code: 'E_SANDBOX', file: 'models/p.yml', line: 7,
});
const customTest = (name: string, body: (js: string) => string): Attempt => ({
  name: `custom generic test: ${name}`,
  files: (js) => ({
    'macros/test_evil.sql': `{% macro test_evil(model, column_name, arg) %}\nselect * from {{ model }} where ${body(js)}\n{% endmacro %}\n`,
    'models/p.yml': 'version: 2\nmodels:\n  - name: m\n    columns:\n      - name: a\n        tests:\n          - evil: { arg: "x y" }\n',
  }),
  code: 'E_SANDBOX', file: 'models/p.yml', line: 7,
});

const CON = "'con' ~ 'structor'";
const ATTEMPTS: Attempt[] = [
  // constructors of the globals, written out and computed
  model('range.constructor', (js) => `{{ range.constructor("${js}")() }}`),
  model('cycler.constructor', (js) => `{{ cycler.constructor("${js}")() }}`),
  model('joiner.constructor', (js) => `{{ joiner.constructor("${js}")() }}`),
  model('ref.constructor', (js) => `{{ ref.constructor("${js}")() }}`),
  model('var.constructor', (js) => `{{ var.constructor("${js}")() }}`),
  model('config.constructor of a string result', (js) => `{{ config().constructor.constructor("${js}")() }}`),
  model('computed key by ~', (js) => `{{ range[${CON}]("${js}")() }}`),
  model('computed key from {% set %}', (js) => `{% set k = 'constructor' %}\n{{ range[k]("${js}")() }}`, 2),
  model('computed key through a filter', (js) => `{{ range['CONSTRUCTOR' | lower]("${js}")() }}`),
  model('computed key through a string method', (js) => `{{ range['rotcurtsnoc'.split('') | reverse | join]("${js}")() }}`),
  model('unicode escape in a string key', (js) => `{{ range["\\u0063onstructor"]("${js}")() }}`),
  model('key passed as a macro argument', (js) => `{% macro get(o, k) %}{{ o[k]("${js}")() }}{% endmacro %}\n{{ get(range, 'constructor') }}`),
  // members of functions
  model('range.call', () => `{{ range['ca' ~ 'll'](none, 3) }}`),
  model('ref.apply', () => `{{ ref['ap' ~ 'ply'](none, ['m']) }}`),
  model('range.bind', () => `{{ range['bi' ~ 'nd'](none)(3) }}`),
  model("a macro's members", (js) => `{% macro m() %}{% endmacro %}\n{{ m[${CON}]("${js}")() }}`, 2),
  model('caller.apply in a call block', () => `{% macro m() %}{{ caller['ap' ~ 'ply'](none, []) }}{% endmacro %}\n{% call m() %}x{% endcall %}`),
  model('caller.constructor', (js) => `{% macro m() %}{{ caller.constructor("${js}")() }}{% endmacro %}\n{% call m() %}x{% endcall %}`),
  model('adapter.dispatch.constructor', (js) => `{{ adapter.dispatch[${CON}]("${js}")() }}`),
  model('exceptions.raise_compiler_error.constructor', (js) => `{{ exceptions.raise_compiler_error[${CON}]("${js}")() }}`),
  model('a cycler\'s next', (js) => `{{ cycler(1).next[${CON}]("${js}")() }}`),
  model('the function joiner() returns', (js) => `{{ joiner()[${CON}]("${js}")() }}`),
  model('a string method\'s members', () => `{{ 'x'.concat['ca' ~ 'll'](none, 'y') }}`),
  // names that fall through to Object.prototype, and Node's globals
  model('{{ constructor }}', (js) => `{{ constructor("${js}") }}`),
  model('{{ toString }}', () => '{{ toString() }}'),
  model('{{ __proto__ }}', () => '{{ __proto__ }}'),
  model('{{ __lookupGetter__ }}', () => "{{ __lookupGetter__('__proto__') }}"),
  model('{{ process }}', () => '{{ process.env.STEDI_SUBJECT_KEY }}'),
  model('{{ require }}', () => "{{ require('child_process').execSync('id') }}"),
  model('{{ globalThis }}', () => '{{ globalThis.process.env.STEDI_SUBJECT_KEY }}'),
  model('{{ Function }}', (js) => `{{ Function("${js}")() }}`),
  model('{{ eval }}', (js) => `{{ eval("(function(){${js}})()") }}`),
  // prototypes of data
  model('target.__proto__', () => '{{ target.__proto__.polluted }}'),
  model('target computed __proto__', () => "{{ target['__pro' ~ 'to__'] }}"),
  model('this (a string).constructor', (js) => `{{ this.constructor.constructor("${js}")() }}`),
  model('loop.constructor', (js) => `{% for x in [1] %}{{ loop[${CON}][${CON}]("${js}")() }}{% endfor %}`),
  model('a var value\'s constructor', (js) => `{{ var('landing_root')[${CON}]("${js}")() }}`),
  model("a mapping's inherited member", () => "{% set d = {'a': 1} %}\n{{ d['hasOwn' ~ 'Property']('a') }}", 2),
  model('a list\'s constructor', (js) => `{{ [][${CON}][${CON}]("${js}")() }}`),
  model('a macro\'s output (SafeString)', (js) => `{% macro m() %}x{% endmacro %}\n{{ m()[${CON}][${CON}]("${js}")() }}`, 2),
  // callbacks and methods that are not data
  model('a string method with a callback', () => "{{ 'abc'.replace('a', range) }}"),
  model('a list method outside the allow-list (map)', () => '{{ [1, 2].map(range) }}'),
  model('a mutating list method (push)', () => "{{ [1].push(2) }}"),
  model('a list holding a function', () => '{{ [range].join() }}'),
  // loops
  model('looping over a function', () => '{% for k, v in range %}{{ v }}{% endfor %}'),
  model('a function found by looping over a mapping', (js) => `{% for k, v in adapter %}{{ v[${CON}]("${js}")() }}{% endfor %}`),
  model('looping over a macro\'s output', (js) => `{% macro m() %}ab{% endmacro %}\n{% for k, v in m() %}{{ v[${CON}]("${js}")() }}{% endfor %}`, 2),
  // filters
  model('sort(attribute=constructor)', () => "{{ [{'a': 1}] | sort(attribute='constructor') }}"),
  model('groupby(__proto__)', () => "{{ [{'a': 1}] | groupby('__proto__') }}"),
  model('sum(constructor.constructor)', () => "{{ [{'a': 1}] | sum('constructor.constructor') }}"),
  model('join with an attribute', () => "{{ [{'a': 1}] | join(',', 'constructor') }}"),
  model('selectattr(constructor)', () => "{{ [{'a': 1}] | selectattr('constructor') }}"),
  model('a filter named constructor', () => "{{ 'x' | constructor }}"),
  model('{% filter %} block named constructor', () => '{% filter constructor %}x{% endfilter %}'),
  model('a function through a filter', () => "{{ 'x' | replace('x', range) }}"),
  model('groupby with a function', () => '{{ [1] | groupby(range) }}'),
  model('a filter outside the allow-list', () => "{{ 'x' | attr('constructor') }}", 1, 'E_TEMPLATE_RENDER'),
  // printing a function
  model('printing a function (its source)', () => '{{ ref }}'),
  model('concatenating a function', () => "{{ range ~ '' }}"),
  model('capturing a function into a string', () => '{% set s %}{{ joiner }}{% endset %}{{ s }}'),
  // tests, names and keys nunjucks writes into generated JavaScript
  model('a test named constructor', () => '{{ 1 is constructor }}'),
  model('code in a test name', (js) => `{{ 1 is "defined\\"), (function(){${js.replace('return ', '')}})(), (\\"" }}`),
  model('code in a {% set %} target', (js) => `{% set "a\\"); (function(){${js.replace('return ', '')}})(); (\\"" = 1 %}`),
  model('code in a {% set %} target inside a {% set %} block', (js) => `{% set x %}{% set "a\\"); (function(){${js.replace('return ', '')}})(); (\\"" = 1 %}{% endset %}{{ x }}`),
  model('{% include %} inside a {% set %} block', () => "{% set x %}{% include 'x' %}{% endset %}{{ x }}"),
  model('code in a test name inside a {% set %} block', (js) => `{% set x %}{{ 1 is "defined\\"), (function(){${js.replace('return ', '')}})(), (\\"" }}{% endset %}`),
  model('code in a macro keyword name', (js) => `{% macro m(a, "b\\", (function(){${js.replace('return ', '')}})(), \\""=1) %}{% endmacro %}`),
  model('code in a loop variable name', (js) => `{% for a, "b\\"); (function(){${js.replace('return ', '')}})(); (\\"" in [[1, 2]] %}{% endfor %}`),
  model('code in a called name', () => '{{ x["\\\\\\"), 1, (\\""]() }}', 1, 'E_TEMPLATE_RENDER'),
  model('{% set __proto__ %}', () => '{% set __proto__ = range %}'),
  model('{% macro constructor %}', () => '{% macro constructor() %}{% endmacro %}'),
  model('a macro argument named toString', () => '{% macro m(toString) %}{% endmacro %}'),
  model('a loop variable named __proto__', () => '{% for __proto__ in [1] %}{% endfor %}'),
  model('a dict key __proto__', () => "{{ {'__proto__': range} }}"),
  model('a keyword argument __proto__', () => "{{ ref('m', __proto__=range) }}"),
  // loading other templates or files
  model('{% include %} a file', () => "{% include '/etc/passwd' %}"),
  model('{% include %} a computed name', () => "{% include var('landing_root') ~ '/../../etc/passwd' %}"),
  model('{% import %}', () => "{% import 'other.sql' as o %}"),
  model('{% from import %}', () => "{% from 'other.sql' import m %}"),
  model('{% extends %}', () => "{% extends 'base.sql' %}"),
  model('{% block %}', () => '{% block b %}x{% endblock %}'),
  model('a regular-expression literal', () => "{{ 'a' | replace(r/a/g, range) }}"),
  model('{% asyncEach %}', () => '{% asyncEach x in [1] %}{{ x }}{% endeach %}'),
  model('env_var() in a model', () => "{{ env_var('STEDI_SUBJECT_KEY') }}", 1, 'E_COMPILER_ERROR'),
  model('range() as a memory bomb', () => '{{ range(1000000000) | length }}'),
  model('a filter as a memory bomb', () => '{{ [1] | slice(1000000000) | length }}'),
  // stedi's functions take values: a function would only turn into its source text
  model('a function passed to config()', () => '{{ config(tags=[range]) }}'),
  model('a function passed to ref()', () => '{{ ref(range) }}'),
  model('a function passed to exceptions.raise_compiler_error', () => '{{ exceptions.raise_compiler_error(ref) }}'),
  {
    name: 'data test argument: a name that is template code',
    files: (js) => ({ 'models/p.yml': `version: 2\nmodels:\n  - name: m\n    columns:\n      - name: a\n        tests:\n          - not_null: { ${yaml(`x=1) }}{{ range.constructor("${js}")() }}{{ ref('m'`)}: 1 }\n` }),
    code: 'E_BAD_NAME', file: 'models/p.yml', line: 7,
  },
  {
    name: 'data test argument: a name that is __proto__',
    files: () => ({ 'models/p.yml': 'version: 2\nmodels:\n  - name: m\n    columns:\n      - name: a\n        tests:\n          - accepted_values: { arguments: { values: [1], __proto__: { polluted: 1 } } }\n' }),
    code: 'E_BAD_NAME', file: 'models/p.yml', line: 7,
  },
  // macros in macros/: top-level code, and code reached through a call
  macro('top-level code', (js) => `{{ range.constructor("${js}")() }}`, 1),
  macro('top-level computed access', (js) => `\n{% set f = range[${CON}]("${js}") %}`, 2),
  viaMacro('computed access on an argument', (js) => `{% macro leak(x) %}\n{{ x[${CON}]("${js}")() }}\n{% endmacro %}`, '{{ leak(range) }}', 2),
  viaMacro('adapter.dispatch to an evil macro', (js) => `{% macro default__evil(x) %}{{ x[${CON}]("${js}")() }}{% endmacro %}`, "{{ adapter.dispatch('evil')(cycler) }}", 2),
  // rendered YAML values
  source('written out', (js) => `{{ range.constructor("${js}")() }}`),
  source('computed', (js) => `{{ var('landing_root')[${CON}][${CON}]("${js}")() }}`),
  testArg('breaking out of the argument', (js) => `ref('m') }}{{ range.constructor("${js}")() }}{{ ref('m')`),
  testArg('computed', (js) => `ref('m') ~ range[${CON}]("${js}")()`),
  customTest('computed access on its argument', (js) => `{{ arg[${CON}][${CON}]("${js}")() }}`),
  customTest('the model relation\'s constructor', (js) => `{{ model[${CON}][${CON}]("${js}")() }}`),
];

describe('templates cannot run code', () => {
  it('holds a large table of distinct escape attempts', () => {
    expect(ATTEMPTS.length).toBeGreaterThanOrEqual(80);
    expect(new Set(ATTEMPTS.map((a) => a.name)).size).toBe(ATTEMPTS.length);
  });

  for (const attempt of ATTEMPTS) {
    it(attempt.name, () => {
      const { marker, js } = payload();
      const files = attempt.files(js);
      const { output, errors } = compileProject(files);
      // the guarantee: nothing ran, nothing leaked
      expect(fs.existsSync(marker), 'the payload wrote its marker').toBe(false);
      expect(output).not.toContain(SENTINEL);
      expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
      // and the compile says where
      expect(errors.map((d) => ({ code: d.code, file: d.file, line: d.line })), output).toContainEqual({ code: attempt.code, file: attempt.file, line: attempt.line });
      for (const d of errors.filter((e) => e.code === 'E_SANDBOX')) expect(d.hint).toBeTruthy();
    });
  }

  it('unit tests: a var override is data, printed as a quoted literal, never rendered', () => {
    const { marker, js } = payload();
    const attack = `{{ range.constructor("${js}")() }}`;
    const { output, errors } = compileProject({
      'models/m.sql': "select {{ var('tag', 'none') }} as a",
      'models/p.yml': `version: 2\nunit_tests:\n  - name: t\n    model: m\n    overrides: { vars: { tag: ${yaml(attack)} } }\n    given: []\n    expect: { rows: [] }\n`,
    });
    expect(errors).toEqual([]);
    expect(fs.existsSync(marker)).toBe(false);
    expect(output).not.toContain(SENTINEL);
    const manifest = JSON.parse(output).manifest;
    expect(manifest.nodes['unit_test.demo.m.t'].compiled_code).toBe(`select '${attack.replaceAll("'", "''")}' as a`);
  });

  it('holds on the Athena target too (its unit tests render in a second environment)', () => {
    const { marker, js } = payload();
    const { output, errors } = compileProject({ 'models/m.sql': `{{ range[${CON}]("${js}")() }}` }, 'athena');
    expect(fs.existsSync(marker)).toBe(false);
    expect(output).not.toContain(SENTINEL);
    expect(errors.map((d) => d.code)).toContain('E_SANDBOX');
  });
});

describe('positive controls', () => {
  it('the payloads do run in a plain nunjucks environment: the attempts above are real', () => {
    const plain = new nunjucks.Environment([], { autoescape: false });
    const a = payload();
    expect(plain.renderString(`{{ range.constructor("${a.js}")() }}`, {})).toBe(SENTINEL);
    expect(fs.existsSync(a.marker)).toBe(true);
    const b = payload();
    plain.renderString(`{{ range[${CON}]("${b.js}")() }}`, {});
    expect(fs.existsSync(b.marker)).toBe(true);
    // nunjucks writes a {% set %} target into its generated JavaScript unescaped
    const c = payload();
    plain.renderString(`{% set "a\\"); (function(){${c.js.replace('return ', '')}})(); (\\"" = 1 %}`, {});
    expect(fs.existsSync(c.marker)).toBe(true);
  });

  it('normal templates render as before', () => {
    const { output, errors } = compileProject({
      'macros/util.sql': "{% macro cols(names) %}{% for n in names %}{{ ident(n) }}{{ ', ' if not loop.last }}{% endfor %}{% endmacro %}\n{% macro default__hi(x) %}hi_{{ x }}{% endmacro %}",
      'models/m.sql': [
        "{{ config(tags=['a']) }}",
        "{% set c = cycler('x', 'y') %}{% set j = joiner(' and ') %}",
        "select {{ cols(['a', 'b']) }}, {{ range(3) | join('') }} as r, '{{ 'Ab' | upper }}{{ 'AB'.toLowerCase() }}' as s,",
        "  {{ adapter.dispatch('hi')('z') }} as h, {{ c.next() }}{{ c.next() }} as cy, {{ [3, 1, 2] | sort | first }} as n",
        "{% for k, v in {'p': 1} %}-- {{ k }}={{ v }} {{ loop.index }}/{{ loop.length }}{% endfor %}",
        "where {% for x in ['a', 'b'] %}{{ j() }}{{ x }} > {{ 'abc'.split('b')[1] | length }}{% endfor %} {{ target.name }} {{ this }}",
        "{% if 'b' in 'abc' and 1 is odd and none is none and 'q' is string %}-- ok{% endif %}",
      ].join('\n'),
    });
    expect(errors).toEqual([]);
    const sql = JSON.parse(output).manifest.nodes['model.demo.m'].compiled_code;
    expect(sql).toBe([
      "select a, b, 012 as r, 'ABab' as s,",
      '  hi_z as h, xy as cy, 1 as n',
      '-- p=1 1/1',
      'where a > 1 and b > 1 local "main"."m"',
      '-- ok',
    ].join('\n'));
  });
});

describe('end to end through the CLI', () => {
  const attempts: { name: string; files: (js: string) => Record<string, string>; where: RegExp }[] = [
    { name: 'a model', files: (js) => ({ 'models/trusted/evil.sql': `select 1 as a\n{{ range.constructor("${js}")() }}\n` }), where: /E_SANDBOX models\/trusted\/evil\.sql:2:/ },
    { name: 'a macro, computed', files: (js) => ({ 'macros/evil.sql': `{% macro leak(x) %}{{ x[${CON}]("${js}")() }}{% endmacro %}`, 'models/trusted/evil.sql': 'select 1 as a\n\n{{ leak(range) }}\n' }), where: /E_SANDBOX models\/trusted\/evil\.sql:3: .*\(in macros\/evil\.sql:1\)/ },
    {
      name: 'a source location',
      files: (js) => ({ 'models/landing/evil.yml': `version: 2\nsources:\n  - name: evil\n    tables:\n      - name: t\n        location: ${yaml(`{{ range[${CON}]("${js}")() }}`)}\n        columns: [{ name: a, data_type: bigint }]\n` }),
      where: /E_SANDBOX models\/landing\/evil\.yml:5: evil\.t location/,
    },
    {
      name: 'a data test argument',
      files: (js) => ({ 'models/trusted/evil.yml': `version: 2\nmodels:\n  - name: customer_trusted\n    columns:\n      - name: n\n        tests:\n          - relationships: { to: ${yaml(`ref('customer_trusted') }}{{ range.constructor("${js}")() }}{{ ref('customer_trusted')`)}, field: n }\n` }),
      where: /E_SANDBOX models\/trusted\/evil\.yml:7:/,
    },
  ];
  for (const a of attempts) {
    it(`stedi compile refuses ${a.name}: exit 2, E_SANDBOX with file and line, nothing ran, the secret appears nowhere`, async () => {
      const dir = copyFixture('mini');
      const { marker, js } = payload();
      for (const [rel, text] of Object.entries(a.files(js))) write(dir, rel, text);
      const r = await stedi(dir, ['compile'], { env: { STEDI_SUBJECT_KEY: SENTINEL } });
      expect(r.code, explain(r)).toBe(2);
      expect(r.stderr).toMatch(a.where);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
      expect(fs.existsSync(marker)).toBe(false);
      expect(r.stdout + r.stderr).not.toContain(SENTINEL);
      for (const f of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
        if (f.isFile()) expect(fs.readFileSync(path.join(f.parentPath, f.name), 'utf8')).not.toContain(SENTINEL);
      }
    });
  }

  it('stedi show --inline refuses an escape in the inline SQL: exit 2, nothing ran', async () => {
    const dir = copyFixture('mini');
    const { marker, js } = payload();
    const r = await stedi(dir, ['show', '--inline', `select 1 as a, '{{ cycler[${CON}]("${js}")() }}' as b`], { env: { STEDI_SUBJECT_KEY: SENTINEL } });
    expect(r.code, explain(r)).toBe(2);
    expect(r.stderr).toMatch(/E_SANDBOX .*__stedi_inline__\.sql:1: member 'constructor' is not available/);
    expect(fs.existsSync(marker)).toBe(false);
    expect(r.stdout + r.stderr).not.toContain(SENTINEL);
  });
});

afterAll(() => {
  // no attempt may have left anything on Object.prototype or globalThis
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
  expect((globalThis as Record<string, unknown>).PWN).toBeUndefined();
});

describe('target settings cannot read secrets from the environment', () => {
  it('env_var() of STEDI_SUBJECT_KEY or an AWS secret in stedi_project.yml is a configuration error; the value appears nowhere', async () => {
    for (const name of ['STEDI_SUBJECT_KEY', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) {
      const dir = copyFixture('mini');
      const yml = fs.readFileSync(path.join(dir, 'stedi_project.yml'), 'utf8').replace('  alt: { type: duckdb, lake_dir: alt_lake, threads: 2 }', `  alt: { type: duckdb, lake_dir: alt_lake, threads: "{{ env_var('${name}') }}" }`);
      fs.writeFileSync(path.join(dir, 'stedi_project.yml'), yml);
      const secret = 'sentinel-secret-0123456789abcdef';
      const r = await stedi(dir, ['compile', '--target', 'alt'], { env: { [name]: secret } });
      expect(r.code, explain(r)).toBe(2);
      expect(r.stderr).toContain(`env_var('${name}') reads a secret`);
      expect(`${r.stdout}${r.stderr}`).not.toContain(secret);
      expect(fs.existsSync(path.join(dir, 'target/manifest.json'))).toBe(false);
    }
  });
});
