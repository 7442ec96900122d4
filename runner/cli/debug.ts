/**
 * `stedi debug`, as `dbt debug`: the versions, then one line per check of what a build needs —
 * the project file, the target, and for duckdb the lake folder and the catalog, for athena the
 * credentials, the workgroup and the Glue database (one cheap read each) — and the
 * pseudonymisation key by its fingerprint. Exit 0 when every check passes, 1 otherwise. Nothing
 * is created, written or built.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { AwsApi } from '../adapters/athena/api.js';
import { STEDI_VERSION } from '../compiler/compile.js';
import { formatDiagnostic } from '../core/diagnostics.js';
import type { Reporter } from '../execute/reporter.js';
import { erasureLogPath } from '../landing/erasure-log.js';
import { loadProject } from '../project/load.js';
import { resolveTarget, type ResolvedTarget } from '../project/resolve.js';
import type { ProjectSpec } from '../project/types.js';
import { awsHint, catalogCheck, check, credentialsCheck, formatCheck, keyCheck, lakeCheck, projectNeedsKey, skipped, type Check } from './debug-checks.js';
import { announceNodeSupport } from './node-support.js';
import type { SecretReader } from './secrets.js';
import { enterProject, type GlobalOptions } from './session.js';
import { loadTarget, targetSpec } from '../targets/registry.js';

const require = createRequire(import.meta.url);

async function versions(): Promise<string> {
  const duckdb = await import('@duckdb/node-api');
  const pkg = (name: string) => (require(`${name}/package.json`) as { version: string }).version;
  return `stedi ${STEDI_VERSION} · Node.js ${process.version} · DuckDB ${duckdb.version()} (@duckdb/node-api ${pkg('@duckdb/node-api')}) · AWS SDK for JavaScript v3 ${pkg('@aws-sdk/client-athena')}`;
}

/** The project file, read and validated as every command reads it. */
function projectCheck(): { check: Check; project?: ProjectSpec } {
  if (!fs.existsSync('stedi_project.yml')) {
    return { check: { name: 'project', status: 'ERROR', detail: `no stedi_project.yml in ${process.cwd()}`, hint: 'run stedi in the project folder, pass --project-dir, or start one with stedi init' } };
  }
  const loaded = loadProject('.');
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (!loaded.project || errors.length) {
    const first = errors[0] ? formatDiagnostic(errors[0]).split('\n') : ['the project cannot be read'];
    return { check: { name: 'project', status: 'ERROR', detail: `${first[0]}${errors.length > 1 ? ` (and ${errors.length - 1} more: stedi compile lists them)` : ''}`, ...(first[1] ? { hint: first[1].replace(/^\s*hint:\s*/, '') } : {}) } };
  }
  const p = loaded.project;
  const n = (k: number, what: string) => `${k} ${what}${k === 1 ? '' : 's'}`;
  return { project: p, check: { name: 'project', status: 'OK', detail: `stedi_project.yml is valid: project '${p.config.name}', ${n(p.models.length, 'model file')}, ${n(p.sources.reduce((k, s) => k + s.tables.length, 0), 'source')}, ${n(p.seeds.length, 'seed')}` } };
}

function targetCheck(project: ProjectSpec, name: string | undefined, env: NodeJS.ProcessEnv): { check: Check; target?: ResolvedTarget } {
  const t = resolveTarget(project.config, name, env);
  const errors = t.diagnostics.filter((d) => d.severity === 'error');
  if (!t.target || errors.length) {
    const first = errors[0] ? formatDiagnostic(errors[0]).split('\n') : ['no target'];
    return { check: { name: 'target', status: 'ERROR', detail: first[0]!, ...(first[1] ? { hint: first[1].replace(/^\s*hint:\s*/, '') } : {}) } };
  }
  const by = name?.trim() ? '--target' : env.STEDI_TARGET?.trim() ? 'STEDI_TARGET' : 'default-target';
  const where = `, ${targetSpec(t.target.type).describe(t.target)}`;
  return { target: t.target, check: { name: 'target', status: 'OK', detail: `${t.target.name} (${t.target.type}), chosen by ${by}${where}` } };
}

export interface AthenaDebugDeps {
  clients: AwsApi;
  readSecret: SecretReader;
}

/** The athena checks; the clients are the SDK's (faked transports in tests). */
export async function athenaChecks(target: ResolvedTarget, project: string, env: NodeJS.ProcessEnv, needsKey: boolean, deps: AthenaDebugDeps): Promise<Check[]> {
  const { AthenaAdapter } = await import('../adapters/athena/adapter.js');
  let adapter: InstanceType<typeof AthenaAdapter>;
  try {
    adapter = new AthenaAdapter(target as unknown as Record<string, unknown>, deps.clients, { owner: { project, target: target.name } });
  } catch (e) {
    return [{ name: 'settings', status: 'ERROR', detail: (e as Error).message, hint: 'see the athena target keys in the README (Running on AWS)' }];
  }
  const out: Check[] = [];
  const creds = await credentialsCheck(deps.clients, env);
  out.push(creds);
  if (creds.status === 'OK') {
    out.push(await check('workgroup', () => adapter.checkWorkgroup(), (m) => awsHint(m, 'athena:GetWorkGroup')));
    out.push(await check('database', () => adapter.checkDatabase(), (m) => awsHint(m, 'glue:GetDatabase')));
  } else {
    out.push(skipped('workgroup', 'no credentials'), skipped('database', 'no credentials'));
  }
  out.push(await keyCheck(target, env, needsKey, deps.readSecret));
  return out;
}

export async function debugCommand(opts: GlobalOptions, reporter: Reporter, out: (line: string) => void): Promise<number> {
  out(await versions());
  enterProject(opts);
  const checks: Check[] = [];
  const say = (c: Check) => {
    checks.push(c);
    out(formatCheck(c));
  };
  const p = projectCheck();
  say(p.check);
  if (p.project) {
    const t = targetCheck(p.project, opts.target, process.env);
    say(t.check);
    const target = t.target;
    if (target && targetSpec(target.type).capabilities.local) {
      const lake = String(target.lake_dir);
      say(await lakeCheck(lake));
      say(await catalogCheck(String(target.catalog)));
      say(await keyCheck(target, process.env, projectNeedsKey(p.project, fs.existsSync(erasureLogPath(lake)))));
    } else if (target && !(await loadTarget(target.type)).awsSdk) {
      say(skipped('engine', `stedi debug has no checks of the ${target.type} target's engine yet`));
      say(await keyCheck(target, process.env, projectNeedsKey(p.project, false)));
    } else if (target) {
      announceNodeSupport();
      const [{ createClients }, { createSecretsClient, readSecretString }] = await Promise.all([import('../adapters/athena/clients.js'), import('../adapters/athena/secret-store.js')]);
      const deps = { clients: createClients(String(target.region)), readSecret: (id: string, region: string) => readSecretString(createSecretsClient(region), id) };
      for (const c of await athenaChecks(target, p.project.config.name, process.env, projectNeedsKey(p.project, false), deps)) say(c);
    }
  }
  const failed = checks.filter((c) => c.status === 'ERROR').length;
  if (failed) reporter.error(`${failed} check${failed === 1 ? '' : 's'} failed`);
  else out('All checks passed.');
  return failed ? 1 : 0;
}
