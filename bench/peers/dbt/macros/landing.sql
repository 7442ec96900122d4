{#
  The landing sources as views over the landing files, with the same explicit column schema as
  stedi's sources (no inference): stedi prepares its sources the same way before the models run.
  The two reading sources also have `event_ts`, their reading time as a TIMESTAMP: the event_time
  of the incremental variant (var peer_incremental), which dbt's microbatch filters with timestamp
  literals while the STEDI reading times are epoch milliseconds. Called by on-run-start; the landing root comes from STEDI_LANDING_ROOT. The customer view adds
  subject_key once per landing record, where stedi derives it at ingestion (stedi's HMAC-SHA256 in
  the runner; the peer has no HMAC in SQL and uses its keyed SHA-256, see subject_key.sql).
#}
{% macro create_landing_views() %}
{%- set root = env_var('STEDI_LANDING_ROOT') -%}
{%- set tables = {
  'customer': "{'customerName': 'VARCHAR', 'email': 'VARCHAR', 'phone': 'VARCHAR', 'birthDay': 'VARCHAR', 'serialNumber': 'VARCHAR', 'registrationDate': 'BIGINT', 'lastUpdateDate': 'BIGINT', 'shareWithResearchAsOfDate': 'BIGINT', 'shareWithPublicAsOfDate': 'BIGINT', 'shareWithFriendsAsOfDate': 'BIGINT'}",
  'accelerometer': "{'user': 'VARCHAR', 'timestamp': 'BIGINT', 'x': 'DOUBLE', 'y': 'DOUBLE', 'z': 'DOUBLE'}",
  'step_trainer': "{'sensorReadingTime': 'BIGINT', 'serialNumber': 'VARCHAR', 'distanceFromObject': 'BIGINT'}",
} -%}
{#- the reading time as a TIMESTAMP, for dbt's microbatch (it filters event_time with timestamp literals; views compute it only when read) -#}
{%- set event_times = {'accelerometer': '"timestamp"', 'step_trainer': 'sensorReadingTime'} -%}
create schema if not exists landing;
{% for name, columns in tables.items() -%}
create or replace view landing.{{ name }} as
select *{% if name == 'customer' %}, {{ subject_key('email') }} as subject_key{% elif name in event_times %}, make_timestamp(CAST({{ event_times[name] }} AS bigint) * 1000) as event_ts{% endif %} from read_json('{{ root }}/{{ name }}/landing/*.json', format = 'newline_delimited', columns = {{ columns }});
{% endfor %}
{% endmacro %}
