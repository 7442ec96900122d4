{#
  consent: every row of the model belongs to a customer who consented to research, and, when
  reading_time is given and consent_policy is as_of_date, was taken at or after the consent date.
  Fails with the rows that break it (only the key column and the reading time are returned).

  Arguments
    model, column_name  the relation and the column holding the customer key (email, serial
                        number or subject_key)
    customers           relation listing the customers, e.g. ref('customer_trusted')
    customer_key        column of `customers` matched against column_name (default email)
    consent_column      consent date column of `customers`
                        (default share_with_research_as_of_date)
    reading_time        column of the model holding the reading time, if any
    latest_by           when `customers` holds several records per customer (the landing data),
                        the column ordering them: only the latest record(s) decide, and a
                        customer consents only if every record tied for latest consents
    identity            true (the default) when the key is a customer email: both sides are
                        compared in their canonical form (canonical_email), so every spelling of
                        an email is one customer and an empty email is none; false for a key that
                        is not an email (a serial number, a subject_key), compared as it is

  Form. The consenting customers are one row per key (the earliest consent date of the key's
  consenting records, or the latest records' date with latest_by), and each model row is LEFT
  JOINed to its key's row on the key alone: a hash join. This equals "no consenting record of the
  key covers the reading" because consent_filter is monotone in the consent date — a reading
  covered by some consent date is covered by the earliest (as_of_date: reading >= date; any_time:
  any date) — and a key's row is unique, so each model row fails at most once. (The earlier form,
  NOT EXISTS with the date comparison inside, was four to five times slower on DuckDB.) The join
  on the key alone is also what lets a delta audit prove the test key-local
  (runner/execute/key-local.ts: a CTE over the customers grouped by their key).
#}
{% macro test_consent(model, column_name, customers, customer_key='email', consent_column='share_with_research_as_of_date', reading_time=none, latest_by=none, identity=true) %}
{%- set customer_id = canonical_email(customer_key) if identity else customer_key -%}
{%- set model_id = canonical_email('m.' ~ column_name) if identity else 'm.' ~ column_name -%}
with consenting_customers as (
{%- if latest_by %}
    select
        customer_key,
        max(consent_date) as consent_date
    from (
        select
            customer_key,
            consent_date,
            record_order,
            max(record_order) over (partition by customer_key) as latest_order
        from (
            select
                {{ customer_id }} as customer_key,
                {{ consent_column }} as consent_date,
                {{ latest_by }} as record_order
            from {{ customers }}
        ) keyed_records
        where customer_key is not null
    ) customer_records
    where latest_order is null or record_order = latest_order
    group by customer_key
    having count(*) = count(consent_date)
{%- else %}
    select
        {{ customer_id }} as customer_key,
        min({{ consent_column }}) as consent_date
    from {{ customers }}
    where {{ customer_id }} is not null
      and {{ consent_column }} is not null
    group by 1
{%- endif %}
)
select
    m.{{ column_name }} as {{ column_name }}
{%- if reading_time %},
    m.{{ reading_time }} as {{ reading_time }}
{%- endif %}
from {{ model }} m
left join consenting_customers c
    on c.customer_key = {{ model_id }}
where c.customer_key is null
{%- if reading_time %}
   or not coalesce({{ consent_filter('m.' ~ reading_time, 'c.consent_date') }}, false)
{%- endif %}
{% endmacro %}
