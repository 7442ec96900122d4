{{ config(tags=['pii']) }}

{#
  Consenting customers who have at least one phone reading in accelerometer_trusted.
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
where exists (
    select 1
    from {{ ref('accelerometer_trusted') }} a
    where a.user_email = c.email
)
