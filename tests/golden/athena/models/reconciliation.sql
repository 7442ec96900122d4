with landing_customers as (
    select
        nullif(normalize(lower(normalize(trim(BOTH chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(28) || chr(29) || chr(30) || chr(31) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(6158) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8203) || chr(8204) || chr(8205) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(8288) || chr(12288) || chr(65279) FROM email)))), '') as customer_identity,
        CAST(email AS varchar) as email_spelling
    from "stedi"."customer"
),

identity_spellings as (
    select distinct customer_identity, email_spelling
    from landing_customers
    where customer_identity is not null
),

latest_customers as (
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
where record_rank = 1
),

trusted_customers as (
    select email, share_with_research_as_of_date
    from "stedi"."customer_trusted"
),

curated_customers as (
    select email
    from "stedi"."customer_curated"
),

devices as (
    select
    serial_number,
    count(*) as claimants,
    case when count(*) = 1 then max(email) end as email
from (
    select serial_number, email
    from latest_customers latest_records
    where serial_number is not null
    union all
    select CAST(serialNumber AS varchar) as serial_number, CAST(null AS varchar) as email
    from "stedi"."customer"
    where nullif(normalize(lower(normalize(trim(BOTH chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(28) || chr(29) || chr(30) || chr(31) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(6158) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8203) || chr(8204) || chr(8205) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(8288) || chr(12288) || chr(65279) FROM email)))), '') is null and serialNumber is not null
) claims
group by serial_number
),

customer_status as (
    select
        coalesce(l.email, t.email) as customer_identity,
        l.email as latest_email,
        t.email as trusted_email,
        t.share_with_research_as_of_date
    from latest_customers l
    full outer join trusted_customers t on t.email = l.email
),

device_status as (
    select
        d.serial_number,
        d.claimants,
        t.email as trusted_email,
        t.share_with_research_as_of_date,
        cc.email as curated_email
    from devices d
    left join trusted_customers t on t.email = d.email
    left join curated_customers cc on cc.email = d.email
),

accelerometer_keys as (
    select "user" as sent_user, count(*) as readings
    from "stedi"."accelerometer"
    group by "user"
),

accelerometer_key_rules as (
    select
        k.sent_user,
        k.readings,
        s.share_with_research_as_of_date,
        case
            when s.latest_email is null then 'unknown_customer'
            when s.trusted_email is null then 'no_consent'
        end as rule
    from accelerometer_keys k
    left join customer_status s on s.customer_identity = nullif(normalize(lower(normalize(trim(BOTH chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(28) || chr(29) || chr(30) || chr(31) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(6158) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8203) || chr(8204) || chr(8205) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(8288) || chr(12288) || chr(65279) FROM k.sent_user)))), '')
),

accelerometer_rules as (
    select rule, readings
    from accelerometer_key_rules
    where rule is not null
    union all
    select 'before_consent' as rule, count(*) as readings
    from "stedi"."accelerometer" a
    join accelerometer_key_rules k on k.sent_user = a."user"
    where k.rule is null
      and not (k.share_with_research_as_of_date is not null and a."timestamp" is not null and a."timestamp" >= k.share_with_research_as_of_date)
),

step_trainer_keys as (
    select serialNumber as serial_number, count(*) as readings
    from "stedi"."step_trainer"
    group by serialNumber
),

step_trainer_key_rules as (
    select
        k.serial_number,
        k.readings,
        s.share_with_research_as_of_date,
        case
            when s.serial_number is null then 'unknown_device'
            when s.claimants > 1 then 'ambiguous_device'
            when s.trusted_email is null then 'no_consent'
            when s.curated_email is null then 'no_accelerometer_data'
        end as rule
    from step_trainer_keys k
    left join device_status s on s.serial_number = k.serial_number
),

step_trainer_rules as (
    select rule, readings
    from step_trainer_key_rules
    where rule is not null
    union all
    select 'before_consent' as rule, count(*) as readings
    from "stedi"."step_trainer" st
    join step_trainer_key_rules k on k.serial_number = st.serialNumber
    where k.rule is null
      and not (k.share_with_research_as_of_date is not null and st.sensorReadingTime is not null and st.sensorReadingTime >= k.share_with_research_as_of_date)
),

counts as (
    select 'customer' as entity, 'landing' as rule, count(*) as row_count
    from "stedi"."customer"
    union all
    select 'customer', 'missing_email', count(*)
    from landing_customers
    where customer_identity is null
    union all
    select 'customer', 'duplicate_record',
        (select count(*) from landing_customers where customer_identity is not null)
        - (select count(*) from identity_spellings)
    union all
    select 'customer', 'merged_identity',
        (select count(*) from identity_spellings)
        - (select count(*) from latest_customers)
    union all
    select 'customer', 'no_consent', count(*)
    from latest_customers
    where share_with_research_as_of_date is null
    union all
    select 'customer', 'no_accelerometer_data', count(*)
    from trusted_customers t
    where not exists (select 1 from curated_customers cc where cc.email = t.email)
    union all
    select 'customer', 'kept', count(*)
    from curated_customers

    union all
    select 'accelerometer', 'landing', count(*)
    from "stedi"."accelerometer"
    union all
    select 'accelerometer', rule, sum(readings)
    from accelerometer_rules
    group by rule
    having sum(readings) > 0
    union all
    select 'accelerometer', 'kept', count(*)
    from "stedi"."accelerometer_trusted"

    union all
    select 'step_trainer', 'landing', count(*)
    from "stedi"."step_trainer"
    union all
    select 'step_trainer', rule, sum(readings)
    from step_trainer_rules
    group by rule
    having sum(readings) > 0
    union all
    select 'step_trainer', 'kept', count(*)
    from "stedi"."step_trainer_trusted"
)

select
    CAST(coalesce(r.entity, c.entity) AS varchar) as entity,
    CAST(coalesce(r.rule, c.rule) AS varchar) as rule,
    CAST(coalesce(c.row_count, 0) AS bigint) as row_count,
    CAST(r.description AS varchar) as description
from "stedi"."exclusion_rules" r
full outer join counts c
    on c.entity = r.entity
   and c.rule = r.rule
