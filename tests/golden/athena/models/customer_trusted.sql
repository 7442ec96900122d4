select
    customer_name,
    email,
    phone,
    birth_day,
    serial_number,
    registration_date,
    last_update_date,
    share_with_research_as_of_date,
    share_with_public_as_of_date,
    share_with_friends_as_of_date
from (select
    customer_name,
    email,
    phone,
    birth_day,
    serial_number,
    registration_date,
    last_update_date,
    share_with_research_as_of_date,
    share_with_public_as_of_date,
    share_with_friends_as_of_date
from (
    select
        CAST(customerName AS varchar) as customer_name,
        CAST(email AS varchar) as email,
        CAST(phone AS varchar) as phone,
        CAST(birthDay AS varchar) as birth_day,
        CAST(serialNumber AS varchar) as serial_number,
        CAST(registrationDate AS bigint) as registration_date,
        CAST(lastUpdateDate AS bigint) as last_update_date,
        CAST(shareWithResearchAsOfDate AS bigint) as share_with_research_as_of_date,
        CAST(shareWithPublicAsOfDate AS bigint) as share_with_public_as_of_date,
        CAST(shareWithFriendsAsOfDate AS bigint) as share_with_friends_as_of_date,
        row_number() over (
            partition by email
            order by
                lastUpdateDate desc nulls last,
                shareWithResearchAsOfDate desc nulls first,
                registrationDate desc nulls last,
                serialNumber asc nulls last,
                customerName asc nulls last,
                phone asc nulls last,
                birthDay asc nulls last,
                shareWithPublicAsOfDate desc nulls first,
                shareWithFriendsAsOfDate desc nulls first
        ) as record_rank
    from "stedi"."customer"
    where email is not null
) ranked_records
where record_rank = 1) latest_records
where share_with_research_as_of_date is not null
