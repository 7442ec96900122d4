{{ config(tags=['pii'], **(peer_microbatch('sensor_reading_ts') if var('peer_incremental', false) else {})) }}

{#
  Step Trainer readings of the devices in device_owners (a curated customer's serial that no one
  else claims), filtered by var('consent_policy') against the owner's consent date. Readings of
  unknown, ambiguous or unowned serials are dropped. serial_number is the owner's (equal to the
  reading's by the join): restate_by needs the key copied from device_owners.

  Incremental by hour of reading time (microbatch): the hours new or changed landing files hold
  readings for are rebuilt, and every reading of a serial whose device_owners row changed
  (consent, owner, a second claimant) is restated.
#}

select
    CAST(st.sensorReadingTime AS bigint) as sensor_reading_time,
    o.serial_number,
    CAST(st.distanceFromObject AS bigint) as distance_from_object
{%- if var('peer_incremental', false) %},
    make_timestamp(CAST(st.sensorReadingTime AS bigint) * 1000) as sensor_reading_ts
{%- endif %}
from {{ source('landing', 'step_trainer') }} st
join {{ ref('device_owners') }} o
    on o.serial_number = st.serialNumber
where {{ consent_filter('st.sensorReadingTime', 'o.share_with_research_as_of_date') }}
