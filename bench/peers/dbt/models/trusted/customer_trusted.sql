{{ config(tags=['pii']) }}

{#
  One row per customer identity, the canonical email (canonical_email, macros/identity.sql): the
  latest landing record of any spelling of that email (see customer_latest_records for the
  ordering and the tie-break), kept only when that latest record carries research consent.
  A customer who consented in an older record and withdrew it later - in any spelling of the
  email - is therefore excluded. `email` holds the canonical form; `subject_key` is the customer's
  pseudonym, carried from the landing record (derived there from the canonical email).
#}

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
from ({{ customer_latest_records(source('landing', 'customer')) }}) latest_records
where share_with_research_as_of_date is not null
