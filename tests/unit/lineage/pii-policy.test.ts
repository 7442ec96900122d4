/**
 * `pii_allowed: false` enforced at compile time by column lineage: personal data reaching such
 * a model, other than as the pseudonym a landing source derives at ingestion (`subject_key`,
 * `derived: {pseudonym_of: email}`), stops the compile with the column path.
 */
import { describe, expect, it } from 'vitest';
import { compileFiles } from '../compiler/harness.js';

const TRUSTED = "{{ config(zone='trusted') }}select email as mail, n, subject_key from {{ source('landing', 'customer') }}";

function errors(files: Record<string, string>, target = 'local') {
  const out = compileFiles({ 'models/trusted/t.sql': TRUSTED, ...files }, { target });
  return out.diagnostics.filter((d) => d.severity === 'error').map((d) => ({ code: d.code, file: d.file, line: d.line, message: d.message }));
}

describe('pii_allowed: false, enforced along column lineage', () => {
  it.each(['local', 'athena'])('accepts the derived pseudonym, carried through models and joins, and non-personal columns (%s)', (target) => {
    expect(errors({ 'models/ml.sql': "{{ config(pii_allowed=false) }}\nselect t.n, t.subject_key as k from {{ ref('t') }} t join {{ ref('t') }} u on u.mail = t.mail" }, target)).toEqual([]);
  });

  it.each(['local', 'athena'])('refuses the email next to the pseudonym in a pii_allowed: false table (%s)', (target) => {
    const e = errors({ 'models/ml.sql': "{{ config(pii_allowed=false) }}\nselect t.subject_key,\n  mail\nfrom {{ ref('t') }} t" }, target);
    expect(e.map((x) => [x.code, x.line, x.message])).toEqual([['E_PII_LINEAGE', 3, 'ml.mail is personal data, and ml has pii_allowed: false: ml.mail <- t.mail <- landing.customer.email (meta.pii)']]);
  });

  it('refuses any hash of personal data computed in SQL, keyed or not: only the derived column is a pseudonym', () => {
    for (const expr of ["sha256('k' || ':' || lower(mail))", "sha256(getvariable('stedi_subject_key') || ':' || lower(mail))", 'md5(subject_key || mail)']) {
      const e = errors({ 'models/ml.sql': `{{ config(pii_allowed=false) }}select ${expr} as h from {{ ref('t') }}` });
      expect(e.map((x) => x.code), expr).toEqual(['E_PII_LINEAGE']);
    }
  });

  it('a subject_key macro in the project is not a pseudonymiser any more: its output is derived from personal data', () => {
    const macro = "{% macro subject_key(expr) -%}sha256('k:' || lower({{ expr }})){%- endmacro %}";
    const out = compileFiles({ 'macros/subject_key.sql': macro, 'models/trusted/t.sql': TRUSTED, 'models/ml.sql': "{{ config(pii_allowed=false) }}select {{ subject_key('mail') }} as k from {{ ref('t') }}" });
    expect(out.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code)).toEqual(['E_PII_LINEAGE']);
  });

  it('refuses a PII column copied through another model, naming the column path', () => {
    expect(errors({ 'models/ml.sql': "{{ config(pii_allowed=false) }}\nselect n,\n  mail\nfrom {{ ref('t') }}" })).toEqual([{
      code: 'E_PII_LINEAGE', file: 'models/ml.sql', line: 3,
      message: 'ml.mail is personal data, and ml has pii_allowed: false: ml.mail <- t.mail <- landing.customer.email (meta.pii)',
    }]);
  });

  it('refuses a value computed from PII: a plain hash is not the approved macro', () => {
    const e = errors({ 'models/ml.sql': "{{ config(pii_allowed=false) }}select sha256(lower(mail)) as h from {{ ref('t') }}" });
    expect(e.map((x) => [x.code, x.message])).toEqual([['E_PII_LINEAGE', 'ml.h is derived from personal data, and ml has pii_allowed: false: ml.h <- t.mail <- landing.customer.email (meta.pii)']]);
  });

  it('refuses select * that brings a PII column in', () => {
    expect(errors({ 'models/ml.sql': "{{ config(pii_allowed=false) }}select * from {{ source('landing', 'customer') }}" }).map((x) => x.message)).toEqual([
      'ml.email is personal data, and ml has pii_allowed: false: ml.email <- landing.customer.email (meta.pii)',
    ]);
  });

  it('refuses a column whose origin it cannot resolve', () => {
    const e = errors({ 'models/ml.sql': "{{ config(pii_allowed=false) }}select x.n from {{ ref('t') }} t" });
    expect(e).toEqual([expect.objectContaining({ code: 'E_PII_UNVERIFIED', message: 'cannot show that ml.n carries no personal data, and ml has pii_allowed: false: ml.n (x.n: no table named x in scope)' })]);
  });

  it('lets a PII column only decide a value (CASE condition, count)', () => {
    expect(errors({ 'models/ml.sql': "{{ config(pii_allowed=false) }}select case when mail is null then 'no' else 'yes' end as has_mail, count(mail) as c from {{ ref('t') }} group by 1" })).toEqual([]);
  });

  it('checks nothing for models that allow PII', () => {
    expect(errors({ 'models/ml.sql': "select mail from {{ ref('t') }}" })).toEqual([]);
  });
});
