/** In-memory projects for compiler tests: files in, manifest and diagnostics out. */
import type { CompileOutput } from '../../../runner/compiler/compile.js';
import { compileForTarget } from '../../../runner/compiler/for-target.js';
import { parseProject } from '../../../runner/project/parse.js';
import type { ModelNode, TestNode } from '../../../runner/manifest/types.js';

export const PROJECT_YML = `name: demo
default-target: local
vars:
  landing_root: landing
  policy: strict
targets:
  local: { type: duckdb }
  athena: { type: athena, region: eu-west-1, database: lakedb, workgroup: wg, s3_data_dir: "s3://b/zones" }
models:
  +materialized: table
  trusted:
    +zone: trusted
    +tags: [zone_t]
`;

export const SOURCES_YML = `version: 2
sources:
  - name: landing
    tables:
      - name: customer
        location: "{{ var('landing_root') }}/customer/landing"
        columns:
          - { name: email, data_type: varchar, meta: { pii: true } }
          - { name: n, data_type: bigint }
          - { name: subject_key, data_type: varchar, derived: { pseudonym_of: email } }
`;

export function compileFiles(files: Record<string, string>, opts: { target?: string; vars?: Record<string, unknown> } = {}): CompileOutput {
  // the folder config of models/trusted applies only when the test has models there (a config path that names no folder is an error)
  const project = Object.keys(files).some((f) => f.startsWith('models/trusted/')) ? PROJECT_YML : PROJECT_YML.replace('  trusted:\n    +zone: trusted\n    +tags: [zone_t]\n', '');
  const all = { 'stedi_project.yml': project, 'models/sources.yml': SOURCES_YML, ...files };
  const parsed = parseProject(Object.entries(all).map(([path, text]) => ({ path, text })));
  if (!parsed.project) return { diagnostics: parsed.diagnostics };
  const c = compileForTarget(parsed.project, { target: opts.target ?? 'local', ...(opts.vars ? { cliVars: JSON.stringify(opts.vars) } : {}), now: new Date(0) });
  if (!c.target) throw new Error(JSON.stringify(c.configDiagnostics));
  return { ...(c.manifest ? { manifest: c.manifest } : {}), diagnostics: [...parsed.diagnostics, ...c.configDiagnostics, ...c.compileDiagnostics] };
}

export function model(out: CompileOutput, name: string): ModelNode {
  const n = out.manifest?.nodes[`model.demo.${name}`];
  if (!n || n.resource_type !== 'model') throw new Error(`no model ${name}: ${JSON.stringify(out.diagnostics)}`);
  return n;
}

export function tests(out: CompileOutput): TestNode[] {
  return Object.values(out.manifest?.nodes ?? {}).filter((n): n is TestNode => n.resource_type === 'test');
}

export function codes(out: CompileOutput): { file: string; line: number; code: string }[] {
  return out.diagnostics.map((d) => ({ file: d.file, line: d.line, code: d.code }));
}

/** As the CLI does for a project with loading errors: the rest is compiled too, every problem reported at once. */
export function compilePartial(files: Record<string, string>): CompileOutput {
  const all = { 'stedi_project.yml': PROJECT_YML.replace('  trusted:\n    +zone: trusted\n    +tags: [zone_t]\n', ''), 'models/sources.yml': SOURCES_YML, ...files };
  const parsed = parseProject(Object.entries(all).map(([path, text]) => ({ path, text })));
  const c = compileForTarget(parsed.partial!, { target: 'local', now: new Date(0) });
  return { ...(c.manifest ? { manifest: c.manifest } : {}), diagnostics: [...parsed.diagnostics, ...c.configDiagnostics, ...c.compileDiagnostics] };
}
