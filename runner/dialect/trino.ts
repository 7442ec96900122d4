import { lintDuckdbOnly } from './lint.js';
import type { Dialect } from './types.js';
import { doubleQuote, sqlString } from './types.js';

/** Longest secret the parameter form below can carry, and the characters it may hold. */
export const SECRET_MAX_LENGTH = 256;
export const SECRET_CHARS = /^[\x20-\x7e]+$/;

/**
 * The value of a run-time secret, received as the statement's `?` execution parameter.
 *
 * Athena accepts `?` parameters only inside a WHERE clause ("SELECT ? FROM t is not
 * supported"), while `subject_key` needs the secret inside an expression. So the secret is
 * rebuilt from a WHERE clause: each (position, printable ASCII character) pair is kept when
 * `substr(?, position, 1)` equals that character, and the kept characters are joined in
 * order. The scalar subquery reads no table (≈24,000 generated rows, no data scanned) and is
 * valid Trino as well, so the same SQL runs on a Trino server that binds `?` anywhere.
 * Exactly one `?` per reference; the adapter passes the secret once per `?`, in order.
 */
export function secretParameterExpression(): string {
  return (
    `(select array_join(array_agg(chr(stedi_secret_char) order by stedi_secret_pos), '')` +
    ` from unnest(sequence(1, ${SECRET_MAX_LENGTH})) as stedi_secret_positions(stedi_secret_pos)` +
    ` cross join unnest(sequence(32, 126)) as stedi_secret_chars(stedi_secret_char)` +
    ` where substr(?, stedi_secret_pos, 1) = chr(stedi_secret_char))`
  );
}

/**
 * Trino SQL as Athena runs it: text only, no connection (the Athena adapter sends it; a Trino
 * server could too). Glue has one level of namespace (the database), so the zone is not part
 * of the name: the relation is "<database>"."<identifier>" and the zone only decides the S3
 * location. Names are folded to lower case, as Glue stores them. Secrets arrive as execution
 * parameters (`?`), never as text.
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
      return secretParameterExpression();
    },
    lint: lintDuckdbOnly,
  };
}
