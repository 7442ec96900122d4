SELECT DISTINCT CAST((CAST(stedi_was."sensor_reading_time" AS BIGINT) - ((CAST(stedi_was."sensor_reading_time" AS BIGINT) % 3600000) + 3600000) % 3600000) AS varchar) AS i FROM "stedi"."step_trainer_trusted" stedi_was WHERE coalesce(lower(to_hex(md5(to_utf8(CAST(stedi_was."serial_number" AS varchar))))), '-') IN ('0c83f57c786a0b4a39efab23731c7ebc')

SELECT DISTINCT CAST((CAST(stedi_now."sensor_reading_time" AS BIGINT) - ((CAST(stedi_now."sensor_reading_time" AS BIGINT) % 3600000) + 3600000) % 3600000) AS varchar) AS i FROM (
select
    CAST(st.sensorReadingTime AS bigint) as sensor_reading_time,
    o.serial_number,
    CAST(st.distanceFromObject AS bigint) as distance_from_object
from (SELECT * FROM "stedi"."step_trainer" WHERE (TRUE)) st
join "stedi"."device_owners" o
    on o.serial_number = st.serialNumber
where (o.share_with_research_as_of_date is not null and st.sensorReadingTime is not null and st.sensorReadingTime >= o.share_with_research_as_of_date)
) stedi_now WHERE coalesce(lower(to_hex(md5(to_utf8(CAST(stedi_now."serial_number" AS varchar))))), '-') IN ('0c83f57c786a0b4a39efab23731c7ebc')

CREATE TABLE "stedi"."step_trainer_trusted__stedi_20260102t000000z_01010101"
WITH (format = 'PARQUET', external_location = 's3://lake-bucket/zones/step_trainer/trusted/step_trainer_trusted/v=20260102T000000Z-01010101/', write_compression = 'SNAPPY', partitioned_by = ARRAY['stedi_interval'])
AS
SELECT stedi_m.*, CASE WHEN ((stedi_m."sensor_reading_time" >= 1699999200000 AND stedi_m."sensor_reading_time" < 1700002800000) OR (stedi_m."sensor_reading_time" >= 1700298000000 AND stedi_m."sensor_reading_time" < 1700301600000) OR stedi_m."sensor_reading_time" IS NULL) THEN (CAST(stedi_m."sensor_reading_time" AS BIGINT) - ((CAST(stedi_m."sensor_reading_time" AS BIGINT) % 3600000) + 3600000) % 3600000) ELSE CAST(-1 AS BIGINT) END AS "stedi_interval"
FROM (
select
    CAST(st.sensorReadingTime AS bigint) as sensor_reading_time,
    o.serial_number,
    CAST(st.distanceFromObject AS bigint) as distance_from_object
from (SELECT * FROM "stedi"."step_trainer" WHERE ((("sensorReadingTime" >= 1699999200000 AND "sensorReadingTime" < 1700002800000) OR ("sensorReadingTime" >= 1700298000000 AND "sensorReadingTime" < 1700301600000) OR "sensorReadingTime" IS NULL))) st
join "stedi"."device_owners" o
    on o.serial_number = st.serialNumber
where (o.share_with_research_as_of_date is not null and st.sensorReadingTime is not null and st.sensorReadingTime >= o.share_with_research_as_of_date)
) stedi_m

INSERT INTO "stedi"."step_trainer_trusted__stedi_20260102t000000z_01010101"
SELECT stedi_m.*, CASE WHEN ((stedi_m."sensor_reading_time" >= 1699999200000 AND stedi_m."sensor_reading_time" < 1700002800000) OR (stedi_m."sensor_reading_time" >= 1700298000000 AND stedi_m."sensor_reading_time" < 1700301600000) OR stedi_m."sensor_reading_time" IS NULL) THEN (CAST(stedi_m."sensor_reading_time" AS BIGINT) - ((CAST(stedi_m."sensor_reading_time" AS BIGINT) % 3600000) + 3600000) % 3600000) ELSE CAST(-1 AS BIGINT) END AS "stedi_interval"
FROM (
select
    CAST(st.sensorReadingTime AS bigint) as sensor_reading_time,
    o.serial_number,
    CAST(st.distanceFromObject AS bigint) as distance_from_object
from (SELECT * FROM "stedi"."step_trainer" WHERE ((("sensorReadingTime" >= 1699999200000 AND "sensorReadingTime" < 1700002800000) OR ("sensorReadingTime" >= 1700298000000 AND "sensorReadingTime" < 1700301600000) OR "sensorReadingTime" IS NULL))) st
join "stedi"."device_owners" o
    on o.serial_number = st.serialNumber
where (o.share_with_research_as_of_date is not null and st.sensorReadingTime is not null and st.sensorReadingTime >= o.share_with_research_as_of_date)
) stedi_m

SELECT count(*) AS stray FROM "stedi"."step_trainer_trusted__stedi_20260102t000000z_01010101" WHERE "stedi_interval" = -1
