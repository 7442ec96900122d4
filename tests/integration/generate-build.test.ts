/**
 * `stedi generate` then `stedi build` on a copy of the STEDI project: about 20,000 phone readings
 * with duplicate emails, shared device serials and emails sent in other spellings (case,
 * surrounding Unicode whitespace, a decomposed accent); the build exits 0 and the reconciliation
 * and every table equal the counts the generator says a correct build reports.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerateSummary } from '../../runner/generate/generate.js';
import { TABLES } from '../../runner/generate/expect.js';
import { copyProjectInto } from '../helpers/stedi.js';

const REPO = path.resolve(__dirname, '../..');
const BIN = path.join(REPO, 'bin/stedi.js');

function stedi(cwd: string, args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, STEDI_SUBJECT_KEY: 'integration-test-key-0123456789abcdef' };
  for (const k of ['STEDI_TARGET', 'STEDI_VARS', 'STEDI_THREADS']) delete env[k];
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('stedi generate, then stedi build on the generated landing zone', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-generate-build-'));
    copyProjectInto(dir);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('builds with every blocking test passing and a reconciliation that matches the generator', () => {
    const gen = stedi(dir, ['generate', '--accelerometer-rows', '20000', '--defect-rate', '0.02', '--defects', 'duplicate_email,shared_serial,email_variant', '--seed', '7', '--out', 'generated']);
    expect(gen.err).toBe('');
    expect(gen.code).toBe(0);
    const summary = JSON.parse(fs.readFileSync(path.join(dir, 'generated', '_generate.json'), 'utf8')) as GenerateSummary;
    expect(summary.defects.duplicate_email).toBeGreaterThan(0);
    expect(summary.defects.shared_serial).toBeGreaterThan(0);
    expect(summary.defects.email_variant).toBeGreaterThan(0);
    expect(summary.expected.rules.as_of_date.customer.merged_identity).toBeGreaterThan(0);

    const build = stedi(dir, ['build', '--quiet', '--vars', '{landing_root: generated}']);
    expect(build.code, `${build.out}\n${build.err}`).toBe(0);

    const sql = [
      "select entity, rule, row_count from {{ ref('reconciliation') }}",
      ...TABLES.map((t) => `select 'table', '${t}', count(*) from {{ ref('${t}') }}`),
    ].join(' union all ');
    const shown = stedi(dir, ['show', '--vars', '{landing_root: generated}', '--inline', sql, '--limit', '1000', '--output', 'json']);
    expect(shown.code, shown.err).toBe(0);
    const rows = JSON.parse(shown.out) as { entity: string; rule: string; row_count: number | string }[];
    const x = summary.expected;
    const got: Record<string, number> = {};
    const want: Record<string, number> = {};
    for (const r of rows) {
      const key = `${r.entity}/${r.rule}`;
      got[key] = Number(r.row_count);
      if (r.entity === 'table') want[key] = x.tables.as_of_date[r.rule as (typeof TABLES)[number]];
      else {
        const e = r.entity as keyof typeof x.landing;
        want[key] = r.rule === 'landing' ? x.landing[e] : (x.rules.as_of_date[e]?.[r.rule] ?? 0);
      }
    }
    expect(got).toEqual(want);
    // The reconciliation balances: per entity, landing = kept + every exclusion.
    for (const e of ['customer', 'accelerometer', 'step_trainer']) {
      const mine = rows.filter((r) => r.entity === e);
      const landing = mine.filter((r) => r.rule === 'landing').reduce((a, r) => a + Number(r.row_count), 0);
      const rest = mine.filter((r) => r.rule !== 'landing').reduce((a, r) => a + Number(r.row_count), 0);
      expect(rest).toBe(landing);
      expect(landing).toBeGreaterThan(0);
    }
    expect(got['table/machine_learning_curated']).toBeGreaterThan(0);
  }, 120_000);
});
