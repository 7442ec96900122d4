CREATE TABLE "stedi"."accelerometer_trusted__stedi_20260102t000000z_01010101"
WITH (table_type = 'ICEBERG', is_external = false, location = 's3://lake-bucket/zones/accelerometer/trusted/accelerometer_trusted/v=20260102T000000Z-01010101/', format = 'PARQUET', write_compression = 'ZSTD')
AS
SELECT * FROM (
select
    c.email as user_email,
    CAST(a."timestamp" AS bigint) as reading_time,
    CAST(a.x AS double) as x,
    CAST(a.y AS double) as y,
    CAST(a.z AS double) as z
from (SELECT * FROM "stedi"."accelerometer" WHERE ((("timestamp" >= 1699999200000 AND "timestamp" < 1700006400000) OR ("timestamp" >= 1700298000000 AND "timestamp" < 1700301600000) OR "timestamp" IS NULL))) a
join "stedi"."customer_trusted" c
    on c.email = nullif(normalize(lower(normalize(trim(BOTH chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(28) || chr(29) || chr(30) || chr(31) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(6158) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8203) || chr(8204) || chr(8205) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(8288) || chr(12288) || chr(65279) FROM a."user")))), '')
where (c.share_with_research_as_of_date is not null and a."timestamp" is not null and a."timestamp" >= c.share_with_research_as_of_date)
) stedi_batch
UNION ALL
SELECT * FROM (
select
    c.email as user_email,
    CAST(a."timestamp" AS bigint) as reading_time,
    CAST(a.x AS double) as x,
    CAST(a.y AS double) as y,
    CAST(a.z AS double) as z
from (SELECT * FROM "stedi"."accelerometer" WHERE (TRUE)) a
join "stedi"."customer_trusted" c
    on c.email = nullif(normalize(lower(normalize(trim(BOTH chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(28) || chr(29) || chr(30) || chr(31) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(6158) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8203) || chr(8204) || chr(8205) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(8288) || chr(12288) || chr(65279) FROM a."user")))), '')
where (c.share_with_research_as_of_date is not null and a."timestamp" is not null and a."timestamp" >= c.share_with_research_as_of_date)
) stedi_keyed WHERE coalesce(lower(to_hex(md5(to_utf8(CAST(stedi_keyed."user_email" AS varchar))))), '-') IN ('0c83f57c786a0b4a39efab23731c7ebc') AND NOT ((stedi_keyed."reading_time" >= 1699999200000 AND stedi_keyed."reading_time" < 1700006400000) OR (stedi_keyed."reading_time" >= 1700298000000 AND stedi_keyed."reading_time" < 1700301600000) OR stedi_keyed."reading_time" IS NULL)

SELECT count(*) AS stray FROM "stedi"."accelerometer_trusted__stedi_20260102t000000z_01010101" c WHERE NOT ((c."reading_time" >= 1699999200000 AND c."reading_time" < 1700006400000) OR (c."reading_time" >= 1700298000000 AND c."reading_time" < 1700301600000) OR c."reading_time" IS NULL) AND NOT coalesce(lower(to_hex(md5(to_utf8(CAST(c."user_email" AS varchar))))), '-') IN ('0c83f57c786a0b4a39efab23731c7ebc')

select count(*) as failures from (
select * from (SELECT * FROM "stedi"."accelerometer_trusted" stedi_kept WHERE NOT (((stedi_kept."reading_time" >= 1699999200000 AND stedi_kept."reading_time" < 1700006400000) OR (stedi_kept."reading_time" >= 1700298000000 AND stedi_kept."reading_time" < 1700301600000) OR stedi_kept."reading_time" IS NULL) OR coalesce(lower(to_hex(md5(to_utf8(CAST(stedi_kept."user_email" AS varchar))))), '-') IN ('0c83f57c786a0b4a39efab23731c7ebc')) UNION ALL SELECT * FROM "stedi"."accelerometer_trusted__stedi_20260102t000000z_01010101") where reading_time is null
) as stedi_test

MERGE INTO "stedi"."accelerometer_trusted" t
USING (SELECT d.__stedi_delete, c.* FROM (VALUES (1), (CAST(NULL AS integer))) AS d(__stedi_delete) LEFT JOIN (SELECT 1 AS __stedi_row, * FROM "stedi"."accelerometer_trusted__stedi_20260102t000000z_01010101") c ON d.__stedi_delete IS NULL) s
ON (CASE WHEN (((t."reading_time" >= 1699999200000 AND t."reading_time" < 1700006400000) OR (t."reading_time" >= 1700298000000 AND t."reading_time" < 1700301600000) OR t."reading_time" IS NULL) OR coalesce(lower(to_hex(md5(to_utf8(CAST(t."user_email" AS varchar))))), '-') IN ('0c83f57c786a0b4a39efab23731c7ebc')) THEN 1 END) = s.__stedi_delete
WHEN MATCHED THEN DELETE
WHEN NOT MATCHED AND s.__stedi_row = 1 THEN INSERT ("user_email", "reading_time", "x", "y", "z") VALUES (s."user_email", s."reading_time", s."x", s."y", s."z")
