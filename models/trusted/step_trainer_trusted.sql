{{ config(
    entity='step_trainer', tags=['pii'], pii_allowed=true,
    materialized='incremental', incremental_strategy='microbatch',
    event_time='sensor_reading_time', batch_size='hour', lookback=0,
    restate_by={'column': 'serial_number', 'from': {'customer_curated': 'serial_number'} }
) }}

{#
  Step Trainer readings of devices owned by a curated customer, filtered by
  var('consent_policy') against that customer's consent date.
  A device is attributed only when exactly one customer claims its serial number in the landing
  customer data (latest record per email, plus records without an email). A serial claimed by
  several customers - consenting or not - is attributed to no one and its readings are dropped:
  they may belong to a person who never consented.

  Incremental by hour of reading time (microbatch): the hours new or changed landing files hold
  readings for are rebuilt, and every reading of a serial whose customer_curated row changed is
  restated. The landing customer records (the claims on each serial) have no key here: when they
  change, the table is rebuilt whole.
#}

with unambiguous_devices as (
    select serial_number, email
    from ({{ device_claims(source('landing', 'customer')) }}) claims
    where claimants = 1
),

device_owners as (
    select
        c.serial_number,
        c.share_with_research_as_of_date
    from {{ ref('customer_curated') }} c
    join unambiguous_devices d
        on d.serial_number = c.serial_number
       and d.email = c.email
)

select
    CAST(st.sensorReadingTime AS bigint) as sensor_reading_time,
    CAST(st.serialNumber AS varchar) as serial_number,
    CAST(st.distanceFromObject AS bigint) as distance_from_object
from {{ source('landing', 'step_trainer') }} st
join device_owners o
    on o.serial_number = st.serialNumber
where {{ consent_filter('st.sensorReadingTime', 'o.share_with_research_as_of_date') }}
