CREATE EXTERNAL TABLE `stedi`.`step_trainer` (
  `sensorreadingtime` bigint,
  `serialnumber` string,
  `distancefromobject` bigint
)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
WITH SERDEPROPERTIES (
  'case.insensitive' = 'TRUE',
  'dots.in.keys' = 'FALSE',
  'ignore.malformed.json' = 'FALSE',
  'mapping.sensorreadingtime' = 'sensorreadingtime',
  'mapping.serialnumber' = 'serialnumber',
  'mapping.distancefromobject' = 'distancefromobject'
)
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://lake-bucket/zones/step_trainer/landing/step_trainer/v=20260101T000000Z-03030303/_symlink_format_manifest/'
TBLPROPERTIES ('classification' = 'json', 'compressionType' = 'gzip', 'stedi_managed' = 'true', 'stedi_project' = 'stedi', 'stedi_target' = 'athena', 'stedi_node' = 'source.stedi.landing.step_trainer', 'stedi_location' = 's3://lake-bucket/zones/step_trainer/landing/step_trainer/v=20260101T000000Z-03030303/', 'stedi_version' = '20260101T000000Z-03030303', 'stedi_landing_location' = 's3://lake-bucket/landing/step_trainer/landing/', 'stedi_lines_read' = '61', 'stedi_rows' = '61', 'stedi_state' = 's3://lake-bucket/zones/step_trainer/landing/step_trainer/v=20260101T000000Z-03030303/_stedi_state.json.gz', 'stedi_part_prefixes' = '["s3://lake-bucket/zones/step_trainer/landing/step_trainer/v=20260101T000000Z-03030303/"]')
