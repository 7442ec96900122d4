/**
 * E_SQL_SYNTAX: compiled SQL that does not parse stops the compile (exit 2) before anything runs,
 * at the line of the model's template (source-map.ts), not of the compiled SQL. How a text is
 * judged: syntax.ts.
 */
import type { Diagnostic } from '../core/diagnostics.js';
import type { ManifestNode, ModelNode } from '../manifest/types.js';
import { locateInModel, type Ctx } from './models.js';
import { compiledLine, syntaxErrors, type SqlJudges } from './syntax.js';

const HINT_MODEL = 'fix the SQL at this line of the model; `stedi compile` checks it again without running anything';

/** Each model's compiled SQL (and its is_incremental() rendering); a model that does not parse is broken. */
export function checkModelSyntax(ctx: Ctx, models: ModelNode[], judges: SqlJudges): void {
  const texts = models
    .filter((m) => !ctx.registry.broken.has(m.unique_id))
    .flatMap((m) => [
      { m, incremental: false, sql: m.compiled_code },
      ...(m.compiled_incremental_code !== undefined ? [{ m, incremental: true, sql: m.compiled_incremental_code }] : []),
    ]);
  const errors = syntaxErrors(texts.map((t) => ({ sql: t.sql, dialect: ctx.dialect.name })), judges);
  texts.forEach(({ m, incremental, sql }, i) => {
    const e = errors[i];
    if (!e || ctx.registry.broken.has(m.unique_id)) return;
    ctx.registry.broken.add(m.unique_id);
    const at = locateInModel(ctx, m, incremental, e.line, e.column);
    const branch = incremental ? ' (its is_incremental() rendering)' : '';
    const compiled = `compiled line ${e.line}: ${compiledLine(sql, e.line)}`;
    const where = at.exact ? compiled : `${compiled}; ${at.line ? `the source line is not known exactly: ${at.why}` : `no source line: ${at.why}`}`;
    ctx.diagnostics.push({
      code: 'E_SQL_SYNTAX', severity: 'error', file: m.original_file_path, line: at.line,
      ...(at.exact && at.column ? { column: at.column } : {}),
      message: `${m.name}${branch}: the SQL does not parse for ${ctx.dialect.name}: ${e.message} (${where})`,
      hint: HINT_MODEL,
    });
  });
}

/**
 * Data tests (in the target's dialect) and unit tests (on DuckDB, where they run), except those
 * that read a broken model: their SQL is reported at the YAML entry that declares them.
 */
export function checkTestSyntax(nodes: Record<string, ManifestNode>, tainted: ReadonlySet<string>, dialect: string, judges: SqlJudges, diagnostics: Diagnostic[]): void {
  const tests = Object.values(nodes).filter((n) => (n.resource_type === 'test' || n.resource_type === 'unit_test') && !tainted.has(n.unique_id) && !n.depends_on.some((d) => tainted.has(d)));
  const dialectOf = (n: ManifestNode) => (n.resource_type === 'unit_test' ? 'duckdb' : dialect);
  const errors = syntaxErrors(tests.map((n) => ({ sql: 'compiled_code' in n ? n.compiled_code : '', dialect: dialectOf(n) })), judges);
  tests.forEach((n, i) => {
    const e = errors[i];
    if (!e || !('compiled_code' in n)) return;
    const what = n.resource_type === 'unit_test' ? `unit test ${n.name}: the model's SQL rendered for it does not parse on DuckDB (where unit tests run)` : `test ${n.name}: its SQL does not parse for ${dialect}`;
    diagnostics.push({
      code: 'E_SQL_SYNTAX', severity: 'error', file: n.original_file_path, line: n.line,
      message: `${what}: ${e.message} (compiled line ${e.line}: ${compiledLine(n.compiled_code, e.line)})`,
      hint: n.resource_type === 'unit_test' ? 'the vars or is_incremental it sets render SQL the model itself does not' : "the SQL comes from the test's macro and its arguments (a where: config is pasted as written)",
    });
  });
}
