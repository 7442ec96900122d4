/**
 * Guarantee: hostile YAML is a user error, never a crash. A billion-laughs alias bomb, a
 * recursive alias, an alias to no anchor and absurdly deep nesting — in --vars, STEDI_VARS,
 * stedi_project.yml or any models/*.yml — stop the command with exit code 2 and a message that
 * names the source (and line), not an internal error with a stack trace
 * (runner/project/yaml-limits.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { parseVarsString } from '../../runner/project/resolve.js';
import { parseProject } from '../../runner/project/parse.js';
import { MAX_ALIAS_VALUES, MAX_YAML_DEPTH } from '../../runner/project/yaml-limits.js';
import { copyFixture, explain, removeFixtures, stedi, write } from '../helpers/stedi.js';

afterAll(removeFixtures);

/** `levels` levels of 9 aliases each: 9^levels values once expanded. */
function bomb(levels: number, indent = ''): string {
  const lines = [`${indent}l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]`];
  for (let i = 1; i <= levels; i++) lines.push(`${indent}l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(', ')}]`);
  return lines.join('\n');
}
const FLOW_BOMB = `{${bomb(8).split('\n').map((l) => l.trim()).join(', ')}}`;
const HOSTILE: Record<string, { text: string; code: string; message: RegExp }> = {
  'a billion-laughs alias bomb': { text: FLOW_BOMB, code: 'E_YAML_ALIAS', message: /alias bomb/ },
  'a recursive alias': { text: '{a: &a [1, *a]}', code: 'E_YAML_ALIAS', message: /recursive alias/ },
  'a recursive alias in a mapping': { text: '{a: &a {b: {c: *a}}}', code: 'E_YAML_ALIAS', message: /recursive alias/ },
  'an alias to no anchor': { text: '{a: *nowhere}', code: 'E_YAML_ALIAS', message: /names no anchor/ },
  'deep nesting': { text: `{a: ${'['.repeat(200)}${']'.repeat(200)}}`, code: 'E_YAML_DEPTH', message: /nested more than/ },
  'deep nesting through aliases': { text: `{a: &a ${'['.repeat(40)}1${']'.repeat(40)}, b: ${'['.repeat(40)}*a${']'.repeat(40)}}`, code: 'E_YAML_DEPTH', message: /nested more than/ },
  'nesting deeper than the parser can take': { text: `{a: ${'['.repeat(5000)}${']'.repeat(5000)}}`, code: 'E_BAD_VARS', message: /not valid YAML|Maximum call stack/ },
};

describe('--vars and STEDI_VARS (parseVarsString)', () => {
  for (const [name, h] of Object.entries(HOSTILE)) {
    it(`${name}: a diagnostic naming the source, no exception`, () => {
      const r = parseVarsString('--vars', h.text);
      expect(r.vars).toBeUndefined();
      expect(r.diagnostics).toHaveLength(1);
      expect(r.diagnostics[0]).toMatchObject({ code: h.code, file: '--vars', severity: 'error' });
      expect(r.diagnostics[0]!.message).toMatch(h.message);
    });
  }

  it('the limits leave room for real use: aliases and nesting well within them are read as before', () => {
    const r = parseVarsString('--vars', `{base: &b {country: DE, days: 30}, eu: [*b, *b, *b], deep: ${'['.repeat(MAX_YAML_DEPTH - 2)}1${']'.repeat(MAX_YAML_DEPTH - 2)}}`);
    expect(r.diagnostics).toEqual([]);
    expect(r.vars!.eu).toEqual([{ country: 'DE', days: 30 }, { country: 'DE', days: 30 }, { country: 'DE', days: 30 }]);
    expect(MAX_ALIAS_VALUES).toBeGreaterThanOrEqual(10_000);
  });

  it('nested aliases of a modest size are read; past the limit they are refused', () => {
    // 9^2 values: read; 9^5: refused (the YAML library's own alias check stops 9^3 in --vars too)
    expect(parseVarsString('--vars', `{${bomb(2).split('\n').map((l) => l.trim()).join(', ')}}`).diagnostics).toEqual([]);
    expect(parseVarsString('--vars', `{${bomb(5).split('\n').map((l) => l.trim()).join(', ')}}`).diagnostics.map((d) => d.code)).toEqual(['E_YAML_ALIAS']);
  });
});

describe('project files (parseProject)', () => {
  const project = (extra: string) => `name: demo\ndefault-target: local\ntargets:\n  local: { type: duckdb }\nvars:\n${extra}\n`;
  it('stedi_project.yml: an alias bomb in vars is E_YAML_ALIAS at the line of the alias that crosses the limit', () => {
    const r = parseProject([{ path: 'stedi_project.yml', text: project(bomb(8, '  ')) }]);
    expect(r.project).toBeUndefined();
    expect(r.diagnostics.map((d) => ({ code: d.code, file: d.file, line: d.line }))).toContainEqual({ code: 'E_YAML_ALIAS', file: 'stedi_project.yml', line: 10 });
  });

  it('models/*.yml: a recursive alias, a bomb and deep nesting each name the file and line', () => {
    const header = 'version: 2\nmodels:\n  - name: m\n    config:\n      meta:\n';
    const r = parseProject([
      { path: 'stedi_project.yml', text: project('  x: 1') },
      { path: 'models/m.sql', text: 'select 1' },
      { path: 'models/a.yml', text: `${header}        x: &x {y: [*x]}\n` },
      { path: 'models/b.yml', text: `${header}${bomb(8, '        ')}\n` },
      { path: 'models/c.yml', text: `${header}        x: ${'['.repeat(100)}${']'.repeat(100)}\n` },
    ]);
    const got = r.diagnostics.map((d) => ({ code: d.code, file: d.file, line: d.line }));
    expect(got).toContainEqual({ code: 'E_YAML_ALIAS', file: 'models/a.yml', line: 6 });
    expect(got).toContainEqual({ code: 'E_YAML_ALIAS', file: 'models/b.yml', line: 10 });
    expect(got).toContainEqual({ code: 'E_YAML_DEPTH', file: 'models/c.yml', line: 6 });
  });
});

describe('end to end through the CLI: exit code 2, the source named, no stack trace', () => {
  const noCrash = (stderr: string) => {
    expect(stderr).not.toMatch(/internal error/);
    expect(stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
    expect(stderr).not.toMatch(/FATAL ERROR|heap out of memory/);
  };

  for (const [name, h] of Object.entries(HOSTILE)) {
    it(`--vars with ${name}`, async () => {
      const dir = copyFixture('mini');
      const r = await stedi(dir, ['compile', '--vars', h.text]);
      expect(r.code, explain(r)).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`error ${h.code} --vars`));
      noCrash(r.stderr);
    });
  }

  it('STEDI_VARS with an alias bomb', async () => {
    const dir = copyFixture('mini');
    const r = await stedi(dir, ['compile'], { env: { STEDI_VARS: FLOW_BOMB } });
    expect(r.code, explain(r)).toBe(2);
    expect(r.stderr).toMatch(/error E_YAML_ALIAS STEDI_VARS:1: STEDI_VARS: aliases expand this YAML by more than \d+ values/);
    noCrash(r.stderr);
  });

  it('stedi_project.yml with an alias bomb', async () => {
    const dir = copyFixture('mini');
    const fs = await import('node:fs');
    const file = `${dir}/stedi_project.yml`;
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('  slow_rows: 2\n', `  slow_rows: 2\n${bomb(8, '  ')}\n`));
    const r = await stedi(dir, ['compile']);
    expect(r.code, explain(r)).toBe(2);
    expect(r.stderr).toMatch(/error E_YAML_ALIAS stedi_project\.yml:\d+: aliases expand/);
    noCrash(r.stderr);
  });

  it('models/*.yml with a recursive alias and with an alias bomb', async () => {
    const dir = copyFixture('mini');
    write(dir, 'models/trusted/recursive.yml', 'version: 2\nmodels:\n  - name: customer_trusted\n    config:\n      meta: &m {again: [*m]}\n');
    write(dir, 'models/curated/bomb.yml', `version: 2\nmodels:\n  - name: customer_curated\n    config:\n      meta:\n${bomb(8, '        ')}\n`);
    const r = await stedi(dir, ['compile']);
    expect(r.code, explain(r)).toBe(2);
    expect(r.stderr).toMatch(/error E_YAML_ALIAS models\/trusted\/recursive\.yml:5: alias \*m is inside the value it names/);
    expect(r.stderr).toMatch(/error E_YAML_ALIAS models\/curated\/bomb\.yml:\d+: aliases expand/);
    noCrash(r.stderr);
  });
});
