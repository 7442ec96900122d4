{{ config(tags=['ml'], **(peer_microbatch('sensor_reading_ts') if var('peer_incremental', false) else {})) }}

{#
  Each Step Trainer reading paired with the phone readings of the SAME customer taken at the
  same millisecond: device serial number -> the curated customer owning it -> that customer's
  accelerometer readings. A device is never paired with another customer's phone, even when
  both read at the same instant. The customer appears only as a keyed pseudonym (subject_key),
  carried from the customer tables: it was computed once per customer record at ingestion, so
  this model only joins, and no key reaches the engine.

  Incremental by hour (microbatch): the hours in which step_trainer_trusted or
  accelerometer_trusted changed are rebuilt (both read by that hour only: a pair is always of
  one millisecond), and every row of a customer whose customer_curated row changed is restated.
#}

select
    st.sensor_reading_time,
    st.distance_from_object,
    a.x,
    a.y,
    a.z,
    c.subject_key
{%- if var('peer_incremental', false) %},
    st.sensor_reading_ts as sensor_reading_ts
{%- endif %}
from {{ ref('step_trainer_trusted') }} st
join {{ ref('customer_curated') }} c
    on c.serial_number = st.serial_number
join {{ ref('accelerometer_trusted') }} a
    on a.user_email = c.email
   and a.reading_time = st.sensor_reading_time
