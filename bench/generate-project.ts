/** A synthetic project for the compile benchmark: `models` models in layers, 3 tests each. */
export function syntheticProject(models: number): { path: string; text: string }[] {
  const files: { path: string; text: string }[] = [
    {
      path: 'stedi_project.yml',
      text: 'name: bench\ndefault-target: local\nvars:\n  landing_root: landing\ntargets:\n  local: { type: duckdb }\nmodels:\n  +materialized: table\n  +zone: trusted\n',
    },
    {
      path: 'models/sources.yml',
      text: `version: 2\nsources:\n  - name: landing\n    tables:\n      - name: events\n        location: "{{ var('landing_root') }}/events/landing"\n        columns:\n          - { name: id, data_type: bigint }\n          - { name: v, data_type: double }\n`,
    },
    { path: 'macros/scale.sql', text: '{% macro scaled(c, f) %}({{ c }} * {{ f }}){% endmacro %}' },
  ];
  const props: string[] = ['version: 2', 'models:'];
  for (let i = 0; i < models; i++) {
    const up = i < 10 ? "{{ source('landing', 'events') }}" : `{{ ref('m${i - 10}') }} join {{ ref('m${i - 7}') }} using (id)`;
    files.push({ path: `models/layer${Math.floor(i / 100)}/m${i}.sql`, text: `{{ config(tags=['t${i % 7}']) }}\nselect id, {{ scaled('v', ${i % 5 + 1}) }} as v\nfrom ${up}\nwhere v > {{ var('landing_root') | length }}` });
    props.push(`  - name: m${i}`, '    columns:', '      - name: id', '        tests: [not_null, unique]', '      - name: v', '        tests:', '          - accepted_range: { min_value: 0 }');
  }
  files.push({ path: 'models/props.yml', text: `${props.join('\n')}\n` });
  return files;
}
