CREATE TABLE "stedi"."machine_learning_curated__stedi_20260102t000000z_01010101"
WITH (table_type = 'ICEBERG', is_external = false, location = 's3://lake-bucket/zones/machine_learning/curated/machine_learning_curated/v=20260102T000000Z-01010101/', format = 'PARQUET', write_compression = 'ZSTD')
AS
SELECT * FROM (
select
    st.sensor_reading_time,
    st.distance_from_object,
    a.x,
    a.y,
    a.z,
    c.subject_key
from (SELECT * FROM "stedi"."step_trainer_trusted" WHERE ((("sensor_reading_time" >= 1699999200000 AND "sensor_reading_time" < 1700006400000) OR ("sensor_reading_time" >= 1700298000000 AND "sensor_reading_time" < 1700301600000) OR "sensor_reading_time" IS NULL))) st
join "stedi"."customer_curated" c
    on c.serial_number = st.serial_number
join (SELECT * FROM "stedi"."accelerometer_trusted" WHERE ((("reading_time" >= 1699999200000 AND "reading_time" < 1700006400000) OR ("reading_time" >= 1700298000000 AND "reading_time" < 1700301600000) OR "reading_time" IS NULL))) a
    on a.user_email = c.email
   and a.reading_time = st.sensor_reading_time
) stedi_batch
UNION ALL
SELECT * FROM (
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
) stedi_keyed WHERE coalesce(lower(to_hex(md5(to_utf8(CAST(stedi_keyed."subject_key" AS varchar))))), '-') IN ('0c83f57c786a0b4a39efab23731c7ebc') AND NOT ((stedi_keyed."sensor_reading_time" >= 1699999200000 AND stedi_keyed."sensor_reading_time" < 1700006400000) OR (stedi_keyed."sensor_reading_time" >= 1700298000000 AND stedi_keyed."sensor_reading_time" < 1700301600000) OR stedi_keyed."sensor_reading_time" IS NULL)

SELECT count(*) AS stray FROM "stedi"."machine_learning_curated__stedi_20260102t000000z_01010101" c WHERE NOT ((c."sensor_reading_time" >= 1699999200000 AND c."sensor_reading_time" < 1700006400000) OR (c."sensor_reading_time" >= 1700298000000 AND c."sensor_reading_time" < 1700301600000) OR c."sensor_reading_time" IS NULL) AND NOT coalesce(lower(to_hex(md5(to_utf8(CAST(c."subject_key" AS varchar))))), '-') IN ('0c83f57c786a0b4a39efab23731c7ebc')

select count(*) as failures from (
select * from (SELECT * FROM "stedi"."machine_learning_curated" stedi_kept WHERE NOT (((stedi_kept."sensor_reading_time" >= 1699999200000 AND stedi_kept."sensor_reading_time" < 1700006400000) OR (stedi_kept."sensor_reading_time" >= 1700298000000 AND stedi_kept."sensor_reading_time" < 1700301600000) OR stedi_kept."sensor_reading_time" IS NULL) OR coalesce(lower(to_hex(md5(to_utf8(CAST(stedi_kept."subject_key" AS varchar))))), '-') IN ('0c83f57c786a0b4a39efab23731c7ebc')) UNION ALL SELECT * FROM "stedi"."machine_learning_curated__stedi_20260102t000000z_01010101") where sensor_reading_time is null
) as stedi_test

MERGE INTO "stedi"."machine_learning_curated" t
USING (SELECT d.__stedi_delete, c.* FROM (VALUES (1), (CAST(NULL AS integer))) AS d(__stedi_delete) LEFT JOIN (SELECT 1 AS __stedi_row, * FROM "stedi"."machine_learning_curated__stedi_20260102t000000z_01010101") c ON d.__stedi_delete IS NULL) s
ON (CASE WHEN (((t."sensor_reading_time" >= 1699999200000 AND t."sensor_reading_time" < 1700006400000) OR (t."sensor_reading_time" >= 1700298000000 AND t."sensor_reading_time" < 1700301600000) OR t."sensor_reading_time" IS NULL) OR coalesce(lower(to_hex(md5(to_utf8(CAST(t."subject_key" AS varchar))))), '-') IN ('0c83f57c786a0b4a39efab23731c7ebc')) THEN 1 END) = s.__stedi_delete
WHEN MATCHED THEN DELETE
WHEN NOT MATCHED AND s.__stedi_row = 1 THEN INSERT ("sensor_reading_time", "distance_from_object", "x", "y", "z", "subject_key") VALUES (s."sensor_reading_time", s."distance_from_object", s."x", s."y", s."z", s."subject_key")
