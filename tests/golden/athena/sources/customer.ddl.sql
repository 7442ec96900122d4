CREATE EXTERNAL TABLE `stedi`.`customer` (
  `customername` string,
  `email` string,
  `phone` string,
  `birthday` string,
  `serialnumber` string,
  `registrationdate` bigint,
  `lastupdatedate` bigint,
  `sharewithresearchasofdate` bigint,
  `sharewithpublicasofdate` bigint,
  `sharewithfriendsasofdate` bigint,
  `subject_key` string
)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
WITH SERDEPROPERTIES (
  'case.insensitive' = 'TRUE',
  'dots.in.keys' = 'FALSE',
  'ignore.malformed.json' = 'FALSE',
  'mapping.customername' = 'customername',
  'mapping.birthday' = 'birthday',
  'mapping.serialnumber' = 'serialnumber',
  'mapping.registrationdate' = 'registrationdate',
  'mapping.lastupdatedate' = 'lastupdatedate',
  'mapping.sharewithresearchasofdate' = 'sharewithresearchasofdate',
  'mapping.sharewithpublicasofdate' = 'sharewithpublicasofdate',
  'mapping.sharewithfriendsasofdate' = 'sharewithfriendsasofdate'
)
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://lake-bucket/zones/customer/landing/customer/v=20260101T000000Z-01010101/_symlink_format_manifest/'
TBLPROPERTIES ('classification' = 'json', 'compressionType' = 'gzip', 'stedi_managed' = 'true', 'stedi_project' = 'stedi', 'stedi_target' = 'athena', 'stedi_node' = 'source.stedi.landing.customer', 'stedi_location' = 's3://lake-bucket/zones/customer/landing/customer/v=20260101T000000Z-01010101/', 'stedi_version' = '20260101T000000Z-01010101', 'stedi_landing_location' = 's3://lake-bucket/landing/customer/landing/', 'stedi_lines_read' = '32', 'stedi_rows' = '32', 'stedi_state' = 's3://lake-bucket/zones/customer/landing/customer/v=20260101T000000Z-01010101/_stedi_state.json.gz', 'stedi_part_prefixes' = '["s3://lake-bucket/zones/customer/landing/customer/v=20260101T000000Z-01010101/"]')
