/**
 * Column-level lineage as plain data: for each column of each model, the upstream columns (of
 * sources, seeds and models) its value is computed from. Computed from compiled SQL by
 * `runner/lineage/`, read by the compiler (PII policy) and the docs site.
 */

/** How a value reaches a column from an upstream column. */
export type Via =
  /** The upstream value itself: a column reference, possibly renamed, cast or passed through CTEs and subqueries. */
  | 'direct'
  /** Computed from it: functions, operators, CASE, aggregates, window functions, scalar subqueries. */
  | 'expression'
  /** Through the pseudonymisation: a source's derived pseudonym (`derived: {pseudonym_of: …}`, a keyed HMAC computed at ingestion). */
  | 'pseudonymised'
  /**
   * It decides the value without flowing into it: a CASE condition, a window's PARTITION BY /
   * ORDER BY, an aggregate's FILTER, the argument of count(). Shown, but carries no data.
   */
  | 'condition';

export interface ColumnRef {
  /** unique_id of a source, seed or model. */
  node: string;
  column: string;
}

export interface LineageEdge extends ColumnRef {
  via: Via;
}

/** A reference in the SQL whose origin could not be resolved. Never guessed. */
export interface Unresolved {
  /** As written, e.g. `c.email`, `t.*`. */
  reference: string;
  reason: string;
}

export interface ColumnLineage {
  name: string;
  upstream: LineageEdge[];
  unresolved: Unresolved[];
  /**
   * unnamed: the engine names this column (an expression without an alias) and `name` is a
   * placeholder; many: it may stand for any number of columns whose names are not known (a star
   * over something whose columns are not known, columns(), unnest()), and is always unresolved.
   */
  shape?: 'unnamed' | 'many';
}

export interface ModelLineage {
  node: string;
  columns: ColumnLineage[];
  /** Set when the compiled SQL could not be analysed at all (every column is then unknown). */
  error?: string;
}

/**
 * Personal-data status of a column, by lineage and `meta.pii`:
 * pii: personal data itself (tagged, or a direct copy of such a column);
 * derived: computed from personal data (still personal data);
 * unknown: an origin is unresolved, so it cannot be shown free of personal data;
 * pseudonymised: derived from personal data only through the approved macro;
 * none: no personal data reaches it.
 */
export type PiiStatus = 'pii' | 'derived' | 'unknown' | 'pseudonymised' | 'none';

export const PII_RANK: Record<PiiStatus, number> = { none: 0, pseudonymised: 1, unknown: 2, derived: 3, pii: 4 };

export interface ProjectLineage {
  /** model unique_id → its column lineage. */
  models: Record<string, ModelLineage>;
  /** node unique_id → column name → status, for every source, seed and analysed model. */
  pii: Record<string, Record<string, PiiStatus>>;
}
