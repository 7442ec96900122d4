/**
 * The benchmark peers (bench/peers) canonicalise identities exactly as the project does: the
 * dbt-duckdb peer's canonical_email renders stedi's DuckDB SQL, its canonical_identity test is the
 * project's, its models are the project's, and the PySpark peer trims the same character set.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SHARED_MACROS } from '../../../bench/lib/peers.js';
import { IDENTITY_SPACES } from '../../helpers/identity.js';
import { renderCanonical } from './harness.js';

const PEER = 'bench/peers/dbt';

describe('the benchmark peers use the canonical identity of the project', () => {
  it("dbt: canonical_email renders stedi's DuckDB expression; canonical_identity is the project's test", () => {
    const text = fs.readFileSync(`${PEER}/macros/identity.sql`, 'utf8');
    const body = /\{% macro canonical_email\(expr\) -%\}\n(.*)\n\{%- endmacro %\}/s.exec(text)?.[1];
    expect(body?.replaceAll('{{ expr }}', 'probe_value')).toBe(renderCanonical('local'));
    // the test is the project's own file, copied in when the peer is set up (bench/lib/peers.ts), never a copy kept here
    expect(SHARED_MACROS).toContain('tests/canonical_identity.sql');
    expect(fs.existsSync(`${PEER}/macros/tests/canonical_identity.sql`)).toBe(false);
    expect(fs.readFileSync(`${PEER}/macros/subject_key.sql`, 'utf8')).toContain("|| ':' || {{ canonical_email(expr) }})");
  });

  it('dbt: the models are the project models (config reduced to tags)', () => {
    for (const m of ['trusted/customer_trusted', 'trusted/accelerometer_trusted', 'trusted/step_trainer_trusted', 'curated/customer_curated', 'curated/device_owners', 'curated/machine_learning_curated']) {
      // everything after the config() call (which may span several lines)
      const body = (f: string) => fs.readFileSync(f, 'utf8').replace(/^\{\{ config\([\s\S]*?\) \}\}\n/, '');
      // the one addition allowed: the timestamp column of the incremental variant (bench/lib/dbt-incremental.ts)
      const variant = /\{%- if var\('peer_incremental', false\) %\},\n {4}[^\n]+ as (reading_ts|sensor_reading_ts)\n\{%- endif %\}\n/;
      const peer = body(`${PEER}/models/${m}.sql`);
      if (['trusted/accelerometer_trusted', 'trusted/step_trainer_trusted', 'curated/machine_learning_curated'].includes(m)) expect(peer, m).toMatch(variant);
      expect(peer.replace(variant, ''), m).toBe(body(`models/${m}.sql`));
    }
    // the reconciliation without the paragraph about stedi's own reconciliation report
    const project = fs.readFileSync('models/audit/reconciliation.sql', 'utf8').split('\n').slice(1).join('\n');
    const paragraph = /\n  "landing" here is the rows accepted[\s\S]*?entity's landing rows\.\n/.exec(project)?.[0];
    expect(paragraph).toBeDefined();
    const peer = fs.readFileSync(`${PEER}/models/audit/reconciliation.sql`, 'utf8').split('\n').slice(1).join('\n');
    expect(peer).toBe(project.replace(paragraph!, ''));
    expect(peer).toContain("select 'customer', 'merged_identity',");
  });

  it('PySpark: the same identity space set, trimmed around, then NFC, lower case, NFC', () => {
    const py = fs.readFileSync('bench/peers/spark/stedi_spark.py', 'utf8');
    const list = /IDENTITY_SPACES = \[([\d,\s]+)\]/.exec(py)?.[1];
    expect(list?.split(',').map((s) => Number(s.trim()))).toEqual([...IDENTITY_SPACES]);
    expect(py).toContain('_NFC.format("lower(" + _NFC.format(f"regexp_replace({expr}, :identity_spaces, \'\')") + ")")');
    for (const sql of ['join customer_trusted c on c.email = a.customer_identity', 'partition by customer_identity', "sha2(concat(:key, ':', {canonical_email(\"c.email\")}), 256)"]) expect(py).toContain(sql);
  });
});
