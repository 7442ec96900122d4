{{ config(tags=['audit']) }}

{#
  Where every landing row went: per entity, the landing rows, the rows kept in the entity's most
  refined table (customer_curated, accelerometer_trusted, step_trainer_trusted) and the rows
  excluded by each rule. The rules are exclusive, so landing = kept + every exclusion, and the
  `reconciles` test checks it. "kept" is counted from the built tables themselves while the
  exclusions are classified here from the landing data, so the test cross-checks the models.
  Counts only: no customer data leaves this model.

  A customer is a canonical email (canonical_email, macros/identity.sql), as in the models: the
  customer rules count records per canonical identity, and phone readings match customers by the
  canonical form of `user`. Of the records of one identity, one is kept (or excluded by consent)
  and the others are split by spelling: `duplicate_record` counts those that repeat a spelling
  already seen (the same email sent again), `merged_identity` those that bring another spelling of
  the same identity (case, surrounding whitespace, Unicode composition): per identity, its number
  of distinct raw spellings minus one. So
    records with an identity = identities + duplicate_record + merged_identity.
#}

with landing_customers as (
    select
        {{ canonical_email('email') }} as customer_identity,
        CAST(email AS varchar) as email_spelling
    from {{ source('landing', 'customer') }}
),

identity_spellings as (
    select distinct customer_identity, email_spelling
    from landing_customers
    where customer_identity is not null
),

latest_customers as (
    {{ customer_latest_records(source('landing', 'customer')) }}
),

trusted_customers as (
    select email, share_with_research_as_of_date
    from {{ ref('customer_trusted') }}
),

curated_customers as (
    select email
    from {{ ref('customer_curated') }}
),

devices as (
    {{ device_claims(source('landing', 'customer'), latest_records='latest_customers') }}
),

{#
  Each reading meets the customer side through one join: each landing reading table, the
  largest input here, is joined once, not once per customer table. customer_status pairs each
  identity's latest records with its trusted rows by a full outer join, so a reading finds exactly
  the row pairs two left joins would give it (|latest| x |trusted| when both have the identity,
  either one's rows when only it does, none when neither does); device_status is the device
  claims left-joined to the trusted and curated customers, which a reading meets through its
  serial number.

  The readings are grouped by their key first (the phone's `user` as sent, the Step Trainer's
  serial number): a key has one row per person or device instead of one per reading, so the
  canonical form and the join to the customer side run once per key. Every rule but
  before_consent depends on the key alone: it is decided per key (and status row) and counts the
  key's readings. before_consent compares each reading's time with the consent date, so only the
  readings of the keys that passed every other rule are read again, through a join on the key as
  sent. Through its key a reading meets exactly the status rows it would meet alone (the same
  canonical form of the same text, the same join), so every count equals classifying each reading
  one by one, which joined every reading to the customer side (see the README's Performance
  section for what it saves).
#}
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
    from {{ source('landing', 'accelerometer') }}
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
    left join customer_status s on s.customer_identity = {{ canonical_email('k.sent_user') }}
),

accelerometer_rules as (
    select rule, readings
    from accelerometer_key_rules
    where rule is not null
    union all
    select 'before_consent' as rule, count(*) as readings
    from {{ source('landing', 'accelerometer') }} a
    join accelerometer_key_rules k on k.sent_user = a."user"
    where k.rule is null
      and not {{ consent_filter('a."timestamp"', 'k.share_with_research_as_of_date') }}
),

step_trainer_keys as (
    select serialNumber as serial_number, count(*) as readings
    from {{ source('landing', 'step_trainer') }}
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
    from {{ source('landing', 'step_trainer') }} st
    join step_trainer_key_rules k on k.serial_number = st.serialNumber
    where k.rule is null
      and not {{ consent_filter('st.sensorReadingTime', 'k.share_with_research_as_of_date') }}
),

counts as (
    select 'customer' as entity, 'landing' as rule, count(*) as row_count
    from {{ source('landing', 'customer') }}
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
    from {{ source('landing', 'accelerometer') }}
    union all
    select 'accelerometer', rule, sum(readings)
    from accelerometer_rules
    group by rule
    having sum(readings) > 0
    union all
    select 'accelerometer', 'kept', count(*)
    from {{ ref('accelerometer_trusted') }}

    union all
    select 'step_trainer', 'landing', count(*)
    from {{ source('landing', 'step_trainer') }}
    union all
    select 'step_trainer', rule, sum(readings)
    from step_trainer_rules
    group by rule
    having sum(readings) > 0
    union all
    select 'step_trainer', 'kept', count(*)
    from {{ ref('step_trainer_trusted') }}
)

{#
  Every rule of the catalogue appears, with 0 when no row fell under it; a rule counted here but
  missing from the catalogue still appears, without a description (a not_null test flags it).
#}
select
    CAST(coalesce(r.entity, c.entity) AS varchar) as entity,
    CAST(coalesce(r.rule, c.rule) AS varchar) as rule,
    CAST(coalesce(c.row_count, 0) AS bigint) as row_count,
    CAST(r.description AS varchar) as description
from {{ ref('exclusion_rules') }} r
full outer join counts c
    on c.entity = r.entity
   and c.rule = r.rule
