/**
 * An append, merge or delete+insert model keeps the rows it published before, so it may not read
 * the data of persons (a landing source with a meta.identity column, at any distance): a withdrawn
 * consent or an erased person would stay in its history (runner/compiler/checks.ts).
 */
import { describe, expect, it } from 'vitest';
import { compileFiles, SOURCES_YML } from './harness.js';

const IDENTITY = SOURCES_YML.replace('meta: { pii: true }', 'meta: { pii: true, identity: person }');
const errors = (out: ReturnType<typeof compileFiles>) => out.diagnostics.filter((d) => d.code === 'E_BAD_CONFIG').map((d) => `${d.file}:${d.line} ${d.message}`);

describe('incremental models over the data of persons', () => {
  const trusted = "select n, email from {{ source('landing', 'customer') }}";
  const kinds: [string, string][] = [
    ['append', "{{ config(materialized='incremental') }}"],
    ['delete+insert', "{{ config(materialized='incremental', unique_key='n') }}"],
    ['merge', "{{ config(materialized='incremental', unique_key='n', incremental_strategy='merge') }}"],
  ];

  it('refuses append, merge and delete+insert reading a person source at any distance, naming the source column', () => {
    for (const [strategy, config] of kinds) {
      const out = compileFiles({ 'models/sources.yml': IDENTITY, 'models/a.sql': trusted, 'models/b.sql': "select n from {{ ref('a') }}", 'models/inc.sql': `-- counts\n${config}\nselect n from {{ ref('b') }}` });
      expect(out.manifest, strategy).toBeUndefined();
      expect(errors(out), strategy).toEqual([`models/inc.sql:2 inc: incremental_strategy ${strategy} keeps the rows it published before, but it reads the data of persons (source landing.customer, whose email has meta.identity: person): a consent withdrawn or moved, or a customer record gone, would stay in its history`]);
    }
  });

  it('allows them over data of no person, and a microbatch model or a table over persons', () => {
    for (const [strategy, config] of kinds) {
      // the same source without an identity column: nothing there is anyone's to withdraw
      const out = compileFiles({ 'models/a.sql': trusted, 'models/inc.sql': `${config}\nselect n from {{ ref('a') }}` });
      expect(errors(out), strategy).toEqual([]);
      expect(out.manifest, strategy).toBeDefined();
    }
    const table = compileFiles({ 'models/sources.yml': IDENTITY, 'models/a.sql': trusted, 'models/t.sql': "{{ config(materialized='table') }}\nselect n from {{ ref('a') }}" });
    expect(errors(table)).toEqual([]);
    const micro = compileFiles({ 'models/sources.yml': IDENTITY.replace('        columns:', '        config: { event_time: n }\n        columns:'), 'models/m.sql': "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='n', batch_size='day') }}\nselect n from {{ source('landing', 'customer') }}" });
    expect(errors(micro)).toEqual([]);
  });
});
