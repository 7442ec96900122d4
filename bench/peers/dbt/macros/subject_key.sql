{#
  subject_key(expr): a keyed SHA-256 of the canonical email, computed once per landing customer
  record by the landing view (landing.sql), where stedi derives its HMAC-SHA256 at ingestion in the
  runner. The peer passes the benchmark key as a var; the values differ from stedi's, the work per
  record is the same.
#}
{% macro subject_key(expr) -%}
sha256('{{ var("stedi_subject_key") }}' || ':' || {{ canonical_email(expr) }})
{%- endmacro %}
