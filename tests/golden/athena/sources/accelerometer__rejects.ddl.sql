CREATE EXTERNAL TABLE `stedi`.`accelerometer__rejects` (
  `file` string,
  `line` bigint,
  `reason` string,
  `detail` string,
  `raw` string
)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
WITH SERDEPROPERTIES (
  'case.insensitive' = 'TRUE',
  'dots.in.keys' = 'FALSE',
  'ignore.malformed.json' = 'FALSE'
)
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://lake-bucket/zones/accelerometer/landing/accelerometer__rejects/v=20260101T000000Z-02020202/_symlink_format_manifest/'
TBLPROPERTIES ('classification' = 'json', 'compressionType' = 'gzip', 'stedi_managed' = 'true', 'stedi_project' = 'stedi', 'stedi_target' = 'athena', 'stedi_node' = 'source.stedi.landing.accelerometer', 'stedi_location' = 's3://lake-bucket/zones/accelerometer/landing/accelerometer__rejects/v=20260101T000000Z-02020202/', 'stedi_version' = '20260101T000000Z-02020202', 'stedi_landing_location' = 's3://lake-bucket/landing/accelerometer/landing/', 'stedi_lines_read' = '58', 'stedi_rows' = '0', 'stedi_state' = 's3://lake-bucket/zones/accelerometer/landing/accelerometer/v=20260101T000000Z-02020202/_stedi_state.json.gz', 'stedi_part_prefixes' = '[]')
