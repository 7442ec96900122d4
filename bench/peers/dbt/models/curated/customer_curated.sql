{{ config(tags=['pii']) }}

{#
  Consenting customers who have at least one phone reading in accelerometer_trusted.
  Written as IN over the distinct emails rather than a correlated EXISTS: the same rows (a NULL
  email matches neither way), and the engine groups the readings' emails once instead of probing
  with every reading.
#}

select
    c.customer_name,
    c.email,
    c.phone,
    c.birth_day,
    c.serial_number,
    c.registration_date,
    c.last_update_date,
    c.share_with_research_as_of_date,
    c.share_with_public_as_of_date,
    c.share_with_friends_as_of_date,
    c.subject_key
from {{ ref('customer_trusted') }} c
where c.email in (
    select distinct a.user_email
    from {{ ref('accelerometer_trusted') }} a
)
