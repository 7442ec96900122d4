select
    st.sensor_reading_time,
    st.distance_from_object,
    a.x,
    a.y,
    a.z,
    c.subject_key
from (SELECT * FROM "stedi"."step_trainer_trusted" WHERE __stedi_batch_window('model.stedi.step_trainer_trusted', "sensor_reading_time")) st
join "stedi"."customer_curated" c
    on c.serial_number = st.serial_number
join (SELECT * FROM "stedi"."accelerometer_trusted" WHERE __stedi_batch_window('model.stedi.accelerometer_trusted', "reading_time")) a
    on a.user_email = c.email
   and a.reading_time = st.sensor_reading_time
