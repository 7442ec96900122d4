{#
  The incremental variant of the peer (var peer_incremental: true, used by the warm benchmark):
  the three reading tables as dbt microbatch models by hour of reading time, as stedi builds them
  (lookback 0), in the DuckDB catalog (dbt-duckdb builds incremental models there, not as external
  Parquet files). dbt rebuilds the batches it is given (--event-time-start/--event-time-end) and
  nothing else: a consent change, or a customer who becomes curated, does not reach the batches
  it is not given. var peer_batch_size (default hour) lets the benchmark fill the tables in one
  yearly batch first: dbt's microbatch on DuckDB is a delete+insert of each batch's event-time
  range, so the batch size does not change what the tables hold, and hourly batches over views of
  JSON files read every file once per batch. event_time must be a TIMESTAMP column of the model: `reading_ts` /
  `sensor_reading_ts`, added by the models in this variant only.
#}
{% macro peer_microbatch(event_time) %}
{{ return({'materialized': 'incremental', 'incremental_strategy': 'microbatch', 'event_time': event_time, 'batch_size': var('peer_batch_size', 'hour'), 'lookback': 0, 'begin': '2000-01-01'}) }}
{% endmacro %}
