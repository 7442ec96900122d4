/**
 * The generic data tests that ship with stedi, written as nunjucks macros exactly like a
 * user's custom tests in macros/ (`test_<name>`). Each returns a SELECT of the failing rows.
 * Arguments reach SQL only through `ident()` (validated identifier) or `literal()` (quoted
 * literal); `expression_is_true` (through the explicit `sql()`) and `where` take SQL by
 * design — they come from the project's own YAML, never from the command line.
 */
export const BUILTIN_TEST_MACROS = `
{% macro test_not_null(model, column_name) %}
select * from {{ model }} where {{ ident(column_name) }} is null
{% endmacro %}

{% macro test_unique(model, column_name) %}
select {{ ident(column_name) }} as unique_field, count(*) as n_records
from {{ model }}
where {{ ident(column_name) }} is not null
group by {{ ident(column_name) }}
having count(*) > 1
{% endmacro %}

{% macro test_accepted_values(model, column_name, values, quote=true) %}
select {{ ident(column_name) }} as value_field, count(*) as n_records
from {{ model }}
where {{ ident(column_name) }} is not null
  and {{ ident(column_name) }} not in ({% for v in values %}{{ literal(v) if quote else number(v) }}{{ ', ' if not loop.last }}{% endfor %})
group by {{ ident(column_name) }}
{% endmacro %}

{% macro test_relationships(model, column_name, to, field) %}
select child.{{ ident(column_name) }} as from_field
from {{ model }} as child
left join {{ to }} as parent on child.{{ ident(column_name) }} = parent.{{ ident(field) }}
where child.{{ ident(column_name) }} is not null and parent.{{ ident(field) }} is null
{% endmacro %}

{% macro test_accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
select * from {{ model }}
where {{ ident(column_name) }} is not null and not (true
{%- if min_value is not none %} and {{ ident(column_name) }} >{{ '=' if inclusive }} {{ number(min_value) }}{% endif %}
{%- if max_value is not none %} and {{ ident(column_name) }} <{{ '=' if inclusive }} {{ number(max_value) }}{% endif %})
{% endmacro %}

{% macro test_expression_is_true(model, expression, column_name=none) %}
select * from {{ model }} where not coalesce(({{ sql(expression) }}), false)
{% endmacro %}

{% macro test_row_count(model, min=none, max=none, equals=none, column_name=none) %}
select row_count from (select count(*) as row_count from {{ model }}) as counted
where false
{%- if equals is not none %} or row_count <> {{ number(equals) }}{% endif %}
{%- if min is not none %} or row_count < {{ number(min) }}{% endif %}
{%- if max is not none %} or row_count > {{ number(max) }}{% endif %}
{% endmacro %}
`;

export const BUILTIN_TESTS_FILE = '<stedi>/builtin-tests.sql';
