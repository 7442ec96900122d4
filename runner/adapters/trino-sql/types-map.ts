/** Column types of the YAML schema (DuckDB spelling) as Glue/Hive and Trino types (the athena and trino targets). */
import { EngineError } from '../types.js';

const SIMPLE: Record<string, { hive: string; trino: string }> = {
  varchar: { hive: 'string', trino: 'varchar' },
  text: { hive: 'string', trino: 'varchar' },
  string: { hive: 'string', trino: 'varchar' },
  bigint: { hive: 'bigint', trino: 'bigint' },
  long: { hive: 'bigint', trino: 'bigint' },
  int8: { hive: 'bigint', trino: 'bigint' },
  integer: { hive: 'int', trino: 'integer' },
  int: { hive: 'int', trino: 'integer' },
  int4: { hive: 'int', trino: 'integer' },
  smallint: { hive: 'smallint', trino: 'smallint' },
  tinyint: { hive: 'tinyint', trino: 'tinyint' },
  double: { hive: 'double', trino: 'double' },
  float8: { hive: 'double', trino: 'double' },
  real: { hive: 'float', trino: 'real' },
  float: { hive: 'float', trino: 'real' },
  float4: { hive: 'float', trino: 'real' },
  boolean: { hive: 'boolean', trino: 'boolean' },
  bool: { hive: 'boolean', trino: 'boolean' },
  date: { hive: 'date', trino: 'date' },
  timestamp: { hive: 'timestamp', trino: 'timestamp' },
};

export function mapType(declared: string | undefined, where: string): { hive: string; trino: string } {
  const t = (declared ?? 'varchar').trim().toLowerCase();
  const simple = SIMPLE[t];
  if (simple) return simple;
  const dec = /^(decimal|numeric)\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(t);
  if (dec) return { hive: `decimal(${dec[2]},${dec[3]})`, trino: `decimal(${dec[2]}, ${dec[3]})` };
  throw new EngineError(`${where}: data_type '${declared}' has no Athena equivalent here; use varchar, bigint, integer, double, real, boolean, date, timestamp or decimal(p, s)`);
}
