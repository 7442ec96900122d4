select
    CAST(st.sensorReadingTime AS bigint) as sensor_reading_time,
    o.serial_number,
    CAST(st.distanceFromObject AS bigint) as distance_from_object
from (SELECT * FROM "stedi"."step_trainer" WHERE __stedi_batch_window('source.stedi.landing.step_trainer', "sensorReadingTime")) st
join "stedi"."device_owners" o
    on o.serial_number = st.serialNumber
where (o.share_with_research_as_of_date is not null and st.sensorReadingTime is not null and st.sensorReadingTime >= o.share_with_research_as_of_date)
