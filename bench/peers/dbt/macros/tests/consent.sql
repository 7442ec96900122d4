{#
  consent: every row of the model belongs to a customer who consented to research, and, when
  reading_time is given and consent_policy is as_of_date, was taken at or after the consent date.
  Fails with the rows that break it (only the key column and the reading time are returned).

  Arguments
    model, column_name  the relation and the column holding the customer key (email, serial
                        number or subject key)
    customers           relation listing the customers, e.g. ref('customer_trusted')
    customer_key        column of `customers` matched against column_name (default email)
    consent_column      consent date column of `customers`
                        (default share_with_research_as_of_date)
    reading_time        column of the model holding the reading time, if any
    latest_by           when `customers` holds several records per customer (the landing data),
                        the column ordering them: only the latest record(s) decide, and a
                        customer consents only if every record tied for latest consents
    pseudonymised       true when column_name holds subject_key(customer_key) instead of the key
#}
{% macro test_consent(model, column_name, customers, customer_key='email', consent_column='share_with_research_as_of_date', reading_time=none, latest_by=none, pseudonymised=false) %}
with consenting_customers as (
{%- if latest_by %}
    select
        customer_key,
        max(consent_date) as consent_date
    from (
        select
            {{ customer_key }} as customer_key,
            {{ consent_column }} as consent_date,
            {{ latest_by }} as record_order,
            max({{ latest_by }}) over (partition by {{ customer_key }}) as latest_order
        from {{ customers }}
        where {{ customer_key }} is not null
    ) customer_records
    where latest_order is null or record_order = latest_order
    group by customer_key
    having count(*) = count(consent_date)
{%- else %}
    select
        {{ customer_key }} as customer_key,
        {{ consent_column }} as consent_date
    from {{ customers }}
    where {{ customer_key }} is not null
      and {{ consent_column }} is not null
{%- endif %}
)
select
    m.{{ column_name }} as {{ column_name }}
{%- if reading_time %},
    m.{{ reading_time }} as {{ reading_time }}
{%- endif %}
from {{ model }} m
where not exists (
    select 1
    from consenting_customers c
    where {% if pseudonymised %}{{ subject_key('c.customer_key') }}{% else %}c.customer_key{% endif %} = m.{{ column_name }}
{%- if reading_time %}
      and {{ consent_filter('m.' ~ reading_time, 'c.consent_date') }}
{%- endif %}
)
{% endmacro %}
