{#
  customer_latest_records(relation): one row per customer identity, the latest landing record, with
  snake_case columns and the record's subject_key. The identity is canonical_email(email) (macros/identity.sql): the spellings
  of one email that differ only in case, surrounding whitespace or Unicode composition are one
  customer, and `email` holds the canonical form. Records without an identity (no email, an empty
  or a whitespace-only one) are dropped: they can be neither deduplicated nor matched to phone
  readings (the missing_email rule of the reconciliation).

  Latest = highest lastUpdateDate (a record without lastUpdateDate counts as the oldest). Ties are
  broken deterministically and conservatively:
    1. a record WITHOUT research consent wins over one with consent;
       among consenting records, the later shareWithResearchAsOfDate wins;
    2. then the later registrationDate;
    3. then the smallest serialNumber, customerName, phone, birthDay (plain string order),
       then the later public and friends sharing dates.
  Records equal on all of these differ at most in the spelling of the email, which becomes the
  same canonical email; the smallest subject_key (the pseudonym derived at ingestion from that
  canonical email, the same for every spelling) makes the choice deterministic all the same.
#}
{% macro customer_latest_records(relation) -%}
select
    customer_name,
    email,
    phone,
    birth_day,
    serial_number,
    registration_date,
    last_update_date,
    share_with_research_as_of_date,
    share_with_public_as_of_date,
    share_with_friends_as_of_date,
    subject_key
from (
    select
        CAST(customerName AS varchar) as customer_name,
        customer_identity as email,
        CAST(phone AS varchar) as phone,
        CAST(birthDay AS varchar) as birth_day,
        CAST(serialNumber AS varchar) as serial_number,
        CAST(registrationDate AS bigint) as registration_date,
        CAST(lastUpdateDate AS bigint) as last_update_date,
        CAST(shareWithResearchAsOfDate AS bigint) as share_with_research_as_of_date,
        CAST(shareWithPublicAsOfDate AS bigint) as share_with_public_as_of_date,
        CAST(shareWithFriendsAsOfDate AS bigint) as share_with_friends_as_of_date,
        CAST(subject_key AS varchar) as subject_key,
        row_number() over (
            partition by customer_identity
            order by
                lastUpdateDate desc nulls last,
                shareWithResearchAsOfDate desc nulls first,
                registrationDate desc nulls last,
                serialNumber asc nulls last,
                customerName asc nulls last,
                phone asc nulls last,
                birthDay asc nulls last,
                shareWithPublicAsOfDate desc nulls first,
                shareWithFriendsAsOfDate desc nulls first,
                subject_key asc nulls last
        ) as record_rank
    from (
        select *, {{ canonical_email('email') }} as customer_identity
        from {{ relation }}
    ) identified_records
    where customer_identity is not null
) ranked_records
where record_rank = 1
{%- endmacro %}

{#
  device_claims(relation): one row per device serial number claimed in the landing customer
  data, with the number of customers claiming it and, when exactly one does, that customer's
  canonical email. A claim is the serialNumber of a customer's latest record (see
  customer_latest_records); a record without an identity (no email, an empty or a whitespace-only
  one) is a claim of its own, since someone unknown registered the device.
  A serial with more than one claimant cannot be attributed to anyone.
  latest_records (optional): the name of a relation or CTE already holding
  customer_latest_records(relation), so a query that needs both computes the latest records once.
#}
{% macro device_claims(relation, latest_records=none) -%}
select
    serial_number,
    count(*) as claimants,
    case when count(*) = 1 then max(email) end as email
from (
    select serial_number, email
    from {% if latest_records %}{{ latest_records }}{% else %}({{ customer_latest_records(relation) }}){% endif %} latest_records
    where serial_number is not null
    union all
    select CAST(serialNumber AS varchar) as serial_number, CAST(null AS varchar) as email
    from {{ relation }}
    where {{ canonical_email('email') }} is null and serialNumber is not null
) claims
group by serial_number
{%- endmacro %}
