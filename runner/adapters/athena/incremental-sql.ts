/**
 * The SQL of `append`, `merge` and `delete+insert` models on Athena (pure; Trino grammar): the
 * table as it would be published (what the blocking tests read), the check MERGE itself makes,
 * and the one statement that publishes the batch — an `INSERT INTO` (append) or one `MERGE INTO`
 * (merge, delete+insert): each one atomic Iceberg commit, never DELETE then INSERT.
 */
import { doubleQuote } from '../../dialect/types.js';

const q = doubleQuote;

export type BatchStrategy = 'append' | 'merge' | 'delete+insert';

const sameKey = (keys: string[], a: string, b: string) => keys.map((k) => `${a}.${q(k)} = ${b}.${q(k)}`).join(' AND ');

/** The published rows kept (without those whose key the batch holds) and the batch's rows. */
export function wouldPublishBatch(published: string, candidate: string, strategy: BatchStrategy, keys: string[]): string {
  if (strategy === 'append') return `(SELECT * FROM ${published} UNION ALL SELECT * FROM ${candidate})`;
  return `(SELECT * FROM ${published} stedi_kept WHERE NOT EXISTS (SELECT 1 FROM ${candidate} stedi_new WHERE ${sameKey(keys, 'stedi_new', 'stedi_kept')}) UNION ALL SELECT * FROM ${candidate})`;
}

/** Published row keys that more than one batch row holds: MERGE refuses them (MERGE_TARGET_ROW_MULTIPLE_MATCHES). */
export function ambiguousMergeSql(published: string, candidate: string, keys: string[]): string {
  const cols = keys.map(q).join(', ');
  return `SELECT count(*) FROM (SELECT ${cols} FROM ${candidate} GROUP BY ${cols} HAVING count(*) > 1) d WHERE EXISTS (SELECT 1 FROM ${published} p WHERE ${sameKey(keys, 'd', 'p')})`;
}

/**
 * append: `INSERT INTO` the batch. merge and delete+insert: one `MERGE INTO` whose source is one
 * delete row per distinct key of the batch (`__stedi_delete = 1`, the key in `__stedi_k<i>`, the
 * columns NULL), which the published rows of that key match and leave, and the batch's rows
 * (`__stedi_delete` NULL), which match nothing and are inserted. No published row matches two
 * source rows (the keys are distinct), and a NULL key matches nothing, as on DuckDB.
 */
export function publishBatchSql(published: string, candidate: string, columns: string[], strategy: BatchStrategy, keys: string[]): string {
  const cols = columns.map(q).join(', ');
  if (strategy === 'append') return `INSERT INTO ${published} (${cols})\nSELECT ${cols} FROM ${candidate}`;
  const k = keys.map((_, i) => `__stedi_k${i}`);
  return [
    `MERGE INTO ${published} t`,
    `USING (SELECT 1 AS __stedi_delete, ${k.map((x) => `d.${x}`).join(', ')}, c.* FROM (SELECT DISTINCT ${keys.map((key, i) => `${q(key)} AS ${k[i]}`).join(', ')} FROM ${candidate}) d LEFT JOIN ${candidate} c ON 1 = 0`,
    `UNION ALL SELECT NULL, ${k.map(() => 'NULL').join(', ')}, c.* FROM ${candidate} c) s`,
    `ON s.__stedi_delete = 1 AND ${keys.map((key, i) => `t.${q(key)} = s.${k[i]}`).join(' AND ')}`,
    `WHEN MATCHED THEN DELETE`,
    `WHEN NOT MATCHED AND s.__stedi_delete IS NULL THEN INSERT (${cols}) VALUES (${columns.map((c) => `s.${q(c)}`).join(', ')})`,
  ].join('\n');
}
