select
    c.email as user_email,
    CAST(a."timestamp" AS bigint) as reading_time,
    CAST(a.x AS double) as x,
    CAST(a.y AS double) as y,
    CAST(a.z AS double) as z
from (SELECT * FROM "stedi"."accelerometer" WHERE __stedi_batch_window('source.stedi.landing.accelerometer', "timestamp")) a
join "stedi"."customer_trusted" c
    on c.email = nullif(normalize(lower(normalize(trim(BOTH chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(28) || chr(29) || chr(30) || chr(31) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(6158) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8203) || chr(8204) || chr(8205) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(8288) || chr(12288) || chr(65279) FROM a."user")))), '')
where (c.share_with_research_as_of_date is not null and a."timestamp" is not null and a."timestamp" >= c.share_with_research_as_of_date)
