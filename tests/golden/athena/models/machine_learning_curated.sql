select
    st.sensor_reading_time,
    st.distance_from_object,
    a.x,
    a.y,
    a.z,
    lower(to_hex(sha256(to_utf8((select array_join(array_agg(chr(stedi_secret_char) order by stedi_secret_pos), '') from unnest(sequence(1, 256)) as stedi_secret_positions(stedi_secret_pos) cross join unnest(sequence(32, 126)) as stedi_secret_chars(stedi_secret_char) where substr(?, stedi_secret_pos, 1) = chr(stedi_secret_char)) || ':' || nullif(normalize(lower(normalize(trim(BOTH chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(28) || chr(29) || chr(30) || chr(31) || chr(32) || chr(133) || chr(160) || chr(5760) || chr(6158) || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8203) || chr(8204) || chr(8205) || chr(8232) || chr(8233) || chr(8239) || chr(8287) || chr(8288) || chr(12288) || chr(65279) FROM c.email)))), ''))))) as subject_key
from "stedi"."step_trainer_trusted" st
join "stedi"."customer_curated" c
    on c.serial_number = st.serial_number
join "stedi"."accelerometer_trusted" a
    on a.user_email = c.email
   and a.reading_time = st.sensor_reading_time
