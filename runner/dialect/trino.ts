import type { Dialect } from './types.js';
import { doubleQuote, sqlString } from './types.js';

/**
 * Trino SQL as Athena runs it. Glue has one level of namespace (the database), so the zone
 * is carried by the table name prefix-free: the relation is "<database>"."<identifier>" and
 * the zone only decides the S3 location. Secrets arrive as execution parameters (`?`).
 */
export function trinoDialect(database: string): Dialect {
  return {
    name: 'athena',
    lowerCaseNames: true,
    quoteIdent: doubleQuote,
    quoteString: sqlString,
    relation(_schema, identifier) {
      const id = identifier.toLowerCase();
      return { schema: database, identifier: id, rendered: `${doubleQuote(database)}.${doubleQuote(id)}` };
    },
    secretRef() {
      return '?';
    },
  };
}
