{#
  ambiguous_devices: readings of a device whose serial number several customers claim cannot be
  attributed to one person's consent, so the models exclude them (rule ambiguous_device of the
  reconciliation). This test makes them visible without naming anyone: when there are any, it
  returns ONE row with the number of such devices and of their landing readings, and no
  identifier. Use it with severity warn (the build goes on) and a meta message, e.g.
  "{ambiguous_devices} devices and {excluded_readings} readings excluded as ambiguous".

  Arguments
    model          the model the test is attached to (not read)
    customers      the landing customer relation, e.g. source('landing', 'customer'); claims are
                   counted as device_claims does (one per canonical email, one per record
                   without an email)
    readings       the landing device readings, e.g. source('landing', 'step_trainer')
    serial_column  serial number column of `readings` (default serialNumber)
#}
{% macro test_ambiguous_devices(model, customers, readings, serial_column='serialNumber') %}
with ambiguous as (
    select serial_number
    from ({{ device_claims(customers) }}) claims
    where claimants > 1
),

affected as (
    select
        (select count(*) from ambiguous) as ambiguous_devices,
        (
            select count(*)
            from {{ readings }} r
            where r.{{ ident(serial_column) }} in (select serial_number from ambiguous)
        ) as excluded_readings
)

select ambiguous_devices, excluded_readings
from affected
where ambiguous_devices > 0
{% endmacro %}
