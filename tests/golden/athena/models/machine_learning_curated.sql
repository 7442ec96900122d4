select
    st.sensor_reading_time,
    st.distance_from_object,
    a.x,
    a.y,
    a.z,
    c.subject_key
from "stedi"."step_trainer_trusted" st
join "stedi"."customer_curated" c
    on c.serial_number = st.serial_number
join "stedi"."accelerometer_trusted" a
    on a.user_email = c.email
   and a.reading_time = st.sensor_reading_time
