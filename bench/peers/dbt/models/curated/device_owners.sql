{{ config(tags=['pii']) }}

{#
  The Step Trainer of each curated customer, one row per serial number, with the consent date
  that governs its readings. A device is attributed only when exactly one customer claims its
  serial number in the landing customer data (latest record per email, plus records without an
  email). A serial claimed by several customers - consenting or not - is attributed to no one:
  its readings may belong to a person who never consented.

  A serial's row holds everything that decides the fate of its readings in step_trainer_trusted,
  which is why step_trainer_trusted restates a serial's readings exactly when its row here
  changes (or appears, or disappears).
#}

with unambiguous_devices as (
    select serial_number, email
    from ({{ device_claims(source('landing', 'customer')) }}) claims
    where claimants = 1
)

select
    c.serial_number,
    c.share_with_research_as_of_date
from {{ ref('customer_curated') }} c
join unambiguous_devices d
    on d.serial_number = c.serial_number
   and d.email = c.email
