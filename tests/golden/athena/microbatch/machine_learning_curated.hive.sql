SELECT DISTINCT CAST((CAST(stedi_was."sensor_reading_time" AS BIGINT) - ((CAST(stedi_was."sensor_reading_time" AS BIGINT) % 3600000) + 3600000) % 3600000) AS varchar) AS i FROM "stedi"."machine_learning_curated" stedi_was WHERE coalesce(lower(to_hex(md5(to_utf8(CAST(stedi_was."subject_key" AS varchar))))), '-') IN ('0c83f57c786a0b4a39efab23731c7ebc')

SELECT DISTINCT CAST((CAST(stedi_now."sensor_reading_time" AS BIGINT) - ((CAST(stedi_now."sensor_reading_time" AS BIGINT) % 3600000) + 3600000) % 3600000) AS varchar) AS i FROM (
select
    st.sensor_reading_time,
    st.distance_from_object,
    a.x,
    a.y,
    a.z,
    c.subject_key
from (SELECT * FROM "stedi"."step_trainer_trusted" WHERE (TRUE)) st
join "stedi"."customer_curated" c
    on c.serial_number = st.serial_number
join (SELECT * FROM "stedi"."accelerometer_trusted" WHERE (TRUE)) a
    on a.user_email = c.email
   and a.reading_time = st.sensor_reading_time
) stedi_now WHERE coalesce(lower(to_hex(md5(to_utf8(CAST(stedi_now."subject_key" AS varchar))))), '-') IN ('0c83f57c786a0b4a39efab23731c7ebc')

CREATE TABLE "stedi"."machine_learning_curated__stedi_20260102t000000z_01010101"
WITH (format = 'PARQUET', external_location = 's3://lake-bucket/zones/machine_learning/curated/machine_learning_curated/v=20260102T000000Z-01010101/', write_compression = 'SNAPPY', partitioned_by = ARRAY['stedi_interval'])
AS
SELECT stedi_m.*, CASE WHEN ((stedi_m."sensor_reading_time" >= 1699999200000 AND stedi_m."sensor_reading_time" < 1700002800000) OR (stedi_m."sensor_reading_time" >= 1700298000000 AND stedi_m."sensor_reading_time" < 1700301600000) OR stedi_m."sensor_reading_time" IS NULL) THEN (CAST(stedi_m."sensor_reading_time" AS BIGINT) - ((CAST(stedi_m."sensor_reading_time" AS BIGINT) % 3600000) + 3600000) % 3600000) ELSE CAST(-1 AS BIGINT) END AS "stedi_interval"
FROM (
select
    st.sensor_reading_time,
    st.distance_from_object,
    a.x,
    a.y,
    a.z,
    c.subject_key
from (SELECT * FROM "stedi"."step_trainer_trusted" WHERE ((("sensor_reading_time" >= 1699999200000 AND "sensor_reading_time" < 1700002800000) OR ("sensor_reading_time" >= 1700298000000 AND "sensor_reading_time" < 1700301600000) OR "sensor_reading_time" IS NULL))) st
join "stedi"."customer_curated" c
    on c.serial_number = st.serial_number
join (SELECT * FROM "stedi"."accelerometer_trusted" WHERE ((("reading_time" >= 1699999200000 AND "reading_time" < 1700002800000) OR ("reading_time" >= 1700298000000 AND "reading_time" < 1700301600000) OR "reading_time" IS NULL))) a
    on a.user_email = c.email
   and a.reading_time = st.sensor_reading_time
) stedi_m

INSERT INTO "stedi"."machine_learning_curated__stedi_20260102t000000z_01010101"
SELECT stedi_m.*, CASE WHEN ((stedi_m."sensor_reading_time" >= 1699999200000 AND stedi_m."sensor_reading_time" < 1700002800000) OR (stedi_m."sensor_reading_time" >= 1700298000000 AND stedi_m."sensor_reading_time" < 1700301600000) OR stedi_m."sensor_reading_time" IS NULL) THEN (CAST(stedi_m."sensor_reading_time" AS BIGINT) - ((CAST(stedi_m."sensor_reading_time" AS BIGINT) % 3600000) + 3600000) % 3600000) ELSE CAST(-1 AS BIGINT) END AS "stedi_interval"
FROM (
select
    st.sensor_reading_time,
    st.distance_from_object,
    a.x,
    a.y,
    a.z,
    c.subject_key
from (SELECT * FROM "stedi"."step_trainer_trusted" WHERE ((("sensor_reading_time" >= 1699999200000 AND "sensor_reading_time" < 1700002800000) OR ("sensor_reading_time" >= 1700298000000 AND "sensor_reading_time" < 1700301600000) OR "sensor_reading_time" IS NULL))) st
join "stedi"."customer_curated" c
    on c.serial_number = st.serial_number
join (SELECT * FROM "stedi"."accelerometer_trusted" WHERE ((("reading_time" >= 1699999200000 AND "reading_time" < 1700002800000) OR ("reading_time" >= 1700298000000 AND "reading_time" < 1700301600000) OR "reading_time" IS NULL))) a
    on a.user_email = c.email
   and a.reading_time = st.sensor_reading_time
) stedi_m

SELECT count(*) AS stray FROM "stedi"."machine_learning_curated__stedi_20260102t000000z_01010101" WHERE "stedi_interval" = -1
