import { lintDuckdbOnly } from './lint.js';
import type { Dialect } from './types.js';
import { doubleQuote, sqlString } from './types.js';

/**
 * Trino SQL: text only, no connection. `name` is the target type running it and `dispatch` the
 * macro prefixes it takes, most specific first (Athena: `['athena', 'trino']`). On Athena, Glue has one level of namespace (the database), so the zone is not part
 * of the name: the relation is "<database>"."<identifier>" and the zone only decides the S3
 * location. Names are folded to lower case, as Glue stores them.
 */
export function trinoDialect(database: string, name = 'trino', dispatch: readonly string[] = [name]): Dialect {
  return {
    name,
    dispatch,
    lowerCaseNames: true,
    quoteIdent: doubleQuote,
    quoteString: sqlString,
    relation(_schema, identifier) {
      const id = identifier.toLowerCase();
      return { schema: database, identifier: id, rendered: `${doubleQuote(database)}.${doubleQuote(id)}` };
    },
    lint: lintDuckdbOnly,
  };
}
