{{ config(entity='accelerometer', tags=['pii'], pii_allowed=true) }}

{#
  Phone readings of consenting customers (customer_trusted), filtered by var('consent_policy'):
  as_of_date keeps readings taken at or after the customer's consent date, any_time keeps all.
  The phone app's `user` matches the customer by its canonical form (canonical_email): a reading
  sent as ' Ann.Lee@Example.com' is Ann's. `user_email` is the customer's canonical email.
#}

select
    c.email as user_email,
    CAST(a."timestamp" AS bigint) as reading_time,
    CAST(a.x AS double) as x,
    CAST(a.y AS double) as y,
    CAST(a.z AS double) as z
from {{ source('landing', 'accelerometer') }} a
join {{ ref('customer_trusted') }} c
    on c.email = {{ canonical_email('a."user"') }}
where {{ consent_filter('a."timestamp"', 'c.share_with_research_as_of_date') }}
