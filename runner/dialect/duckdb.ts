import type { Dialect } from './types.js';
import { doubleQuote, sqlString } from './types.js';

/** DuckDB: one schema per zone in the local catalog file. */
export const duckdbDialect: Dialect = {
  name: 'duckdb',
  dispatch: ['duckdb'],
  lowerCaseNames: false,
  quoteIdent: doubleQuote,
  quoteString: sqlString,
  relation(schema, identifier) {
    return { schema, identifier, rendered: `${doubleQuote(schema)}.${doubleQuote(identifier)}` };
  },
};
