/** Builds the RenderScope of one node: how ref/source/var/config behave while it renders. */
import { didYouMean, type Diagnostic } from '../core/diagnostics.js';
import { lineOf, UNDEFINED_VAR, type RenderScope } from './render-env.js';

export interface Registry {
  /** model or seed name → unique_id */
  refs: Map<string, string>;
  /** `source.table` → unique_id */
  sources: Map<string, string>;
  /** unique_id → rendered relation (empty during the first pass) */
  relations: Map<string, string>;
  /** unique_id → its `event_time` column, for the sources and models that declare one. */
  eventTimes: Map<string, string>;
  /**
   * Models whose SQL is not usable, the error already reported: the template does not compile,
   * rendering it reported an error, or its SQL does not parse. A ref() to one is no new error;
   * what would only follow from it (its unit tests, the lineage of what reads it) is not reported.
   */
  broken: Set<string>;
  /**
   * Every source() that named no declared table, with the diagnostics it reported: when a property
   * file could not be read, the ones it may declare are folded into one error (unreadable.ts).
   */
  unknownSources: { source: string; table: string; diagnostics: Diagnostic[] }[];
}

export interface ScopeOptions {
  file: string;
  raw: string;
  self: string;
  registry: Registry;
  vars: Record<string, unknown>;
  diagnostics: Diagnostic[];
  /** Receives every ref/source dependency, in order of use. */
  deps: string[];
  configs?: Record<string, unknown>[];
  /** Unit tests: unique_id → placeholder relation that replaces it. */
  inputs?: Map<string, string>;
  /** Line offset for templates that are a part of a larger file. */
  baseLine?: number;
  /** Receives every var() read while rendering, with the value it returned. */
  varsRead?: Record<string, unknown>;
  /** is_incremental() returns true (the incremental rendering of an incremental model). */
  incremental?: boolean;
  /**
   * A microbatch model's batch rendering: each input with an `event_time` becomes this
   * expression (the input filtered to the batch's intervals; see runner/compiler/window.ts).
   */
  window?: (relation: string, id: string, column: string) => string;
}

export function makeScope(o: ScopeOptions): RenderScope {
  const report: RenderScope['report'] = (code, message, needle, hint, line, inMacro) => {
    const site = inMacro ?? scope.macroSite?.();
    // in a macro: the caller's line is where the outermost macro was called
    const here = site ? line ?? site.callerLine : line ?? lineOf(o.raw, needle);
    // line 1 of a fragment (a YAML test) is the fragment's own line
    const callerLine = o.baseLine ? o.baseLine + Math.max(here - 1, 0) : here;
    const severity = code.startsWith('W_') ? 'warning' : 'error';
    if (site) {
      const through = site.macros.slice(0, -1);
      o.diagnostics.push({
        code, severity, file: site.file, line: site.line, message: `in macro ${site.macros[site.macros.length - 1]?.name ?? '?'}: ${message}`, ...(hint ? { hint } : {}),
        called_from: [{ file: o.file, line: callerLine, ...(through.length ? { through } : {}) }],
      });
      return;
    }
    o.diagnostics.push({ code, severity, file: o.file, line: callerLine, message, ...(hint ? { hint } : {}) });
  };
  const resolve = (id: string, placeholder: string): string => {
    if (!o.deps.includes(id)) o.deps.push(id);
    if (o.inputs) {
      const given = o.inputs.get(id);
      if (given !== undefined) return given;
      report('E_UNIT_TEST_MISSING_INPUT', `unit test gives no rows for ${placeholder}`, undefined, `add a given input for ${placeholder}`);
      return placeholder;
    }
    const relation = o.registry.relations.get(id) || `__stedi_unresolved__`;
    const column = o.registry.eventTimes.get(id);
    return o.window && column !== undefined ? o.window(relation, id, column) : relation;
  };
  const scope: RenderScope = {
    file: o.file,
    raw: o.raw,
    self: o.self,
    incremental: o.incremental === true,
    report,
    ref(name) {
      const id = o.registry.refs.get(name);
      if (!id) {
        report('E_UNKNOWN_REF', `ref('${name}') names no model or seed`, `'${name}'`, didYouMean(name, o.registry.refs.keys()));
        return `__unknown_ref__`;
      }
      return resolve(id, `ref('${name}')`);
    },
    source(src, table) {
      const id = o.registry.sources.get(`${src}.${table}`);
      if (!id) {
        const before = o.diagnostics.length;
        report('E_UNKNOWN_SOURCE', `source('${src}', '${table}') is not declared`, `'${table}'`, didYouMean(`${src}.${table}`, o.registry.sources.keys()));
        o.registry.unknownSources.push({ source: String(src), table: String(table), diagnostics: o.diagnostics.slice(before) });
        return `__unknown_source__`;
      }
      return resolve(id, `source('${src}', '${table}')`);
    },
    var(name, fallback, hasFallback) {
      const record = (v: unknown) => {
        if (o.varsRead) o.varsRead[name] = v;
        return v;
      };
      if (Object.prototype.hasOwnProperty.call(o.vars, name)) return record(o.vars[name]);
      if (hasFallback) return record(fallback);
      report('E_UNKNOWN_VAR', `var('${name}') is not defined`, `'${name}'`, didYouMean(name, Object.keys(o.vars)) ?? 'define it under vars: in stedi_project.yml or pass --vars');
      return UNDEFINED_VAR;
    },
    config(values) {
      o.configs?.push(values);
    },
  };
  return scope;
}

