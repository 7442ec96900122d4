{#
  subject_key(expr): the pseudonymous key of a customer, a keyed SHA-256 of the customer's
  canonical email (canonical_email, macros/identity.sql: trimmed, NFC, lower-cased), written as
  64 lower-case hex digits. Every spelling of one email gives one key, and a missing email (null,
  empty or whitespace-only) gives NULL, never a key. Both engines produce the same value for the
  same secret, so keys stay comparable across targets. (canonical_email_form is canonical_email
  written with its argument once, as column lineage needs to recognise this macro.) The secret never appears in SQL:
  subject_key_secret() renders the engine's reference to it (a session variable on DuckDB, an
  execution parameter on Athena).
#}
{% macro subject_key(expr) -%}
{{ adapter.dispatch('subject_key')(expr) }}
{%- endmacro %}

{% macro duckdb__subject_key(expr) -%}
sha256({{ subject_key_secret() }} || ':' || {{ canonical_email_form(expr) }})
{%- endmacro %}

{% macro athena__subject_key(expr) -%}
lower(to_hex(sha256(to_utf8({{ subject_key_secret() }} || ':' || {{ canonical_email_form(expr) }}))))
{%- endmacro %}
