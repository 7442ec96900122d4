{#
  canonical_email(expr): THE form of a customer identity. Every place that groups, compares,
  joins or hashes a customer's email calls it (customer_latest_records, device_claims,
  accelerometer_trusted's join on `user`, the reconciliation, the custom tests; subject_key
  through canonical_email_form, the same value), so
  one person is one identity everywhere. Trusted and curated tables hold only canonical values
  (blocking `canonical_identity` tests), so joins between them compare canonical values. One form
  computes it once per distinct text instead of once per row: the reconciliation groups the phone
  readings by `user` as sent (`sent_user`, the block's only group key), takes canonical_email of
  each group's text, and joins the group back to its own readings by equality of that text - the
  same identity for every reading, since equal texts have one canonical form.

  The canonical form of a text, in this order:
    1. trim: remove every leading and trailing character of the identity space set below
       (never inside the address);
    2. NFC: Unicode canonical composition, so a composed and a decomposed accent are one text;
    3. lower(): simple (one code point to one code point, locale-free) lower-case mapping;
    4. NFC again: a lower-case mapping can leave a base letter and a mark that compose (I WITH
       DOT ABOVE + U+0301 lower-cases to i + U+0301, which composes to U+00ED), so the result
       is NFC and the function is idempotent: canonical_email(canonical_email(x)) equals
       canonical_email(x);
    5. an empty result is NULL: an empty or whitespace-only email is a MISSING email, never an
       identity (the `missing_email` rule).

  The identity space set (identity_space_code_points): the 25 characters with the Unicode
  White_Space property (U+0009-U+000D, U+0020, U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028,
  U+2029, U+202F, U+205F, U+3000), the ASCII information separators U+001C-U+001F (whitespace to
  Java and Python), and the invisible format characters that come with copied addresses:
  U+180E MONGOLIAN VOWEL SEPARATOR, U+200B ZERO WIDTH SPACE, U+200C ZWNJ, U+200D ZWJ, U+2060 WORD
  JOINER, U+FEFF ZERO WIDTH NO-BREAK SPACE (byte-order mark).

  Why NFC and not NFKC: NFC merges only canonically equivalent texts, which Unicode defines as
  the same text (e + U+0301 and U+00E9). NFKC also merges different characters that merely look
  alike (fullwidth letters, ligatures, superscript digits, U+2126 OHM and omega), and merging two
  people is as harmful as splitting one: one person's consent would cover another's data. And
  DuckDB has NFC only (nfc_normalize); Trino has all four forms.

  The same value on both engines, from functions with the same definition:
    DuckDB  regexp_replace with an anchored class of the set's code points (RE2: `$` is the end
            of the text only), nfc_normalize, lower (utf8proc, simple mapping), nullif
    Athena  trim(BOTH <set> FROM x) (Trino: code points), normalize(x) (java.text.Normalizer; the
            one-argument form IS NFC in Trino's documentation; the keyword form normalize(x, NFC)
            means the same, but column lineage's SQL parser reads the keyword NFC as a column),
            lower (airlift SliceUtf8: Character.toLowerCase per code point), nullif
  DuckDB's trim(x, characters) has the same meaning but costs about 5 times the regular
  expression per row with a set this large (measured on 10M emails), hence the expression. On
  DuckDB an address of printable ASCII that starts and ends with a visible character (bytes =
  characters, first and last code above U+0020) takes a shortcut, lower() alone, which is what
  the full form gives for it (no trim, NFC leaves ASCII as it is): the whole form costs about
  2 s per 10M emails more than lower(), the shortcut 0.7 s (measured on 2 cores).

  Limits (stated, not solved):
    - lower() is the simple, locale-free mapping: German sharp s stays U+00DF (not "ss"), so
      STRASSE@ and strasse@ are one identity but strasse@ and straße@ are two; Turkish dotless
      i (U+0131) and dotted capital I (U+0130 -> i) follow the root locale; final sigma is not
      special. Case folding (casefold) would merge more, and neither engine has it.
    - Characters inside the address are kept as sent: an inner space or zero width space makes
      another identity. Confusable characters (Cyrillic a and Latin a) stay different.
    - The engines' Unicode versions differ (utf8proc in DuckDB, the JDK in Athena): a code point
      assigned or given a case mapping in the newer version only may canonicalise differently.
      Measured (tests/unit/identity): of every code point and 190,000 letter + mark pairs, 50
      differ, all with characters that Unicode 16.0 added (U+1C89, U+A7CB, Garay capitals …).
    - Provider rules (dots or +tags in Gmail addresses) are not applied: they are not Unicode
      equivalences and would merge different mailboxes of other providers.
#}
{% macro canonical_email(expr) -%}
{{ adapter.dispatch('canonical_email')(expr) }}
{%- endmacro %}

{#
  canonical_email_form(expr): the same value, written with its argument once. subject_key uses it:
  column lineage recognises subject_key() in compiled SQL by a template in which the argument
  appears once (runner/lineage), and DuckDB's shortcut below names it five times.
#}
{% macro canonical_email_form(expr) -%}
{{ adapter.dispatch('canonical_email_form')(expr) }}
{%- endmacro %}

{% macro duckdb__canonical_email(expr) -%}
case when strlen({{ expr }}) = length({{ expr }}) and ascii({{ expr }}) > 32 and ascii(right({{ expr }}, 1)) > 32 then lower({{ expr }}) else {{ duckdb__canonical_email_form(expr) }} end
{%- endmacro %}

{% macro duckdb__canonical_email_form(expr) -%}
nullif(nfc_normalize(lower(nfc_normalize(regexp_replace({{ expr }}, '^[{{ identity_space_class() }}]+|[{{ identity_space_class() }}]+$', '', 'g')))), '')
{%- endmacro %}

{# Trino SQL: Athena runs it too (adapter.dispatch tries athena__, then trino__). #}
{% macro trino__canonical_email(expr) -%}
{{ trino__canonical_email_form(expr) }}
{%- endmacro %}

{% macro trino__canonical_email_form(expr) -%}
nullif(normalize(lower(normalize(trim(BOTH {{ identity_space_chars() }} FROM {{ expr }})))), '')
{%- endmacro %}

{# The code points trimmed around an identity (see above), ascending. #}
{% macro identity_space_code_points() -%}
9,10,11,12,13,28,29,30,31,32,133,160,5760,6158,8192,8193,8194,8195,8196,8197,8198,8199,8200,8201,8202,8203,8204,8205,8232,8233,8239,8287,8288,12288,65279
{%- endmacro %}

{# The same code points in hexadecimal, for the RE2 class (templates have no number formatting; tests/unit/identity checks both lists name one set). #}
{% macro identity_space_hex_points() -%}
9,a,b,c,d,1c,1d,1e,1f,20,85,a0,1680,180e,2000,2001,2002,2003,2004,2005,2006,2007,2008,2009,200a,200b,200c,200d,2028,2029,202f,205f,2060,3000,feff
{%- endmacro %}

{# The set as the body of an RE2 character class: \x{9}\x{a}… #}
{% macro identity_space_class() -%}
{%- for cp in identity_space_hex_points().split(',') -%}\x{ {{- cp -}} }{%- endfor -%}
{%- endmacro %}

{# The set as a string expression: chr(9) || chr(10) || … #}
{% macro identity_space_chars() -%}
{%- for cp in identity_space_code_points().split(',') -%}chr({{ cp }}){% if not loop.last %} || {% endif %}{%- endfor -%}
{%- endmacro %}
