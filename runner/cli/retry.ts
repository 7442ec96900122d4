/**
 * `stedi retry`: the last build, run, test or seed again (as recorded in target/run_results.json,
 * read through the artifact reader), for the nodes that did not finish well only: error, fail,
 * skipped or cancelled. The tests of a retried model or seed come with it (they gate its
 * publication), as with any selection; whatever else succeeded is not run again.
 */
import path from 'node:path';
import { UserError } from '../core/diagnostics.js';
import type { Command } from '../execute/plan.js';
import type { Reporter } from '../execute/reporter.js';
import type { NodeStatus, RunResults } from '../execute/results.js';
import { readRunResults } from '../manifest/read.js';
import { loadProject } from '../project/load.js';
import { runCommand, type RunCommandOptions } from './commands.js';
import { enterProject, type GlobalOptions } from './session.js';

export const RETRIED: readonly NodeStatus[] = ['error', 'fail', 'skipped', 'cancelled'];
const COMMANDS: readonly string[] = ['build', 'run', 'test', 'seed'];

/** The command and options that run the unfinished nodes of `rr` again, or undefined when none is left. Pure. */
export function retryPlan(rr: RunResults, file: string, base: GlobalOptions): { command: Command; opts: RunCommandOptions; ids: string[] } | undefined {
  const command = rr.metadata.command;
  if (!COMMANDS.includes(command)) throw new UserError(`${file} records the command '${command}', which stedi retry cannot run again (only ${COMMANDS.join(', ')})`);
  if (rr.refused?.length) {
    throw new UserError(`The last stedi ${command} (${rr.metadata.generated_at}) was refused before any node ran, so no node can be retried; resolve the refusal it printed and run the command again`);
  }
  const ids = [...new Set(rr.results.filter((r) => RETRIED.includes(r.status)).map((r) => r.unique_id))].sort();
  if (ids.length === 0) return undefined;
  const a = rr.args;
  const opts: RunCommandOptions = {
    ...base,
    target: rr.metadata.target,
    ...(a.vars !== undefined ? { vars: a.vars } : {}),
    threads: String(a.threads),
    failFast: a.fail_fast,
    ...(a.allow_shrink ? { allowShrink: true } : {}),
    ...(a.full_refresh ? { fullRefresh: true } : {}),
    ...(a.no_reuse ? { reuse: false } : {}),
    ...(a.warn_error ? { warnError: true } : {}),
    ...(a.event_time_start ? { eventTimeStart: a.event_time_start } : {}),
    ...(a.event_time_end ? { eventTimeEnd: a.event_time_end } : {}),
    ...(a.ingest_threads ? { ingestThreads: String(a.ingest_threads) } : {}),
    ...(a.state ? { state: a.state } : {}),
    ...(a.defer ? { defer: true } : {}),
    retryIds: ids,
  };
  return { command: command as Command, opts, ids };
}

export async function retryCommand(o: GlobalOptions, reporter: Reporter): Promise<number> {
  enterProject(o);
  const loaded = loadProject('.');
  if (!loaded.project) throw new UserError('cannot read stedi_project.yml', loaded.diagnostics);
  const file = path.join(loaded.project.config.target_path, 'run_results.json');
  const rr = readRunResults(file);
  const base: GlobalOptions = { ...(o.quiet ? { quiet: true } : {}), ...(o.logFormat ? { logFormat: o.logFormat } : {}) };
  const planned = retryPlan(rr, file, base);
  if (!planned) {
    const how = rr.success ? 'it succeeded' : 'it did not succeed, but not because of a node (see what it printed)';
    reporter.info(`Nothing to retry: no node of the last stedi ${rr.metadata.command} (${rr.metadata.generated_at}) failed, was skipped or was cancelled; ${how}.`);
    return 0;
  }
  reporter.info(`Retrying the last stedi ${rr.metadata.command} on target ${rr.metadata.target} for the ${planned.ids.length} node${planned.ids.length === 1 ? '' : 's'} that failed, were skipped or were cancelled (and the tests of the retried models)`);
  return runCommand(planned.command, planned.opts, reporter);
}
