{#
  reconciles: for every entity of an audit table of row counts, the landing rows equal the sum of
  every other rule's rows (kept + each exclusion), so no row is lost or counted twice. Fails with
  each entity whose counts do not add up.

  Arguments
    model          the audit relation (entity, rule, row_count)
    entity_column  default entity
    rule_column    default rule
    count_column   default row_count
    total_rule     the rule holding the landing total (default landing)
#}
{% macro test_reconciles(model, entity_column='entity', rule_column='rule', count_column='row_count', total_rule='landing') %}
select
    entity,
    landing_rows,
    accounted_rows
from (
    select
        {{ entity_column }} as entity,
        sum(case when {{ rule_column }} = '{{ total_rule }}' then {{ count_column }} else 0 end) as landing_rows,
        sum(case when {{ rule_column }} <> '{{ total_rule }}' then {{ count_column }} else 0 end) as accounted_rows
    from {{ model }}
    group by {{ entity_column }}
) entity_totals
where landing_rows <> accounted_rows
{% endmacro %}
