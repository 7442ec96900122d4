{#
  canonical_email(expr): the canonical form of a customer identity, as stedi's
  duckdb__canonical_email renders it (macros/identity.sql: identity spaces trimmed at both ends,
  NFC, lower case, NFC; an empty result is NULL). Written out for DuckDB here because stedi's
  macro computes the code-point list with JavaScript methods that Jinja lacks;
  tests/unit/identity/peers.test.ts checks that both render the same SQL.
#}
{% macro canonical_email(expr) -%}
case when strlen({{ expr }}) = length({{ expr }}) and ascii({{ expr }}) > 32 and ascii(right({{ expr }}, 1)) > 32 then lower({{ expr }}) else nullif(nfc_normalize(lower(nfc_normalize(regexp_replace({{ expr }}, '^[\x{9}\x{a}\x{b}\x{c}\x{d}\x{1c}\x{1d}\x{1e}\x{1f}\x{20}\x{85}\x{a0}\x{1680}\x{180e}\x{2000}\x{2001}\x{2002}\x{2003}\x{2004}\x{2005}\x{2006}\x{2007}\x{2008}\x{2009}\x{200a}\x{200b}\x{200c}\x{200d}\x{2028}\x{2029}\x{202f}\x{205f}\x{2060}\x{3000}\x{feff}]+|[\x{9}\x{a}\x{b}\x{c}\x{d}\x{1c}\x{1d}\x{1e}\x{1f}\x{20}\x{85}\x{a0}\x{1680}\x{180e}\x{2000}\x{2001}\x{2002}\x{2003}\x{2004}\x{2005}\x{2006}\x{2007}\x{2008}\x{2009}\x{200a}\x{200b}\x{200c}\x{200d}\x{2028}\x{2029}\x{202f}\x{205f}\x{2060}\x{3000}\x{feff}]+$', '', 'g')))), '') end
{%- endmacro %}
