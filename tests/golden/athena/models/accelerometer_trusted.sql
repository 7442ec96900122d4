select
    CAST(a."user" AS varchar) as user_email,
    CAST(a."timestamp" AS bigint) as reading_time,
    CAST(a.x AS double) as x,
    CAST(a.y AS double) as y,
    CAST(a.z AS double) as z
from "stedi"."accelerometer" a
join "stedi"."customer_trusted" c
    on c.email = a."user"
where (c.share_with_research_as_of_date is not null and a."timestamp" is not null and a."timestamp" >= c.share_with_research_as_of_date)
