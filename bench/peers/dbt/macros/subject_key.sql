{#
  subject_key(expr): the keyed SHA-256 of the canonical email, as stedi computes it on DuckDB.
  The peer passes the benchmark key as a var (stedi hands it to the engine session instead).
#}
{% macro subject_key(expr) -%}
sha256('{{ var("stedi_subject_key") }}' || ':' || {{ canonical_email(expr) }})
{%- endmacro %}
