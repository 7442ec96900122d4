with unambiguous_devices as (
    select serial_number, email
    from (select
    serial_number,
    count(*) as claimants,
    case when count(*) = 1 then max(email) end as email
from (
    select serial_number, email
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
    share_with_friends_as_of_date,
    subject_key
from (
    select
        CAST(customerName AS varchar) as customer_name,
        customer_identity as email,
        CAST(phone AS varchar) as phone,
        CAST(birthDay AS varchar) as birth_day,
        CAST(serialNumber AS varchar) as serial_number,
        CAST(registrationDate AS bigint) as registration_date,
        CAST(lastUpdateDate AS bigint) as last_update_date,
        CAST(shareWithResearchAsOfDate AS bigint) as share_with_research_as_of_date,
        CAST(shareWithPublicAsOfDate AS bigint) as share_with_public_as_of_date,
        CAST(shareWithFriendsAsOfDate AS bigint) as share_with_friends_as_of_date,
        CAST(subject_key AS varchar) as subject_key,
        row_number() over (
            partition by customer_identity
            order by
                lastUpdateDate desc nulls last,
                shareWithResearchAsOfDate desc nulls first,
                registrationDate desc nulls last,
                serialNumber asc nulls last,
                customerName asc nulls last,
                phone asc nulls last,
                birthDay asc nulls last,
                shareWithPublicAsOfDate desc nulls first,
                shareWithFriendsAsOfDate desc nulls first,
                subject_key asc nulls last
        ) as record_rank
    from (
        select *, nullif(normalize(lower(normalize(trim(BOTH chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(28) || chr(29) || chr(30) || chr(31) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(6158) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8203) || chr(8204) || chr(8205) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(8288) || chr(12288) || chr(65279) FROM email)))), '') as customer_identity
        from "stedi"."customer"
    ) identified_records
    where customer_identity is not null
) ranked_records
where record_rank = 1) latest_records
    where serial_number is not null
    union all
    select CAST(serialNumber AS varchar) as serial_number, CAST(null AS varchar) as email
    from "stedi"."customer"
    where nullif(normalize(lower(normalize(trim(BOTH chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(28) || chr(29) || chr(30) || chr(31) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(6158) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8203) || chr(8204) || chr(8205) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(8288) || chr(12288) || chr(65279) FROM email)))), '') is null and serialNumber is not null
) claims
group by serial_number) claims
    where claimants = 1
)

select
    c.serial_number,
    c.share_with_research_as_of_date
from "stedi"."customer_curated" c
join unambiguous_devices d
    on d.serial_number = c.serial_number
   and d.email = c.email
