{#
  stedi's built-in generic tests that dbt-core does not ship (not_null, unique, accepted_values
  and relationships are dbt's own), with the same SQL as runner/compiler/builtin-tests.ts.
#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
select * from {{ model }}
where {{ column_name }} is not null and not (true
{%- if min_value is not none %} and {{ column_name }} >{{ '=' if inclusive }} {{ min_value }}{% endif %}
{%- if max_value is not none %} and {{ column_name }} <{{ '=' if inclusive }} {{ max_value }}{% endif %})
{% endtest %}

{% test expression_is_true(model, expression, column_name=none) %}
select * from {{ model }} where not coalesce(({{ expression }}), false)
{% endtest %}

{% test row_count(model, min=none, max=none, equals=none, column_name=none) %}
select row_count from (select count(*) as row_count from {{ model }}) as counted
where false
{%- if equals is not none %} or row_count <> {{ equals }}{% endif %}
{%- if min is not none %} or row_count < {{ min }}{% endif %}
{%- if max is not none %} or row_count > {{ max }}{% endif %}
{% endtest %}
