CREATE TABLE "stedi"."step_trainer_trusted__stedi_20260102t000000z_01010101"
WITH (table_type = 'ICEBERG', is_external = false, location = 's3://lake-bucket/zones/step_trainer/trusted/step_trainer_trusted/v=20260102T000000Z-01010101/', format = 'PARQUET', write_compression = 'ZSTD')
AS
SELECT * FROM (
select
    CAST(st.sensorReadingTime AS bigint) as sensor_reading_time,
    o.serial_number,
    CAST(st.distanceFromObject AS bigint) as distance_from_object
from (SELECT * FROM "stedi"."step_trainer" WHERE ((("sensorReadingTime" >= 1699999200000 AND "sensorReadingTime" < 1700006400000) OR ("sensorReadingTime" >= 1700298000000 AND "sensorReadingTime" < 1700301600000) OR "sensorReadingTime" IS NULL))) st
join "stedi"."device_owners" o
    on o.serial_number = st.serialNumber
where (o.share_with_research_as_of_date is not null and st.sensorReadingTime is not null and st.sensorReadingTime >= o.share_with_research_as_of_date)
) stedi_batch
UNION ALL
SELECT * FROM (
select
    CAST(st.sensorReadingTime AS bigint) as sensor_reading_time,
    o.serial_number,
    CAST(st.distanceFromObject AS bigint) as distance_from_object
from (SELECT * FROM "stedi"."step_trainer" WHERE (TRUE)) st
join "stedi"."device_owners" o
    on o.serial_number = st.serialNumber
where (o.share_with_research_as_of_date is not null and st.sensorReadingTime is not null and st.sensorReadingTime >= o.share_with_research_as_of_date)
) stedi_keyed WHERE coalesce(lower(to_hex(md5(to_utf8(CAST(stedi_keyed."serial_number" AS varchar))))), '-') IN ('0c83f57c786a0b4a39efab23731c7ebc') AND NOT ((stedi_keyed."sensor_reading_time" >= 1699999200000 AND stedi_keyed."sensor_reading_time" < 1700006400000) OR (stedi_keyed."sensor_reading_time" >= 1700298000000 AND stedi_keyed."sensor_reading_time" < 1700301600000) OR stedi_keyed."sensor_reading_time" IS NULL)

SELECT count(*) AS stray FROM "stedi"."step_trainer_trusted__stedi_20260102t000000z_01010101" c WHERE NOT ((c."sensor_reading_time" >= 1699999200000 AND c."sensor_reading_time" < 1700006400000) OR (c."sensor_reading_time" >= 1700298000000 AND c."sensor_reading_time" < 1700301600000) OR c."sensor_reading_time" IS NULL) AND NOT coalesce(lower(to_hex(md5(to_utf8(CAST(c."serial_number" AS varchar))))), '-') IN ('0c83f57c786a0b4a39efab23731c7ebc')

select count(*) as failures from (
select * from (SELECT * FROM "stedi"."step_trainer_trusted" stedi_kept WHERE NOT (((stedi_kept."sensor_reading_time" >= 1699999200000 AND stedi_kept."sensor_reading_time" < 1700006400000) OR (stedi_kept."sensor_reading_time" >= 1700298000000 AND stedi_kept."sensor_reading_time" < 1700301600000) OR stedi_kept."sensor_reading_time" IS NULL) OR coalesce(lower(to_hex(md5(to_utf8(CAST(stedi_kept."serial_number" AS varchar))))), '-') IN ('0c83f57c786a0b4a39efab23731c7ebc')) UNION ALL SELECT * FROM "stedi"."step_trainer_trusted__stedi_20260102t000000z_01010101") where sensor_reading_time is null
) as stedi_test

MERGE INTO "stedi"."step_trainer_trusted" t
USING (SELECT d.__stedi_delete, c.* FROM (VALUES (1), (CAST(NULL AS integer))) AS d(__stedi_delete) LEFT JOIN (SELECT 1 AS __stedi_row, * FROM "stedi"."step_trainer_trusted__stedi_20260102t000000z_01010101") c ON d.__stedi_delete IS NULL) s
ON (CASE WHEN (((t."sensor_reading_time" >= 1699999200000 AND t."sensor_reading_time" < 1700006400000) OR (t."sensor_reading_time" >= 1700298000000 AND t."sensor_reading_time" < 1700301600000) OR t."sensor_reading_time" IS NULL) OR coalesce(lower(to_hex(md5(to_utf8(CAST(t."serial_number" AS varchar))))), '-') IN ('0c83f57c786a0b4a39efab23731c7ebc')) THEN 1 END) = s.__stedi_delete
WHEN MATCHED THEN DELETE
WHEN NOT MATCHED AND s.__stedi_row = 1 THEN INSERT ("sensor_reading_time", "serial_number", "distance_from_object") VALUES (s."sensor_reading_time", s."serial_number", s."distance_from_object")
