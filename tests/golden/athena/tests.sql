-- accepted_range_reconciliation_row_count (models/audit/audit.yml:29)
select * from "stedi"."reconciliation"
where row_count is not null and not (true and row_count >= 0)

-- accepted_range_step_trainer_trusted_distance_from_object (models/trusted/trusted.yml:152)
select * from "stedi"."step_trainer_trusted"
where distance_from_object is not null and not (true and distance_from_object >= 0)

-- accepted_values_exclusion_rules_entity (models/seeds.yml:13)
select entity as value_field, count(*) as n_records
from "stedi"."exclusion_rules"
where entity is not null
  and entity not in ('customer', 'accelerometer', 'step_trainer')
group by entity

-- accepted_values_exclusion_rules_kind (models/seeds.yml:25)
select kind as value_field, count(*) as n_records
from "stedi"."exclusion_rules"
where kind is not null
  and kind not in ('total', 'kept', 'excluded')
group by kind

-- accepted_values_reconciliation_entity (models/audit/audit.yml:17)
select entity as value_field, count(*) as n_records
from "stedi"."reconciliation"
where entity is not null
  and entity not in ('customer', 'accelerometer', 'step_trainer')
group by entity

-- ambiguous_devices_step_trainer_trusted (models/trusted/trusted.yml:159)
with ambiguous as (
    select serial_number
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
    where claimants > 1
),

affected as (
    select
        (select count(*) from ambiguous) as ambiguous_devices,
        (
            select count(*)
            from "stedi"."step_trainer" r
            where r.serialNumber in (select serial_number from ambiguous)
        ) as excluded_readings
)

select ambiguous_devices, excluded_readings
from affected
where ambiguous_devices > 0

-- canonical_identity_accelerometer_trusted_user_email (models/trusted/trusted.yml:93)
select
    user_email,
    'not in canonical form' as problem
from "stedi"."accelerometer_trusted"
where user_email is not null
  and user_email is distinct from nullif(normalize(lower(normalize(trim(BOTH chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(28) || chr(29) || chr(30) || chr(31) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(6158) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8203) || chr(8204) || chr(8205) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(8288) || chr(12288) || chr(65279) FROM user_email)))), '')

-- canonical_identity_customer_curated_email (models/curated/curated.yml:19)
select
    email,
    'not in canonical form' as problem
from "stedi"."customer_curated"
where email is not null
  and email is distinct from nullif(normalize(lower(normalize(trim(BOTH chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(28) || chr(29) || chr(30) || chr(31) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(6158) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8203) || chr(8204) || chr(8205) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(8288) || chr(12288) || chr(65279) FROM email)))), '')
union all
select
    customer_identity as email,
    'one identity in several rows' as problem
from (
    select nullif(normalize(lower(normalize(trim(BOTH chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(28) || chr(29) || chr(30) || chr(31) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(6158) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8203) || chr(8204) || chr(8205) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(8288) || chr(12288) || chr(65279) FROM email)))), '') as customer_identity
    from "stedi"."customer_curated"
) identities
where customer_identity is not null
group by customer_identity
having count(*) > 1

-- canonical_identity_customer_trusted_email (models/trusted/trusted.yml:30)
select
    email,
    'not in canonical form' as problem
from "stedi"."customer_trusted"
where email is not null
  and email is distinct from nullif(normalize(lower(normalize(trim(BOTH chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(28) || chr(29) || chr(30) || chr(31) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(6158) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8203) || chr(8204) || chr(8205) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(8288) || chr(12288) || chr(65279) FROM email)))), '')
union all
select
    customer_identity as email,
    'one identity in several rows' as problem
from (
    select nullif(normalize(lower(normalize(trim(BOTH chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(28) || chr(29) || chr(30) || chr(31) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(6158) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8203) || chr(8204) || chr(8205) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(8288) || chr(12288) || chr(65279) FROM email)))), '') as customer_identity
    from "stedi"."customer_trusted"
) identities
where customer_identity is not null
group by customer_identity
having count(*) > 1

-- consent_accelerometer_trusted_user_email_ref_customer_trusted_email_reading_time (models/trusted/trusted.yml:97)
with consenting_customers as (
    select
        nullif(normalize(lower(normalize(trim(BOTH chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(28) || chr(29) || chr(30) || chr(31) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(6158) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8203) || chr(8204) || chr(8205) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(8288) || chr(12288) || chr(65279) FROM email)))), '') as customer_key,
        min(share_with_research_as_of_date) as consent_date
    from "stedi"."customer_trusted"
    where nullif(normalize(lower(normalize(trim(BOTH chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(28) || chr(29) || chr(30) || chr(31) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(6158) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8203) || chr(8204) || chr(8205) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(8288) || chr(12288) || chr(65279) FROM email)))), '') is not null
      and share_with_research_as_of_date is not null
    group by 1
)
select
    m.user_email as user_email,
    m.reading_time as reading_time
from "stedi"."accelerometer_trusted" m
left join consenting_customers c
    on c.customer_key = nullif(normalize(lower(normalize(trim(BOTH chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(28) || chr(29) || chr(30) || chr(31) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(6158) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8203) || chr(8204) || chr(8205) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(8288) || chr(12288) || chr(65279) FROM m.user_email)))), '')
where c.customer_key is null
   or not coalesce((c.consent_date is not null and m.reading_time is not null and m.reading_time >= c.consent_date), false)

-- consent_customer_curated_email_ref_customer_trusted_email (models/curated/curated.yml:24)
with consenting_customers as (
    select
        nullif(normalize(lower(normalize(trim(BOTH chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(28) || chr(29) || chr(30) || chr(31) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(6158) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8203) || chr(8204) || chr(8205) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(8288) || chr(12288) || chr(65279) FROM email)))), '') as customer_key,
        min(share_with_research_as_of_date) as consent_date
    from "stedi"."customer_trusted"
    where nullif(normalize(lower(normalize(trim(BOTH chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(28) || chr(29) || chr(30) || chr(31) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(6158) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8203) || chr(8204) || chr(8205) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(8288) || chr(12288) || chr(65279) FROM email)))), '') is not null
      and share_with_research_as_of_date is not null
    group by 1
)
select
    m.email as email
from "stedi"."customer_curated" m
left join consenting_customers c
    on c.customer_key = nullif(normalize(lower(normalize(trim(BOTH chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(28) || chr(29) || chr(30) || chr(31) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(6158) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8203) || chr(8204) || chr(8205) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(8288) || chr(12288) || chr(65279) FROM m.email)))), '')
where c.customer_key is null

-- consent_customer_trusted_email_source_landing_customer_email_shareWithResearchAsOfDate_lastUpdateDate (models/trusted/trusted.yml:32)
with consenting_customers as (
    select
        customer_key,
        max(consent_date) as consent_date
    from (
        select
            customer_key,
            consent_date,
            record_order,
            max(record_order) over (partition by customer_key) as latest_order
        from (
            select
                nullif(normalize(lower(normalize(trim(BOTH chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(28) || chr(29) || chr(30) || chr(31) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(6158) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8203) || chr(8204) || chr(8205) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(8288) || chr(12288) || chr(65279) FROM email)))), '') as customer_key,
                shareWithResearchAsOfDate as consent_date,
                lastUpdateDate as record_order
            from "stedi"."customer"
        ) keyed_records
        where customer_key is not null
    ) customer_records
    where latest_order is null or record_order = latest_order
    group by customer_key
    having count(*) = count(consent_date)
)
select
    m.email as email
from "stedi"."customer_trusted" m
left join consenting_customers c
    on c.customer_key = nullif(normalize(lower(normalize(trim(BOTH chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(28) || chr(29) || chr(30) || chr(31) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(6158) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8203) || chr(8204) || chr(8205) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(8288) || chr(12288) || chr(65279) FROM m.email)))), '')
where c.customer_key is null

-- consent_machine_learning_curated_subject_key_ref_customer_curated_subject_key_sensor_reading_time (models/curated/curated.yml:146)
with consenting_customers as (
    select
        subject_key as customer_key,
        min(share_with_research_as_of_date) as consent_date
    from "stedi"."customer_curated"
    where subject_key is not null
      and share_with_research_as_of_date is not null
    group by 1
)
select
    m.subject_key as subject_key,
    m.sensor_reading_time as sensor_reading_time
from "stedi"."machine_learning_curated" m
left join consenting_customers c
    on c.customer_key = m.subject_key
where c.customer_key is null
   or not coalesce((c.consent_date is not null and m.sensor_reading_time is not null and m.sensor_reading_time >= c.consent_date), false)

-- consent_step_trainer_trusted_serial_number_ref_customer_curated_serial_number_sensor_reading_time (models/trusted/trusted.yml:142)
with consenting_customers as (
    select
        serial_number as customer_key,
        min(share_with_research_as_of_date) as consent_date
    from "stedi"."customer_curated"
    where serial_number is not null
      and share_with_research_as_of_date is not null
    group by 1
)
select
    m.serial_number as serial_number,
    m.sensor_reading_time as sensor_reading_time
from "stedi"."step_trainer_trusted" m
left join consenting_customers c
    on c.customer_key = m.serial_number
where c.customer_key is null
   or not coalesce((c.consent_date is not null and m.sensor_reading_time is not null and m.sensor_reading_time >= c.consent_date), false)

-- expression_is_true_machine_learning_curated_length_subject_key_64 (models/curated/curated.yml:109)
select * from "stedi"."machine_learning_curated" where not coalesce((length(subject_key) = 64), false)

-- not_null_accelerometer_trusted_reading_time (models/trusted/trusted.yml:105)
select * from "stedi"."accelerometer_trusted" where reading_time is null

-- not_null_accelerometer_trusted_user_email (models/trusted/trusted.yml:92)
select * from "stedi"."accelerometer_trusted" where user_email is null

-- not_null_customer_curated_email (models/curated/curated.yml:17)
select * from "stedi"."customer_curated" where email is null

-- not_null_customer_curated_serial_number (models/curated/curated.yml:43)
select * from "stedi"."customer_curated" where serial_number is null

-- not_null_customer_curated_share_with_research_as_of_date (models/curated/curated.yml:57)
select * from "stedi"."customer_curated" where share_with_research_as_of_date is null

-- not_null_customer_curated_subject_key (models/curated/curated.yml:68)
select * from "stedi"."customer_curated" where subject_key is null

-- not_null_customer_trusted_email (models/trusted/trusted.yml:28)
select * from "stedi"."customer_trusted" where email is null

-- not_null_customer_trusted_serial_number (models/trusted/trusted.yml:50)
select * from "stedi"."customer_trusted" where serial_number is null

-- not_null_customer_trusted_share_with_research_as_of_date (models/trusted/trusted.yml:61)
select * from "stedi"."customer_trusted" where share_with_research_as_of_date is null

-- not_null_customer_trusted_subject_key (models/trusted/trusted.yml:75)
select * from "stedi"."customer_trusted" where subject_key is null

-- not_null_device_owners_serial_number (models/curated/curated.yml:84)
select * from "stedi"."device_owners" where serial_number is null

-- not_null_device_owners_share_with_research_as_of_date (models/curated/curated.yml:93)
select * from "stedi"."device_owners" where share_with_research_as_of_date is null

-- not_null_exclusion_rules_description (models/seeds.yml:31)
select * from "stedi"."exclusion_rules" where description is null

-- not_null_exclusion_rules_entity (models/seeds.yml:12)
select * from "stedi"."exclusion_rules" where entity is null

-- not_null_exclusion_rules_kind (models/seeds.yml:24)
select * from "stedi"."exclusion_rules" where kind is null

-- not_null_exclusion_rules_rule (models/seeds.yml:19)
select * from "stedi"."exclusion_rules" where rule is null

-- not_null_machine_learning_curated_distance_from_object (models/curated/curated.yml:125)
select * from "stedi"."machine_learning_curated" where distance_from_object is null

-- not_null_machine_learning_curated_sensor_reading_time (models/curated/curated.yml:120)
select * from "stedi"."machine_learning_curated" where sensor_reading_time is null

-- not_null_machine_learning_curated_subject_key (models/curated/curated.yml:143)
select * from "stedi"."machine_learning_curated" where subject_key is null

-- not_null_reconciliation_description (models/audit/audit.yml:35)
select * from "stedi"."reconciliation" where description is null

-- not_null_reconciliation_entity (models/audit/audit.yml:16)
select * from "stedi"."reconciliation" where entity is null

-- not_null_reconciliation_row_count (models/audit/audit.yml:28)
select * from "stedi"."reconciliation" where row_count is null

-- not_null_reconciliation_rule (models/audit/audit.yml:23)
select * from "stedi"."reconciliation" where rule is null

-- not_null_step_trainer_trusted_distance_from_object (models/trusted/trusted.yml:151)
select * from "stedi"."step_trainer_trusted" where distance_from_object is null

-- not_null_step_trainer_trusted_sensor_reading_time (models/trusted/trusted.yml:130)
select * from "stedi"."step_trainer_trusted" where sensor_reading_time is null

-- not_null_step_trainer_trusted_serial_number (models/trusted/trusted.yml:136)
select * from "stedi"."step_trainer_trusted" where serial_number is null

-- one_customer_per_serial_step_trainer_trusted_serial_number_ref_customer_curated (models/trusted/trusted.yml:140)
select
    device.serial_number,
    count(distinct nullif(normalize(lower(normalize(trim(BOTH chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(28) || chr(29) || chr(30) || chr(31) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(6158) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8203) || chr(8204) || chr(8205) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(8288) || chr(12288) || chr(65279) FROM c.email)))), '')) as claimants
from (
    select distinct serial_number as serial_number
    from "stedi"."step_trainer_trusted"
    where serial_number is not null
) device
left join "stedi"."customer_curated" c
    on c.serial_number = device.serial_number
group by device.serial_number
having count(distinct nullif(normalize(lower(normalize(trim(BOTH chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(28) || chr(29) || chr(30) || chr(31) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(6158) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8203) || chr(8204) || chr(8205) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(8288) || chr(12288) || chr(65279) FROM c.email)))), '')) <> 1

-- reconciles_reconciliation (models/audit/audit.yml:10)
select
    entity,
    landing_rows,
    accounted_rows
from (
    select
        entity as entity,
        sum(case when rule = 'landing' then row_count else 0 end) as landing_rows,
        sum(case when rule <> 'landing' then row_count else 0 end) as accounted_rows
    from "stedi"."reconciliation"
    group by entity
) entity_totals
where landing_rows <> accounted_rows

-- relationships_accelerometer_trusted_user_email_ref_customer_trusted_email (models/trusted/trusted.yml:94)
select child.user_email as from_field
from "stedi"."accelerometer_trusted" as child
left join "stedi"."customer_trusted" as parent on child.user_email = parent.email
where child.user_email is not null and parent.email is null

-- relationships_customer_curated_email_ref_customer_trusted_email (models/curated/curated.yml:21)
select child.email as from_field
from "stedi"."customer_curated" as child
left join "stedi"."customer_trusted" as parent on child.email = parent.email
where child.email is not null and parent.email is null

-- relationships_device_owners_serial_number_ref_customer_curated_serial_number (models/curated/curated.yml:86)
select child.serial_number as from_field
from "stedi"."device_owners" as child
left join "stedi"."customer_curated" as parent on child.serial_number = parent.serial_number
where child.serial_number is not null and parent.serial_number is null

-- relationships_step_trainer_trusted_serial_number_ref_customer_curated_serial_number (models/trusted/trusted.yml:137)
select child.serial_number as from_field
from "stedi"."step_trainer_trusted" as child
left join "stedi"."customer_curated" as parent on child.serial_number = parent.serial_number
where child.serial_number is not null and parent.serial_number is null

-- row_count_machine_learning_curated (models/curated/curated.yml:111)
select row_count from (select count(*) as row_count from "stedi"."machine_learning_curated") as counted
where false or row_count < 1

-- same_customer_pairs_machine_learning_curated_ref_step_trainer_trusted_ref_accelerometer_trusted_ref_customer_curated (models/curated/curated.yml:105)
with customer_ids as (
    select
        subject_key,
        email,
        serial_number,
        case when subject_key is not null then dense_rank() over (order by subject_key) end as customer_id
    from "stedi"."customer_curated"
),
device_owners as (
    select serial_number, max(customer_id) as customer_id
    from customer_ids
    where serial_number is not null
    group by serial_number
    having count(distinct customer_id) = 1
       and count(customer_id) = count(*)
),
device_readings as (
    select o.customer_id, st.sensor_reading_time, st.distance_from_object
    from "stedi"."step_trainer_trusted" st
    join device_owners o on o.serial_number = st.serial_number
),
phone_readings as (
    select c.customer_id, a.reading_time, a.x, a.y, a.z
    from "stedi"."accelerometer_trusted" a
    join customer_ids c on c.email = a.user_email
),
model_rows as (
    select k.customer_id, m.sensor_reading_time, m.distance_from_object, m.x, m.y, m.z
    from "stedi"."machine_learning_curated" m
    join (select distinct subject_key, customer_id from customer_ids where customer_id is not null) k on k.subject_key = m.subject_key
),
unknown_keys as (
    select m.subject_key, m.sensor_reading_time, count(*) as actual_rows
    from "stedi"."machine_learning_curated" m
    where not exists (select 1 from customer_ids c where c.customer_id is not null and c.subject_key = m.subject_key)
    group by m.subject_key, m.sensor_reading_time
),
expected_counts as (
    select d.customer_id, d.sensor_reading_time, d.device_rows * p.phone_rows as expected_rows
    from (
        select customer_id, sensor_reading_time, count(*) as device_rows
        from device_readings
        group by customer_id, sensor_reading_time
    ) d
    join (
        select customer_id, reading_time, count(*) as phone_rows
        from phone_readings
        group by customer_id, reading_time
    ) p
        on p.customer_id = d.customer_id
       and p.reading_time = d.sensor_reading_time
),
actual_counts as (
    select customer_id, sensor_reading_time, count(*) as actual_rows
    from model_rows
    group by customer_id, sensor_reading_time
),
count_problems as (
    select
        coalesce(e.customer_id, a.customer_id) as customer_id,
        coalesce(e.sensor_reading_time, a.sensor_reading_time) as sensor_reading_time,
        coalesce(e.expected_rows, 0) as expected_rows,
        coalesce(a.actual_rows, 0) as actual_rows
    from expected_counts e
    full outer join actual_counts a
        on a.customer_id = e.customer_id
       and a.sensor_reading_time = e.sensor_reading_time
    where e.expected_rows is null
       or a.actual_rows is null
       or e.expected_rows <> a.actual_rows
),
value_problems as (
    select customer_id, sensor_reading_time
    from (
        select customer_id, sensor_reading_time, distance_from_object from model_rows
        except
        select customer_id, sensor_reading_time, distance_from_object from device_readings
    ) distances
    union
    select customer_id, sensor_reading_time
    from (
        select customer_id, sensor_reading_time, x, y, z from model_rows
        except
        select customer_id, reading_time, x, y, z from phone_readings
    ) phones
),
keys as (
    select distinct customer_id, subject_key from customer_ids where customer_id is not null
)
select
    k.subject_key,
    c.sensor_reading_time,
    'row count differs from the same-customer join' as problem,
    c.expected_rows,
    c.actual_rows
from count_problems c
left join keys k on k.customer_id = c.customer_id
union all
select
    u.subject_key,
    u.sensor_reading_time,
    'row count differs from the same-customer join' as problem,
    CAST(0 AS bigint) as expected_rows,
    u.actual_rows
from unknown_keys u
union all
select
    k.subject_key,
    v.sensor_reading_time,
    'not a device and phone reading of the same customer' as problem,
    CAST(null AS bigint) as expected_rows,
    CAST(null AS bigint) as actual_rows
from value_problems v
left join keys k on k.customer_id = v.customer_id

-- unique_customer_curated_email (models/curated/curated.yml:18)
select email as unique_field, count(*) as n_records
from "stedi"."customer_curated"
where email is not null
group by email
having count(*) > 1

-- unique_customer_curated_serial_number (models/curated/curated.yml:44)
select serial_number as unique_field, count(*) as n_records
from "stedi"."customer_curated"
where serial_number is not null
group by serial_number
having count(*) > 1

-- unique_customer_curated_subject_key (models/curated/curated.yml:69)
select subject_key as unique_field, count(*) as n_records
from "stedi"."customer_curated"
where subject_key is not null
group by subject_key
having count(*) > 1

-- unique_customer_trusted_email (models/trusted/trusted.yml:29)
select email as unique_field, count(*) as n_records
from "stedi"."customer_trusted"
where email is not null
group by email
having count(*) > 1

-- unique_customer_trusted_subject_key (models/trusted/trusted.yml:76)
select subject_key as unique_field, count(*) as n_records
from "stedi"."customer_trusted"
where subject_key is not null
group by subject_key
having count(*) > 1

-- unique_device_owners_serial_number (models/curated/curated.yml:85)
select serial_number as unique_field, count(*) as n_records
from "stedi"."device_owners"
where serial_number is not null
group by serial_number
having count(*) > 1
