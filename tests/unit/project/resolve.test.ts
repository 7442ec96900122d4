import { describe, expect, it } from 'vitest';
import { parseProject } from '../../../runner/project/parse.js';
import { resolveTarget, resolveVars } from '../../../runner/project/resolve.js';
import type { ProjectConfig } from '../../../runner/project/types.js';
import { baseFiles, PROJECT_YML, withFile } from './fixtures.js';

function config(text = PROJECT_YML): ProjectConfig {
  const r = parseProject(withFile('stedi_project.yml', text));
  expect(r.diagnostics).toEqual([]);
  return r.project!.config;
}

describe('resolveVars', () => {
  const project = { landing_root: 'seeds/landing', consent_policy: 'as_of_date', keep: 1 };

  it('project < STEDI_VARS < --vars, shallow merge', () => {
    const r = resolveVars(project, '{landing_root: ../data, consent_policy: any_time}', {
      STEDI_VARS: '{"landing_root": "/env", "extra": {"a": 1}}',
    });
    expect(r.diagnostics).toEqual([]);
    expect(r.vars).toEqual({ landing_root: '../data', consent_policy: 'any_time', keep: 1, extra: { a: 1 } });
  });

  it('STEDI_VARS alone; empty strings are ignored', () => {
    expect(resolveVars(project, '', { STEDI_VARS: 'consent_policy: any_time' }).vars).toMatchObject({ consent_policy: 'any_time' });
    expect(resolveVars(project, undefined, {}).vars).toEqual(project);
  });

  it('E_BAD_VARS for unparsable or non-mapping strings', () => {
    const r = resolveVars(project, '{landing_root: [', { STEDI_VARS: '[1, 2]' });
    expect(r.diagnostics.map((d) => [d.code, d.file])).toEqual([
      ['E_BAD_VARS', 'STEDI_VARS'],
      ['E_BAD_VARS', '--vars'],
    ]);
    expect(r.diagnostics[0]!.line).toBe(0);
    expect(r.diagnostics[1]!.line).toBe(1);
    expect(r.vars).toEqual(project);
    expect(resolveVars(project, 'just a string', {}).diagnostics[0]!.code).toBe('E_BAD_VARS');
  });
});

describe('resolveTarget', () => {
  it('uses default-target and fills defaults', () => {
    const r = resolveTarget(config(), undefined, {});
    expect(r.diagnostics).toEqual([]);
    expect(r.target).toEqual({
      name: 'local',
      type: 'duckdb',
      lake_dir: 'lake',
      path_template: '{entity}/{zone}/{name}',
      catalog: 'lake/stedi.duckdb',
      threads: 2,
    });
  });

  it('renders env_var with defaults and validates the rendered type', () => {
    const r = resolveTarget(config(), 'athena', {});
    expect(r.target).toMatchObject({ name: 'athena', region: 'us-east-1', threads: 8, catalog: 'AwsDataCatalog' });
    const r2 = resolveTarget(config(), 'athena', { AWS_REGION: 'eu-west-1', ATHENA_THREADS: '3' });
    expect(r2.target).toMatchObject({ region: 'eu-west-1', threads: 3 });
    const r3 = resolveTarget(config(), 'athena', { ATHENA_THREADS: 'many' });
    expect(r3.target).toBeUndefined();
    expect(r3.diagnostics).toMatchObject([{ code: 'E_BAD_TYPE', file: 'stedi_project.yml', line: 16 }]);
  });

  it('E_ENV_VAR_MISSING when an env var without default is unset', () => {
    const text = PROJECT_YML.replace('    threads: 2', "    lake_dir: \"{{ env_var('LAKE') }}\"");
    const r = resolveTarget(config(text), undefined, {});
    expect(r.target).toBeUndefined();
    expect(r.diagnostics).toMatchObject([{ code: 'E_ENV_VAR_MISSING', line: 13, hint: expect.stringContaining('LAKE') }]);
    // the catalog default follows the rendered lake_dir
    expect(resolveTarget(config(text), undefined, { LAKE: '/data/lake' }).target).toMatchObject({
      lake_dir: '/data/lake',
      catalog: '/data/lake/stedi.duckdb',
    });
  });

  it('unknown target → E_UNKNOWN_TARGET with a hint', () => {
    const r = resolveTarget(config(), 'athna', {});
    expect(r.diagnostics).toMatchObject([{ code: 'E_UNKNOWN_TARGET', file: '--target', hint: "did you mean 'athena'?" }]);
    const r2 = resolveTarget(config(), undefined, { STEDI_TARGET: 'prod' });
    expect(r2.diagnostics).toMatchObject([{ code: 'E_UNKNOWN_TARGET', file: 'STEDI_TARGET', hint: 'defined targets: local, athena' }]);
  });

  it('precedence: name > STEDI_TARGET > default-target; STEDI_THREADS overrides threads', () => {
    const c = config();
    expect(resolveTarget(c, undefined, { STEDI_TARGET: 'athena' }).target?.name).toBe('athena');
    expect(resolveTarget(c, 'local', { STEDI_TARGET: 'athena' }).target?.name).toBe('local');
    expect(resolveTarget(c, undefined, { STEDI_THREADS: '16' }).target?.threads).toBe(16);
    const bad = resolveTarget(c, undefined, { STEDI_THREADS: '0' });
    expect(bad.diagnostics).toMatchObject([{ code: 'E_BAD_VALUE', file: 'STEDI_THREADS', line: 0 }]);
  });

  it('ingest_threads: no default in the target (the ingestion takes one per core); STEDI_INGEST_THREADS overrides it; validated like threads', () => {
    const c = config();
    expect(resolveTarget(c, 'local', {}).target?.ingest_threads).toBeUndefined();
    expect(resolveTarget(c, 'local', { STEDI_INGEST_THREADS: '3' }).target?.ingest_threads).toBe(3);
    expect(resolveTarget(c, 'athena', { STEDI_INGEST_THREADS: '1' }).target?.ingest_threads).toBe(1);
    const bad = resolveTarget(c, 'local', { STEDI_INGEST_THREADS: '0' });
    expect(bad.diagnostics).toMatchObject([{ code: 'E_BAD_VALUE', file: 'STEDI_INGEST_THREADS', message: "STEDI_INGEST_THREADS: target key 'ingest_threads' must be >= 1, got 0" }]);
    const c2 = { ...c, targets: { ...c.targets, local: { ...c.targets.local!, ingest_threads: 'two' as never } } };
    expect(resolveTarget(c2, 'local', {}).diagnostics).toMatchObject([{ code: 'E_BAD_TYPE' }]);
  });

  it('a hand-built config missing athena keys is reported', () => {
    const c = config();
    const { database: _d, ...athena } = c.targets.athena as Record<string, unknown>;
    const r = resolveTarget({ ...c, targets: { ...c.targets, athena: athena as never } }, 'athena', {});
    expect(r.diagnostics).toMatchObject([{ code: 'E_MISSING_KEY' }]);
  });
});

it('baseFiles fixture stays valid', () => {
  expect(parseProject(baseFiles()).diagnostics).toEqual([]);
});
