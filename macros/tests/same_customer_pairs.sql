{#
  same_customer_pairs: every row of the machine-learning table pairs a Step Trainer reading and a
  phone reading of ONE customer taken at the same millisecond, and the table holds exactly as many
  rows per customer and millisecond as that per-customer join yields.

  What it proves, per customer k (its subject_key) and millisecond t, with D(k,t) the device
  readings of k's devices at t (serial number -> the one customer of `customers` owning it) and
  P(k,t) the phone readings of k at t (user_email -> that customer of `customers`):
    1. the model has exactly |D(k,t)| x |P(k,t)| rows for (k,t), the size of the per-customer
       join; a join on the timestamp alone adds other customers' phone readings and is caught here;
    2. each row's distance is that of a reading in D(k,t), and its x, y, z those of a reading in
       P(k,t).
  It fails with each (subject_key, sensor_reading_time) whose count differs, and each row that
  is not such a pair.

  Why this form proves what the earlier one did, at a fraction of the cost. The earlier form
  hashed every device and phone reading's email into a subject_key (a keyed SHA-256 per row), then
  joined device readings with phone readings row by row twice: once to count, once for a
  correlated check that some pair of the join matched each model row. Now:
    - the customer's subject_key is carried by `customers` (derived at ingestion), so readings get
      their customer by a join on the serial number or the canonical email: no hashing. Each
      customer is numbered once (customer_ids: one number per subject_key), and the large joins
      and groupings use that number instead of 64-character keys: the model's rows carry only
      the number through the large groupings (a 64-character key per row, kept to name the
      failing customer, cost a fifth of the test). A model row whose subject_key is no
      customer's gets no number; it is counted apart, per key and millisecond (unknown_keys,
      one anti-join), and fails the count check there with 0 rows expected, named by its key;
    - counts: the join of D(k,t) and P(k,t) has |D(k,t)| x |P(k,t)| rows, so it is enough to
      count each side per (k,t) and multiply, instead of building the join and counting it;
    - values: for one (k,t) the join is the cross product D(k,t) x P(k,t), so a row (d, p) is a
      pair of the join exactly when d is in D(k,t) and p is in P(k,t): two set differences (the
      model's distinct (k, t, distance) and (k, t, x, y, z) minus the readings', NULLs equal as
      in `is not distinct from`) decide what the correlated check over the join decided. A
      failing value is reported once per distinct (k, t, value), not once per row.

  Arguments
    model           the machine-learning table: subject_key, sensor_reading_time,
                    distance_from_object, x, y, z
    step_trainer    e.g. ref('step_trainer_trusted'): sensor_reading_time, serial_number,
                    distance_from_object
    accelerometer   e.g. ref('accelerometer_trusted'): user_email, reading_time, x, y, z
    customers       e.g. ref('customer_curated'): email, serial_number, subject_key (canonical
                    emails, one row per customer: its blocking tests)
#}
{% macro test_same_customer_pairs(model, step_trainer, accelerometer, customers) %}
with customer_ids as (
    select
        subject_key,
        email,
        serial_number,
        case when subject_key is not null then dense_rank() over (order by subject_key) end as customer_id
    from {{ customers }}
),
device_owners as (
    select serial_number, max(customer_id) as customer_id
    from customer_ids
    where serial_number is not null
    group by serial_number
    having count(distinct customer_id) = 1
       and count(customer_id) = count(*)
),
device_readings as (
    select o.customer_id, st.sensor_reading_time, st.distance_from_object
    from {{ step_trainer }} st
    join device_owners o on o.serial_number = st.serial_number
),
phone_readings as (
    select c.customer_id, a.reading_time, a.x, a.y, a.z
    from {{ accelerometer }} a
    join customer_ids c on c.email = a.user_email
),
model_rows as (
    select k.customer_id, m.sensor_reading_time, m.distance_from_object, m.x, m.y, m.z
    from {{ model }} m
    join (select distinct subject_key, customer_id from customer_ids where customer_id is not null) k on k.subject_key = m.subject_key
),
unknown_keys as (
    select m.subject_key, m.sensor_reading_time, count(*) as actual_rows
    from {{ model }} m
    where not exists (select 1 from customer_ids c where c.customer_id is not null and c.subject_key = m.subject_key)
    group by m.subject_key, m.sensor_reading_time
),
expected_counts as (
    select d.customer_id, d.sensor_reading_time, d.device_rows * p.phone_rows as expected_rows
    from (
        select customer_id, sensor_reading_time, count(*) as device_rows
        from device_readings
        group by customer_id, sensor_reading_time
    ) d
    join (
        select customer_id, reading_time, count(*) as phone_rows
        from phone_readings
        group by customer_id, reading_time
    ) p
        on p.customer_id = d.customer_id
       and p.reading_time = d.sensor_reading_time
),
actual_counts as (
    select customer_id, sensor_reading_time, count(*) as actual_rows
    from model_rows
    group by customer_id, sensor_reading_time
),
count_problems as (
    select
        coalesce(e.customer_id, a.customer_id) as customer_id,
        coalesce(e.sensor_reading_time, a.sensor_reading_time) as sensor_reading_time,
        coalesce(e.expected_rows, 0) as expected_rows,
        coalesce(a.actual_rows, 0) as actual_rows
    from expected_counts e
    full outer join actual_counts a
        on a.customer_id = e.customer_id
       and a.sensor_reading_time = e.sensor_reading_time
    where e.expected_rows is null
       or a.actual_rows is null
       or e.expected_rows <> a.actual_rows
),
value_problems as (
    select customer_id, sensor_reading_time
    from (
        select customer_id, sensor_reading_time, distance_from_object from model_rows
        except
        select customer_id, sensor_reading_time, distance_from_object from device_readings
    ) distances
    union
    select customer_id, sensor_reading_time
    from (
        select customer_id, sensor_reading_time, x, y, z from model_rows
        except
        select customer_id, reading_time, x, y, z from phone_readings
    ) phones
),
keys as (
    select distinct customer_id, subject_key from customer_ids where customer_id is not null
)
select
    k.subject_key,
    c.sensor_reading_time,
    'row count differs from the same-customer join' as problem,
    c.expected_rows,
    c.actual_rows
from count_problems c
left join keys k on k.customer_id = c.customer_id
union all
select
    u.subject_key,
    u.sensor_reading_time,
    'row count differs from the same-customer join' as problem,
    CAST(0 AS bigint) as expected_rows,
    u.actual_rows
from unknown_keys u
union all
select
    k.subject_key,
    v.sensor_reading_time,
    'not a device and phone reading of the same customer' as problem,
    CAST(null AS bigint) as expected_rows,
    CAST(null AS bigint) as actual_rows
from value_problems v
left join keys k on k.customer_id = v.customer_id
{% endmacro %}
