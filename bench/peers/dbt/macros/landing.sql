{#
  The landing sources as views over the landing files, with the same explicit column schema as
  stedi's sources (no inference): stedi prepares its sources the same way before the models run.
  Called by on-run-start; the landing root comes from STEDI_LANDING_ROOT.
#}
{% macro create_landing_views() %}
{%- set root = env_var('STEDI_LANDING_ROOT') -%}
{%- set tables = {
  'customer': "{'customerName': 'VARCHAR', 'email': 'VARCHAR', 'phone': 'VARCHAR', 'birthDay': 'VARCHAR', 'serialNumber': 'VARCHAR', 'registrationDate': 'BIGINT', 'lastUpdateDate': 'BIGINT', 'shareWithResearchAsOfDate': 'BIGINT', 'shareWithPublicAsOfDate': 'BIGINT', 'shareWithFriendsAsOfDate': 'BIGINT'}",
  'accelerometer': "{'user': 'VARCHAR', 'timestamp': 'BIGINT', 'x': 'DOUBLE', 'y': 'DOUBLE', 'z': 'DOUBLE'}",
  'step_trainer': "{'sensorReadingTime': 'BIGINT', 'serialNumber': 'VARCHAR', 'distanceFromObject': 'BIGINT'}",
} -%}
create schema if not exists landing;
{% for name, columns in tables.items() -%}
create or replace view landing.{{ name }} as
select * from read_json('{{ root }}/{{ name }}/landing/*.json', format = 'newline_delimited', columns = {{ columns }});
{% endfor %}
{% endmacro %}
