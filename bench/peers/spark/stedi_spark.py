"""The five STEDI transformations as Spark SQL on PySpark in local mode (the engine behind AWS
Glue). A benchmark peer written for the comparison in bench/peers.ts, never project code.

Reads the landing JSON with the same explicit schema as stedi's sources, builds
customer_trusted, accelerometer_trusted, customer_curated, step_trainer_trusted and
machine_learning_curated with the SQL of the STEDI models (consent_policy as_of_date), writes
each as Parquet and reads it back for the next one (as stedi and dbt-duckdb materialize), and
prints one JSON line: rows per table and seconds per step.

    python stedi_spark.py --landing <landing_root> --out <folder> [--threads 2] [--memory 8g]
"""
import argparse
import json
import os
import time

from pyspark.sql import SparkSession
from pyspark.sql.types import DoubleType, LongType, StringType, StructField, StructType

SCHEMAS = {
    "customer": StructType([
        StructField("customerName", StringType()), StructField("email", StringType()),
        StructField("phone", StringType()), StructField("birthDay", StringType()),
        StructField("serialNumber", StringType()), StructField("registrationDate", LongType()),
        StructField("lastUpdateDate", LongType()), StructField("shareWithResearchAsOfDate", LongType()),
        StructField("shareWithPublicAsOfDate", LongType()), StructField("shareWithFriendsAsOfDate", LongType()),
    ]),
    "accelerometer": StructType([
        StructField("user", StringType()), StructField("timestamp", LongType()),
        StructField("x", DoubleType()), StructField("y", DoubleType()), StructField("z", DoubleType()),
    ]),
    "step_trainer": StructType([
        StructField("sensorReadingTime", LongType()), StructField("serialNumber", StringType()),
        StructField("distanceFromObject", LongType()),
    ]),
}

# canonical_email() of macros/identity.sql: the identity spaces trimmed at both ends (the same
# regular expression as stedi's DuckDB macro; Java's `$` also matches before a final line
# terminator, and every line terminator is in the set, so the match is the same), NFC (ICU4J,
# which Spark ships; `reflect` only calls static methods with plain arguments), lower case, NFC; an
# empty result is NULL. `reflect` is not deterministic to Spark, which allows it in a projection
# or a filter but not in a join condition or a window: the identity is projected first. One
# difference is known: Spark's lower() applies Java's full, context-
# sensitive mapping (U+0130 becomes two code points; a capital sigma at the end of a word becomes
# a final sigma), where DuckDB and Athena map each code point alone. The generated benchmark data
# (ASCII names and an e with an acute accent) never meets it.
IDENTITY_SPACES = [9, 10, 11, 12, 13, 28, 29, 30, 31, 32, 133, 160, 5760, 6158, 8192, 8193, 8194, 8195, 8196, 8197, 8198,
                   8199, 8200, 8201, 8202, 8203, 8204, 8205, 8232, 8233, 8239, 8287, 8288, 12288, 65279]
_CLASS = "[" + "".join("\\x{%x}" % c for c in IDENTITY_SPACES) + "]"
IDENTITY_SPACES_PATTERN = f"^{_CLASS}+|{_CLASS}+$"
_NFC = "reflect('com.ibm.icu.text.Normalizer', 'compose', {}, false)"


def canonical_email(expr: str) -> str:
    inner = _NFC.format("lower(" + _NFC.format(f"regexp_replace({expr}, :identity_spaces, '')") + ")")
    return f"nullif(case when {expr} is null then null else {inner} end, '')"


# customer_latest_records(): the latest record per canonical email, ties towards no consent.
LATEST = f"""
select customer_name, email, phone, birth_day, serial_number, registration_date, last_update_date,
       share_with_research_as_of_date, share_with_public_as_of_date, share_with_friends_as_of_date
from (
    select customerName as customer_name, customer_identity as email, phone, birthDay as birth_day, serialNumber as serial_number,
           registrationDate as registration_date, lastUpdateDate as last_update_date,
           shareWithResearchAsOfDate as share_with_research_as_of_date,
           shareWithPublicAsOfDate as share_with_public_as_of_date,
           shareWithFriendsAsOfDate as share_with_friends_as_of_date,
           row_number() over (
               partition by customer_identity
               order by lastUpdateDate desc nulls last, shareWithResearchAsOfDate desc nulls first,
                        registrationDate desc nulls last, serialNumber asc nulls last, customerName asc nulls last,
                        phone asc nulls last, birthDay asc nulls last, shareWithPublicAsOfDate desc nulls first,
                        shareWithFriendsAsOfDate desc nulls first
           ) as record_rank
    from (select *, {canonical_email("email")} as customer_identity from landing_customer) identified_records
    where customer_identity is not null
) ranked_records
where record_rank = 1
"""

MODELS = [
    ("customer_trusted", f"select * from ({LATEST}) latest_records where share_with_research_as_of_date is not null"),
    ("accelerometer_trusted", f"""
        select c.email as user_email, a.timestamp as reading_time, a.x, a.y, a.z
        from (select *, {canonical_email("user")} as customer_identity from landing_accelerometer) a
        join customer_trusted c on c.email = a.customer_identity
        where c.share_with_research_as_of_date is not null and a.timestamp is not null
          and a.timestamp >= c.share_with_research_as_of_date
    """),
    ("customer_curated", """
        select c.* from customer_trusted c
        where exists (select 1 from accelerometer_trusted a where a.user_email = c.email)
    """),
    ("step_trainer_trusted", f"""
        with claims as (
            select serial_number, email from ({LATEST}) latest_records where serial_number is not null
            union all
            select serialNumber as serial_number, cast(null as string) as email
            from landing_customer where {canonical_email("email")} is null and serialNumber is not null
        ),
        unambiguous_devices as (
            select serial_number, max(email) as email from claims group by serial_number having count(*) = 1
        ),
        device_owners as (
            select c.serial_number, c.share_with_research_as_of_date
            from customer_curated c
            join unambiguous_devices d on d.serial_number = c.serial_number and d.email = c.email
        )
        select st.sensorReadingTime as sensor_reading_time, st.serialNumber as serial_number,
               st.distanceFromObject as distance_from_object
        from landing_step_trainer st
        join device_owners o on o.serial_number = st.serialNumber
        where o.share_with_research_as_of_date is not null and st.sensorReadingTime is not null
          and st.sensorReadingTime >= o.share_with_research_as_of_date
    """),
    ("machine_learning_curated", f"""
        select st.sensor_reading_time, st.distance_from_object, a.x, a.y, a.z,
               sha2(concat(:key, ':', {canonical_email("c.email")}), 256) as subject_key
        from step_trainer_trusted st
        join customer_curated c on c.serial_number = st.serial_number
        join accelerometer_trusted a on a.user_email = c.email and a.reading_time = st.sensor_reading_time
    """),
]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--landing", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--threads", default="2")
    p.add_argument("--memory", default="8g")
    args = p.parse_args()
    key = os.environ.get("STEDI_SUBJECT_KEY", "bench-key-0123456789abcdef")
    started = time.perf_counter()
    spark = (
        SparkSession.builder.master(f"local[{args.threads}]")
        .appName("stedi-peer")
        .config("spark.driver.memory", args.memory)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.parquet.compression.codec", "snappy")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    timings = {"spark_start": time.perf_counter() - started}
    for name, schema in SCHEMAS.items():
        spark.read.schema(schema).json(f"{args.landing}/{name}/landing/*.json").createOrReplaceTempView(f"landing_{name}")
    rows = {}
    for name, sql in MODELS:
        t0 = time.perf_counter()
        params = {k: v for k, v in (("key", key), ("identity_spaces", IDENTITY_SPACES_PATTERN)) if f":{k}" in sql}
        df = spark.sql(sql, args=params) if params else spark.sql(sql)
        path = os.path.join(args.out, name)
        df.write.mode("overwrite").parquet(path)
        table = spark.read.parquet(path)
        table.createOrReplaceTempView(name)
        rows[name] = table.count()
        timings[name] = time.perf_counter() - t0
    spark.stop()
    timings["total"] = time.perf_counter() - started
    print(json.dumps({"tables": rows, "timings": timings}))


if __name__ == "__main__":
    main()
