{#
  one_customer_per_serial: every device serial number in the model is claimed by exactly one
  customer of `customers`, so its readings are attributed to one person only. Fails with each
  serial claimed by no customer or by several, and the number of claimants.

  Arguments
    model, column_name  the relation and its serial number column
    customers           relation of customers, e.g. ref('customer_curated')
    serial_column       serial number column of `customers` (default serial_number)
    customer_key        column identifying a customer in `customers` (default email); customers
                        are counted by its canonical form (canonical_email), so two spellings of
                        one email are one claimant and an empty email is none
#}
{% macro test_one_customer_per_serial(model, column_name, customers, serial_column='serial_number', customer_key='email') %}
select
    device.serial_number,
    count(distinct {{ canonical_email('c.' ~ customer_key) }}) as claimants
from (
    select distinct {{ column_name }} as serial_number
    from {{ model }}
    where {{ column_name }} is not null
) device
left join {{ customers }} c
    on c.{{ serial_column }} = device.serial_number
group by device.serial_number
having count(distinct {{ canonical_email('c.' ~ customer_key) }}) <> 1
{% endmacro %}
