/**
 * Errors point at the cause, once: the real CLI on a copy of the STEDI project with one mistake
 * at a time. Each mistake gives exactly one error, at the file and line to fix, exit code 2, and
 * nothing runs.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { copyProjectInto } from '../helpers/stedi.js';

const REPO = path.resolve(__dirname, '../..');
const KEY = 'integration-test-key-0123456789abcdef';
const made: string[] = [];

function projectCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-errors-'));
  copyProjectInto(dir);
  made.push(dir);
  return dir;
}

function stedi(cwd: string, args: string[]) {
  const r = spawnSync(process.execPath, [path.join(REPO, 'bin/stedi.js'), ...args], { cwd, encoding: 'utf8', env: { ...process.env, STEDI_SUBJECT_KEY: KEY } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Replaces the first match of `from` in a project file; returns the 1-based line it was on. */
function edit(dir: string, rel: string, from: RegExp, to: string): number {
  const file = path.join(dir, rel);
  const text = fs.readFileSync(file, 'utf8');
  const m = from.exec(text);
  if (!m) throw new Error(`${String(from)} not in ${rel}`);
  fs.writeFileSync(file, text.slice(0, m.index) + to + text.slice(m.index + m[0].length));
  return text.slice(0, m.index).split('\n').length;
}

const errorLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('error '));

afterAll(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

describe('stedi compile: one mistake, one error at its source line', () => {
  let dir: string;
  beforeEach(() => {
    dir = projectCopy();
  });

  it("'form' for 'from' in customer_curated.sql: E_SQL_SYNTAX at the model's line, exit 2, build runs nothing", () => {
    const line = edit(dir, 'models/curated/customer_curated.sql', /^from /m, 'form ');
    const r = stedi(dir, ['compile']);
    expect(r.code).toBe(2);
    expect(errorLines(r.err)).toEqual([expect.stringMatching(new RegExp(`^error E_SQL_SYNTAX models/curated/customer_curated\\.sql:${line}: customer_curated: the SQL does not parse for duckdb: syntax error at or near "trusted" \\(compiled line \\d+: form "trusted"\\."customer_trusted" c\\)$`))]);
    expect(r.err).toMatch(/compilation failed with 1 error$/m);
    const b = stedi(dir, ['build']);
    expect(b.code).toBe(2);
    expect(errorLines(b.err)).toEqual(errorLines(r.err));
    expect(fs.existsSync(path.join(dir, 'lake'))).toBe(false);
  });

  it('on Athena too (judged by the lineage parser alone)', () => {
    const line = edit(dir, 'models/curated/customer_curated.sql', /^from /m, 'form ');
    const r = stedi(dir, ['compile', '--target', 'athena']);
    expect(r.code).toBe(2);
    expect(errorLines(r.err)).toEqual([expect.stringMatching(new RegExp(`^error E_SQL_SYNTAX models/curated/customer_curated\\.sql:${line}: `))]);
  });

  it("DuckDB's parser judges what the lineage parser cannot read: USING SAMPLE compiles, '= =' is an error with its column", () => {
    fs.writeFileSync(path.join(dir, 'models/curated/sampled.sql'), "{{ config(pii_allowed=true) }}\nselect c.subject_key\nfrom {{ ref('customer_trusted') }} c using sample 50%\n");
    const ok = stedi(dir, ['compile']);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    fs.writeFileSync(path.join(dir, 'models/curated/sampled.sql'), "select c.subject_key\nfrom {{ ref('customer_trusted') }} c\nwhere c.subject_key = = 'x'\nusing sample 50%\n");
    const bad = stedi(dir, ['compile']);
    expect(bad.code).toBe(2);
    const column = "where c.subject_key = = 'x'".indexOf('= =') + 3;
    expect(errorLines(bad.err)).toEqual([`error E_SQL_SYNTAX models/curated/sampled.sql:3:${column}: sampled: the SQL does not parse for duckdb: syntax error at or near = (compiled line 3: where c.subject_key = = 'x')`]);
  });

  it('an unknown consent_policy: one error at the raise in macros/consent.sql, naming every caller', () => {
    const raise = fs.readFileSync(path.join(dir, 'macros/consent.sql'), 'utf8').split('\n').findIndex((l) => l.includes('raise_compiler_error')) + 1;
    const r = stedi(dir, ['compile', '--vars', '{consent_policy: whenever}']);
    expect(r.code).toBe(2);
    expect(errorLines(r.err)).toEqual([`error E_COMPILER_ERROR macros/consent.sql:${raise}: in macro consent_filter: Unknown consent_policy 'whenever': use 'as_of_date' (readings from the consent date on) or 'any_time' (every reading of a consenting customer).`]);
    const callers = r.err.split('\n').find((l) => l.startsWith('  called from '))!;
    for (const model of ['accelerometer_trusted', 'step_trainer_trusted', 'reconciliation']) expect(callers).toMatch(new RegExp(`models/\\w+/${model}\\.sql:\\d+`));
  });

  it('a typo in the var name inside macros/consent.sql: one E_UNKNOWN_VAR at the macro line, with a did-you-mean', () => {
    const line = edit(dir, 'macros/consent.sql', /var\('consent_policy', 'as_of_date'\)/, "var('consent_polcy')");
    const r = stedi(dir, ['compile']);
    expect(r.code).toBe(2);
    expect(errorLines(r.err)).toEqual([`error E_UNKNOWN_VAR macros/consent.sql:${line}: in macro consent_filter: var('consent_polcy') is not defined`]);
    expect(r.err).toMatch(/^  hint: did you mean 'consent_policy'\?$/m);
  });

  it("an engine error at run time names the model's source line: exit 1", () => {
    fs.writeFileSync(path.join(dir, 'models/curated/bad_bind.sql'), "{{ config(pii_allowed=true) }}\n\n{# a column that is not there #}\nselect c.subject_key,\n  c.no_such_column\nfrom {{ ref('customer_trusted') }} c\n");
    const r = stedi(dir, ['build', '-s', '+bad_bind']);
    expect(r.code).toBe(1);
    expect(r.out + r.err).toMatch(/model bad_bind \(models\/curated\/bad_bind\.sql:5\): Binder Error: .*no_such_column/);
  });

  it('a ref() typo is printed once', () => {
    const line = edit(dir, 'models/curated/customer_curated.sql', /ref\('customer_trusted'\)/, "ref('customer_trustd')");
    const r = stedi(dir, ['compile']);
    expect(r.code).toBe(2);
    expect(errorLines(r.err)).toEqual([`error E_UNKNOWN_REF models/curated/customer_curated.sql:${line}: ref('customer_trustd') names no model or seed`]);
  });

  it("a '}}' inside a dict literal of config(): one E_TEMPLATE_SYNTAX with a hint, no error in the models that read it", () => {
    const line = edit(dir, 'models/trusted/accelerometer_trusted.sql', /pii_allowed=true,/, "pii_allowed=true, meta={'owner': {'team': 'data'}},");
    const r = stedi(dir, ['compile']);
    expect(r.code).toBe(2);
    expect(errorLines(r.err)).toEqual([expect.stringMatching(new RegExp(`^error E_TEMPLATE_SYNTAX models/trusted/accelerometer_trusted\\.sql:${line}: `))]);
    expect(r.err).toMatch(/hint: '\}\}' ends a \{\{ … \}\} tag/);
  });
});
