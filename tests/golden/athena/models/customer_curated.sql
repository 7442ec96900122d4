select
    c.customer_name,
    c.email,
    c.phone,
    c.birth_day,
    c.serial_number,
    c.registration_date,
    c.last_update_date,
    c.share_with_research_as_of_date,
    c.share_with_public_as_of_date,
    c.share_with_friends_as_of_date,
    c.subject_key
from "stedi"."customer_trusted" c
where c.email in (
    select distinct a.user_email
    from "stedi"."accelerometer_trusted" a
)
