/**
 * The files of a new project (`stedi init`), as data: a landing source with a tiny sample of
 * its own, one model that reads it through a macro, tests in YAML (generic and a unit test), a
 * seed, a local DuckDB target and an Athena example target. `stedi build` runs it green as
 * written. Pure.
 */

/** The project name a folder gives: lower-case letters, digits and _, not starting with a digit. */
export function projectNameFor(folder: string): string {
  const base = folder.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  if (!base) return 'my_project';
  return /^[0-9]/.test(base) ? `p_${base}` : base;
}

/** Lines the skeleton's .gitignore holds: what a build writes, and the local pseudonymisation key. */
export const GITIGNORE_LINES = ['target/', 'lake/', '.stedi/', 'logs/'];

const EPOCH = Date.UTC(2024, 0, 15, 8, 0, 0);

function sampleEvents(): string {
  const kinds = ['walk', 'run', 'walk', 'rest', 'run', 'walk'];
  return kinds.map((kind, i) => JSON.stringify({ eventId: i + 1, eventTime: EPOCH + i * 60_000, kind, steps: kind === 'rest' ? 0 : 40 + i * 7 })).join('\n') + '\n';
}

export function skeletonFiles(name: string): Record<string, string> {
  return {
    'stedi_project.yml': `# A stedi project: models/ (SQL + YAML), seeds/ (CSV and sample landing files), macros/.
name: ${name}
version: "1.0"
model-paths: [models]
seed-paths: [seeds]
macro-paths: [macros]
target-path: target
clean-targets: [target]
default-target: local
vars:
  # where the landing sources are read from; the athena target replaces it with its landing_root
  landing_root: seeds/landing
targets:
  # DuckDB in a local folder laid out like the S3 zones: lake/<entity>/<zone>/<name>/
  local: { type: duckdb, lake_dir: lake, catalog: lake/${name}.duckdb, threads: 4 }
  # AWS Athena and the Glue Data Catalog (stedi build --target athena --dry-run needs no AWS access)
  athena:
    type: athena
    region: "{{ env_var('AWS_REGION', 'us-east-1') }}"
    database: "{{ env_var('STEDI_ATHENA_DATABASE', '${name}') }}"
    workgroup: "{{ env_var('STEDI_ATHENA_WORKGROUP', 'primary') }}"
    s3_data_dir: "{{ env_var('STEDI_S3_DATA_DIR', 's3://my-lake-bucket/zones') }}"
    landing_root: "{{ env_var('STEDI_LANDING_ROOT', 's3://my-lake-bucket/landing') }}"
    threads: 4
models:
  +materialized: table
  trusted: { +zone: trusted }
`,
    'models/landing/sources.yml': `version: 2
sources:
  - name: landing
    description: Raw newline-delimited JSON as delivered, one folder per entity.
    tables:
      - name: events
        description: Activity events of a step counter (a tiny sample in seeds/landing/events/landing/).
        location: "{{ var('landing_root') }}/events/landing"
        entity: activity
        columns:
          - { name: eventId, data_type: bigint, description: Identifies the event. }
          - { name: eventTime, data_type: bigint, description: "When it happened, epoch milliseconds." }
          - { name: kind, data_type: varchar, description: "walk, run or rest." }
          - { name: steps, data_type: bigint, description: Steps counted during the event. }
`,
    'models/trusted/events_trusted.sql': `{{ config(entity='activity') }}
-- one row per event with a kind, and the UTC day it happened on
select
    e.eventId as event_id,
    e.eventTime as event_time,
    {{ epoch_day('e.eventTime') }} as event_day,
    e.kind,
    e.steps
from {{ source('landing', 'events') }} as e
where e.kind is not null
`,
    'models/trusted/trusted.yml': `version: 2
models:
  - name: events_trusted
    description: The landing events, typed and checked.
    columns:
      - name: event_id
        tests: [not_null, unique]
      - name: kind
        tests:
          - relationships: { to: "ref('activity_kinds')", field: kind }
      - name: steps
        tests:
          - accepted_range: { min_value: 0 }
unit_tests:
  - name: events_trusted_drops_events_without_kind
    model: events_trusted
    given:
      - input: source('landing', 'events')
        rows:
          - { eventId: 1, eventTime: 0, kind: walk, steps: 10 }
          - { eventId: 2, eventTime: 0, kind: null, steps: 5 }
    expect:
      rows:
        - { event_id: 1, event_day: 0, kind: walk, steps: 10 }
`,
    'macros/time.sql': `{# The UTC day of an epoch-milliseconds value, as days since 1970-01-01 (the same SQL on DuckDB and Athena). #}
{% macro epoch_day(ms) -%}
cast(floor({{ ms }} / 86400000.0) as bigint)
{%- endmacro %}
`,
    'seeds/activity_kinds.csv': 'kind,description\nwalk,Walking\nrun,Running\nrest,Resting\n',
    'seeds/landing/events/landing/part-0001.json': sampleEvents(),
  };
}
