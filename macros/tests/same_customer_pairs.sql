{#
  same_customer_pairs: every row of the machine-learning table pairs a Step Trainer reading and a
  phone reading of ONE customer taken at the same millisecond, and the table holds exactly the
  pairs that per-customer join yields.

  The test recomputes, from the trusted tables, each customer's device readings (serial number ->
  the one curated customer owning it) and phone readings, keyed by subject_key. Customers are
  told apart by their canonical email (canonical_email; subject_key hashes that form too), so two
  spellings of one email are one customer. It fails with:
    - each (subject_key, sensor_reading_time) whose row count differs from the count the
      same-customer join gives (device readings x phone readings of that customer at that time);
      a join on the timestamp alone adds the other customers' phone readings and is caught here;
    - each row whose distance and x, y, z are not those of a device reading and a phone reading
      of the customer its subject_key names, at that time.

  Arguments
    model           the machine-learning table: subject_key, sensor_reading_time,
                    distance_from_object, x, y, z
    step_trainer    e.g. ref('step_trainer_trusted'): sensor_reading_time, serial_number,
                    distance_from_object
    accelerometer   e.g. ref('accelerometer_trusted'): user_email, reading_time, x, y, z
    customers       e.g. ref('customer_curated'): email, serial_number
#}
{% macro test_same_customer_pairs(model, step_trainer, accelerometer, customers) %}
with device_owners as (
    select serial_number, max(customer_identity) as email
    from (
        select serial_number, {{ canonical_email('email') }} as customer_identity
        from {{ customers }}
    ) customer_identities
    where serial_number is not null
    group by serial_number
    having count(distinct customer_identity) = 1
       and count(customer_identity) = count(*)
),
device_readings as (
    select
        {{ subject_key('o.email') }} as subject_key,
        st.sensor_reading_time,
        st.distance_from_object
    from {{ step_trainer }} st
    join device_owners o on o.serial_number = st.serial_number
),
phone_readings as (
    select
        {{ subject_key('a.user_email') }} as subject_key,
        a.reading_time,
        a.x,
        a.y,
        a.z
    from {{ accelerometer }} a
),
expected_counts as (
    select d.subject_key, d.sensor_reading_time, count(*) as expected_rows
    from device_readings d
    join phone_readings p
        on p.subject_key = d.subject_key
       and p.reading_time = d.sensor_reading_time
    group by d.subject_key, d.sensor_reading_time
),
actual_counts as (
    select subject_key, sensor_reading_time, count(*) as actual_rows
    from {{ model }}
    group by subject_key, sensor_reading_time
)
select
    coalesce(e.subject_key, a.subject_key) as subject_key,
    coalesce(e.sensor_reading_time, a.sensor_reading_time) as sensor_reading_time,
    'row count differs from the same-customer join' as problem,
    coalesce(e.expected_rows, 0) as expected_rows,
    coalesce(a.actual_rows, 0) as actual_rows
from expected_counts e
full outer join actual_counts a
    on a.subject_key = e.subject_key
   and a.sensor_reading_time = e.sensor_reading_time
where e.expected_rows is null
   or a.actual_rows is null
   or e.expected_rows <> a.actual_rows
union all
select
    m.subject_key,
    m.sensor_reading_time,
    'not a device and phone reading of the same customer' as problem,
    CAST(null AS bigint) as expected_rows,
    CAST(null AS bigint) as actual_rows
from {{ model }} m
where not exists (
    select 1
    from device_readings d
    join phone_readings p
        on p.subject_key = d.subject_key
       and p.reading_time = d.sensor_reading_time
    where d.subject_key = m.subject_key
      and d.sensor_reading_time = m.sensor_reading_time
      and d.distance_from_object is not distinct from m.distance_from_object
      and p.x is not distinct from m.x
      and p.y is not distinct from m.y
      and p.z is not distinct from m.z
)
{% endmacro %}
