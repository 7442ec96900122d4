{#
  consent_filter(reading_col, consent_col): the predicate that keeps a reading of a consenting
  customer, according to var('consent_policy'):
    as_of_date  only readings taken at or after the consent date (the default)
    any_time    every reading of a customer who has consented
  Any other value stops the compile. The predicate is never null: a reading without a time is
  not kept under as_of_date. Every policy must stay monotone in the consent date (a reading kept
  under some consent date is kept under any earlier one): the consent test compares each reading
  with its customer's earliest consent date only (macros/tests/consent.sql).
#}
{% macro consent_filter(reading_col, consent_col) -%}
{%- set policy = var('consent_policy', 'as_of_date') -%}
{%- if policy == 'as_of_date' -%}
({{ consent_col }} is not null and {{ reading_col }} is not null and {{ reading_col }} >= {{ consent_col }})
{%- elif policy == 'any_time' -%}
({{ consent_col }} is not null)
{%- else -%}
{{ exceptions.raise_compiler_error("Unknown consent_policy '" ~ policy ~ "': use 'as_of_date' (readings from the consent date on) or 'any_time' (every reading of a consenting customer).") }}
{%- endif -%}
{%- endmacro %}
