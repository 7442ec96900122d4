/** In-memory project fixtures for the loader tests. */
import type { Diagnostic } from '../../../runner/core/diagnostics.js';

export const PROJECT_YML = `name: stedi
version: "1.0"
model-paths: [models]
seed-paths: [seeds]
macro-paths: [macros]
target-path: target
clean-targets: [target]
default-target: local
vars:
  landing_root: seeds/landing
  consent_policy: as_of_date
targets:
  local:
    type: duckdb
    threads: 2
  athena:
    type: athena
    region: "{{ env_var('AWS_REGION', 'us-east-1') }}"
    database: stedi
    workgroup: primary
    s3_data_dir: "s3://bucket/data/"
    threads: "{{ env_var('ATHENA_THREADS', '8') }}"
models:
  +materialized: view
  trusted:
    +zone: trusted
    +materialized: table
    sub:
      +tags: deep
  curated:
    +zone: curated
`;

export const SOURCES_YML = `version: 2
sources:
  - name: landing
    description: Raw JSON landing zone
    tables:
      - name: customer
        description: Customers
        location: "{{ var('landing_root') }}/customer/landing"
        config: { on_malformed: quarantine, tags: [landing] }
        columns:
          - name: email
            data_type: varchar
            meta: { pii: true }
            tests: [not_null]
          - name: shareWithResearchAsOfDate
            data_type: bigint
        tests:
          - unique_combination: { columns: [email] }
`;

export const MODELS_YML = `version: 2
models:
  - name: customer_trusted
    description: Customers who consented
    config: { materialized: table, zone: trusted, entity: customer, tags: a }
    columns:
      - name: email
        data_type: varchar
        tests:
          - not_null
          - relationships: { to: "ref('customer_landing')", field: email, severity: warn }
      - name: status
        data_tests:
          - accepted_values: { values: [a, b], config: { severity: warn, error_if: ">10" } }
          - accepted_values:
              arguments: { values: [x] }
              config: { where: "status is not null" }
unit_tests:
  - name: ut_customer_trusted
    model: customer_trusted
    overrides: { vars: { consent_policy: any_time } }
    given:
      - input: source('landing', 'customer')
        rows:
          - { email: a@b.c, shareWithResearchAsOfDate: 1 }
      - input: ref('other')
        format: csv
        rows: |
          id,name
          1,"x, y"
          2,
    expect:
      rows:
        - { email: a@b.c }
`;

export function baseFiles(): { path: string; text: string }[] {
  return [
    { path: 'stedi_project.yml', text: PROJECT_YML },
    { path: 'models/sources.yml', text: SOURCES_YML },
    { path: 'models/trusted/customer_trusted.yml', text: MODELS_YML },
    { path: 'models/trusted/customer_trusted.sql', text: "select * from {{ source('landing', 'customer') }}" },
    { path: 'models/curated/customer_curated.sql', text: "select * from {{ ref('customer_trusted') }}" },
    { path: 'macros/mask.sql', text: '{% macro mask(c) %}md5({{ c }}){% endmacro %}' },
    { path: 'seeds/countries.csv', text: 'code,"name"\nDE,Germany\n' },
    { path: 'models/notes.md', text: '# ignored' },
  ];
}

/** Replace or add one file. */
export function withFile(path: string, text: string): { path: string; text: string }[] {
  return [...baseFiles().filter((f) => f.path !== path), { path, text }];
}

export function codes(ds: Diagnostic[]): string[] {
  return ds.map((d) => d.code);
}

export function find(ds: Diagnostic[], code: string): Diagnostic {
  const d = ds.find((x) => x.code === code);
  if (!d) throw new Error(`no ${code} in ${JSON.stringify(ds, null, 1)}`);
  return d;
}
