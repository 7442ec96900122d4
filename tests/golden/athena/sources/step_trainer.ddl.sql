CREATE EXTERNAL TABLE `stedi`.`step_trainer` (
  `sensorreadingtime` bigint,
  `serialnumber` string,
  `distancefromobject` bigint
)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
WITH SERDEPROPERTIES (
  'case.insensitive' = 'TRUE',
  'dots.in.keys' = 'FALSE',
  'ignore.malformed.json' = 'TRUE',
  'mapping.sensorreadingtime' = 'sensorreadingtime',
  'mapping.serialnumber' = 'serialnumber',
  'mapping.distancefromobject' = 'distancefromobject'
)
STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://lake-bucket/landing/step_trainer/landing/'
TBLPROPERTIES ('classification' = 'json', 'stedi_managed' = 'true')
