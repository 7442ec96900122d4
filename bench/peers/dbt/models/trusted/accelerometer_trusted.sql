{{ config(tags=['pii'], **(peer_microbatch('reading_ts') if var('peer_incremental', false) else {})) }}

{#
  Phone readings of consenting customers (customer_trusted), filtered by var('consent_policy'):
  as_of_date keeps readings taken at or after the customer's consent date, any_time keeps all.
  The phone app's `user` matches the customer by its canonical form (canonical_email): a reading
  sent as ' Ann.Lee@Example.com' is Ann's. `user_email` is the customer's canonical email.

  Incremental by hour of reading time (microbatch): a build rebuilds the hours that new or
  changed landing files hold readings for, and restates every reading of a customer whose
  customer_trusted row changed (consent given, withdrawn or moved, the customer gone): a row of
  user_email k depends only on the customer_trusted row of email k. lookback is 0: late readings
  are found from the landing files that bring them.
#}

select
    c.email as user_email,
    CAST(a."timestamp" AS bigint) as reading_time,
    CAST(a.x AS double) as x,
    CAST(a.y AS double) as y,
    CAST(a.z AS double) as z
{%- if var('peer_incremental', false) %},
    make_timestamp(CAST(a."timestamp" AS bigint) * 1000) as reading_ts
{%- endif %}
from {{ source('landing', 'accelerometer') }} a
join {{ ref('customer_trusted') }} c
    on c.email = {{ canonical_email('a."user"') }}
where {{ consent_filter('a."timestamp"', 'c.share_with_research_as_of_date') }}
