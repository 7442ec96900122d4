{#
  canonical_identity: the column holds customer identities in their canonical form only
  (canonical_email, macros/identity.sql), so tables can be joined on it as they are. Fails with
  each row whose value is not its own canonical form (other case, surrounding whitespace, a
  decomposed accent, an empty or whitespace-only email), and, with unique, each canonical
  identity held by more than one row. Only the column itself and the problem are returned (the
  column is masked in samples like the model's own column).

  Arguments
    model, column_name  the relation and the column holding a customer email
    unique              true when the model has one row per customer (default false)
#}
{% macro test_canonical_identity(model, column_name, unique=false) %}
select
    {{ column_name }},
    'not in canonical form' as problem
from {{ model }}
where {{ column_name }} is not null
  and {{ column_name }} is distinct from {{ canonical_email(column_name) }}
{%- if unique %}
union all
select
    customer_identity as {{ column_name }},
    'one identity in several rows' as problem
from (
    select {{ canonical_email(column_name) }} as customer_identity
    from {{ model }}
) identities
where customer_identity is not null
group by customer_identity
having count(*) > 1
{%- endif %}
{% endmacro %}
