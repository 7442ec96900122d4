/** Unit tests of models: the model's SQL rendered with each input replaced by given rows. */
import nunjucks from 'nunjucks';
import { didYouMean } from '../core/diagnostics.js';
import type { UnitTestNode } from '../manifest/types.js';
import { modelName, tidy } from './models.js';
import { makeScope } from './scope.js';
import { fqnOf } from './fqn.js';
import type { TestCtx } from './tests.js';

const REF = /^\s*ref\(\s*['"]([^'"]+)['"]\s*\)\s*$/;
const SOURCE = /^\s*source\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)\s*$/;

export function givenPlaceholder(i: number): string {
  return `__stedi_given_${i}`;
}

export function compileUnitTests(ctx: TestCtx): UnitTestNode[] {
  const out: UnitTestNode[] = [];
  for (const spec of ctx.project.unitTests) {
    const loc = spec.loc;
    const modelId = ctx.registry.refs.get(spec.model);
    const file = ctx.project.models.find((f) => modelName(f.path) === spec.model);
    if (!modelId || !file || !modelId.startsWith('model.')) {
      ctx.diagnostics.push({ code: 'E_UNIT_TEST_UNKNOWN_MODEL', severity: 'error', file: loc.file, line: loc.line, message: `unit test '${spec.name}' names unknown model '${spec.model}'`, hint: didYouMean(spec.model, ctx.registry.refs.keys()) });
      continue;
    }
    // the model's own error is reported once, not again for each of its unit tests
    if (ctx.registry.broken.has(modelId)) continue;
    const inputs = new Map<string, string>();
    const given: UnitTestNode['given'] = [];
    spec.given.forEach((g, i) => {
      const r = REF.exec(g.input);
      const s = SOURCE.exec(g.input);
      // `this`: the model's own published rows, which its is_incremental() branch reads
      const id = g.input.trim() === 'this' ? modelId : r ? ctx.registry.refs.get(r[1]!) : s ? ctx.registry.sources.get(`${s[1]}.${s[2]}`) : undefined;
      if (!id) {
        ctx.diagnostics.push({ code: 'E_UNIT_TEST_BAD_INPUT', severity: 'error', file: g.loc.file, line: g.loc.line, message: `given input ${g.input} is not a known ref() or source()` });
        return;
      }
      inputs.set(id, givenPlaceholder(i));
      given.push({ input: id, rows: g.rows });
    });
    const t = ctx.env.compileTemplate(file.path, file.text);
    if (!(t instanceof nunjucks.Template)) continue;
    const vars = { ...ctx.vars, ...spec.overrides.vars };
    const before = ctx.diagnostics.length;
    const incremental = spec.overrides.macros?.is_incremental === true;
    const model = ctx.nodes[modelId];
    if (incremental && (model?.resource_type !== 'model' || model.materialized !== 'incremental')) {
      ctx.diagnostics.push({ code: 'E_BAD_VALUE', severity: 'error', file: loc.file, line: loc.line, message: `unit test '${spec.name}': is_incremental: true, but ${spec.model} is not materialized: incremental` });
    }
    const givenThis = inputs.get(modelId);
    // a microbatch model's batch does not read {{ this }} (its rows are replaced by interval and key)
    const microbatch = model?.resource_type === 'model' && model.config.incremental_strategy === 'microbatch';
    if (incremental && givenThis === undefined && !microbatch) {
      ctx.diagnostics.push({ code: 'E_UNIT_TEST_MISSING_INPUT', severity: 'error', file: loc.file, line: loc.line, message: `unit test '${spec.name}' sets is_incremental: true but gives no rows for this (the published rows its is_incremental() branch reads)`, hint: 'add a given input: this, with the rows the table holds before the batch' });
    }
    // {{ this }} is the given rows when there are (dbt's `input: this`)
    const scope = makeScope({ file: file.path, raw: file.text, self: givenThis ?? ctx.registry.relations.get(modelId) ?? '', registry: ctx.registry, vars, diagnostics: ctx.diagnostics, deps: [], inputs, incremental });
    const sql = ctx.env.render(t, scope);
    for (const d of ctx.diagnostics.slice(before)) {
      if (d.code === 'E_UNIT_TEST_MISSING_INPUT') Object.assign(d, { file: loc.file, line: loc.line, message: `unit test '${spec.name}': ${d.message}` });
    }
    if (sql === undefined) continue;
    out.push({
      unique_id: `unit_test.${ctx.project.config.name}.${spec.model}.${spec.name}`,
      resource_type: 'unit_test',
      name: spec.name,
      original_file_path: loc.file,
      line: loc.line,
      fqn: fqnOf(ctx.project.config, loc.file, spec.model, spec.name),
      tags: ctx.nodes[modelId]?.tags ?? [],
      description: spec.description,
      depends_on: [modelId],
      config: { enabled: true, vars: spec.overrides.vars, ...(spec.overrides.macros ? { macros: spec.overrides.macros } : {}) },
      model: modelId,
      given,
      expect: spec.expect,
      compiled_code: tidy(sql),
    });
  }
  return out;
}
