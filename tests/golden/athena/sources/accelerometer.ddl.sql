CREATE EXTERNAL TABLE `stedi`.`accelerometer` (
  `user` string,
  `timestamp` bigint,
  `x` double,
  `y` double,
  `z` double
)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
WITH SERDEPROPERTIES (
  'case.insensitive' = 'TRUE',
  'dots.in.keys' = 'FALSE',
  'ignore.malformed.json' = 'TRUE'
)
STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://lake-bucket/landing/accelerometer/landing/'
TBLPROPERTIES ('classification' = 'json', 'stedi_managed' = 'true')
