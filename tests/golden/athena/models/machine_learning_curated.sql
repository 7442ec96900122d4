select
    st.sensor_reading_time,
    st.distance_from_object,
    a.x,
    a.y,
    a.z,
    lower(to_hex(sha256(to_utf8((select array_join(array_agg(chr(stedi_secret_char) order by stedi_secret_pos), '') from unnest(sequence(1, 256)) as stedi_secret_positions(stedi_secret_pos) cross join unnest(sequence(32, 126)) as stedi_secret_chars(stedi_secret_char) where substr(?, stedi_secret_pos, 1) = chr(stedi_secret_char)) || ':' || lower(c.email))))) as subject_key
from "stedi"."step_trainer_trusted" st
join "stedi"."customer_curated" c
    on c.serial_number = st.serial_number
join "stedi"."accelerometer_trusted" a
    on a.user_email = c.email
   and a.reading_time = st.sensor_reading_time
