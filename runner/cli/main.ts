/**
 * The `stedi` command line, in the manner of dbt. Exit codes: 0 success, 1 a node failed,
 * 2 a usage or project error (or a bug in stedi, reported as an internal error).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { EngineError } from '../adapters/types.js';
import { formatDiagnostic, UserError } from '../core/diagnostics.js';
import { STEDI_VERSION } from '../compiler/compile.js';
import { createReporter, type Reporter } from '../execute/reporter.js';
import { loadProject } from '../project/load.js';
import { runCommand, selectNodes, type RunCommandOptions } from './commands.js';
import { addGenerateCommand } from './generate.js';
import { initCommand } from './init.js';
import { prepareNodeSupport } from './node-support.js';
import { recoverCommand } from './recover.js';
import { showCommand, type ShowOptions } from './show.js';
import { loadState } from './state.js';
import { enterProject, openSession, type GlobalOptions } from './session.js';

type Opts = GlobalOptions & RunCommandOptions & Record<string, unknown>;

function reporterFor(o: GlobalOptions): Reporter {
  return createReporter({ format: o.logFormat ?? 'text', quiet: !!o.quiet });
}

function common(cmd: Command, withSelection = true): Command {
  cmd
    .option('--project-dir <dir>', 'folder holding stedi_project.yml (default: current folder)')
    .option('-t, --target <name>', 'target from stedi_project.yml (default: STEDI_TARGET or default-target)')
    .option('--vars <yaml>', "YAML/JSON mapping overriding project vars, e.g. '{consent_policy: any_time}'")
    .option('-q, --quiet', 'print only errors and the summary')
    .option('--no-compile-cache', 'compile the project again even when nothing it is compiled from changed (target/compile_cache.json is neither read nor written)')
    .addOption(new Option('--log-format <format>', 'text or json lines').choices(['text', 'json']).default('text'));
  if (withSelection) {
    cmd
      .option('-s, --select <selector...>', "nodes to include (dbt grammar: name, +name, name+, tag:x, path:…, resource_type:…, config.k:v)")
      .option('--exclude <selector...>', 'nodes to leave out (same grammar)')
      .option('--state <dir>', 'target folder of an earlier run (manifest.json, run_results.json) for the state: and result: selector methods, e.g. -s state:modified+');
  }
  return cmd;
}

function executing(cmd: Command): Command {
  return common(cmd)
    .option('--threads <n>', 'nodes to run at once (default: the target\'s threads)')
    .option('-x, --fail-fast', 'stop at the first failure')
    .option('--warn-error', 'treat warnings as errors: a warn-severity test that finds rows fails (and blocks the table it gates), a source with landing warnings (quarantined lines, unknown keys, empty or duplicate files) is not published; exit 1')
    .option('--allow-shrink', 'publish tables even when they would become empty or lose more rows than their max_row_drop (a warning each; this run only)')
    .option('--full-refresh', 'sources: read every landing file again, not only the new and changed ones; incremental models: rebuild whole (for the selected nodes)')
    .option('--event-time-start <time>', 'microbatch models: also rebuild the intervals from this UTC date or time (e.g. 2022-06-18 or 2022-06-18T14:00)')
    .option('--event-time-end <time>', 'microbatch models: ... up to this UTC date or time (exclusive)')
    .option('--dry-run', 'athena: print every AWS call and statement in order without sending any (no credentials needed)')
    .option('--defer', 'with --state: read every table that is not selected from what is published on this target, and stop before anything runs when one is not published');
}

export function buildProgram(setCode: (code: number) => void, out: (s: string) => void): Command {
  const program = new Command('stedi')
    .description('The STEDI lakehouse runner: compile, test and build the zone tables on DuckDB or Athena.')
    .version(STEDI_VERSION)
    .showHelpAfterError()
    .exitOverride();
  const act = (fn: (o: Opts, r: Reporter) => Promise<number> | number) => async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    const o = cmd.opts() as Opts;
    // relative to where stedi was started, before --project-dir is entered
    if (typeof o.state === 'string') o.state = path.resolve(o.state);
    setCode(await fn(o, reporterFor(o)));
  };
  for (const [name, desc] of [
    ['build', 'seeds, models and tests in DAG order; each table is published only after its blocking tests pass'],
    ['run', 'materialize models, each gated by its error-severity tests; warn-severity tests, tests across models and unit tests are not run (stedi build or stedi test runs them)'],
    ['test', 'run data tests and unit tests against what is published'],
    ['seed', 'load CSV seeds'],
  ] as const) {
    const cmd = executing(program.command(name).description(desc));
    // the commands that may ingest landing sources (test only reads what is published)
    if (name === 'build' || name === 'run') cmd.option('--empty', 'build every model on zero input rows (each source an empty table of its declared columns) in a throw-away in-memory database, to check SQL and schemas cheaply; tests are checked, not judged; nothing is read from or published to the target (duckdb only)');
    if (name !== 'test') cmd.option('--ingest-threads <n>', "threads that classify landing lines (default: the target's ingest_threads, else one per core; 1: none started)");
    if (name !== 'test') cmd.option('--no-reuse', 'build and publish every selected model and seed and run every test, even those whose inputs did not change since their published version or recorded result (a table rebuilt to the same rows gets a new version too)');
    cmd.action(act((o, r) => runCommand(name, o, r)));
  }
  common(program.command('compile').description('render every node and write target/manifest.json')).action(
    act((o, r) => {
      const state = o.state ? loadState(o.state) : undefined;
      const s = openSession(o, r);
      for (const d of s.manifest.diagnostics) r.warn(formatDiagnostic(d));
      const ids = o.select ? selectNodes(s, o, r, state) : undefined;
      for (const id of ids ?? []) {
        const n = s.manifest.nodes[id];
        if (n && 'compiled_code' in n && n.resource_type === 'model') out(`-- ${n.name} (${n.original_file_path})\n${n.compiled_code}\n`);
      }
      const count = (t: string) => Object.values(s.manifest.nodes).filter((n) => n.resource_type === t).length;
      r.info(`Compiled ${count('model')} models, ${count('test')} data tests, ${count('unit_test')} unit tests, ${count('source')} sources, ${count('seed')} seeds for target ${s.target.name} into ${s.targetPath}/manifest.json${s.compileCached ? ' (from the compile cache: nothing it is compiled from changed)' : ''}`);
      return 0;
    }),
  );
  common(program.command('ls').alias('list').description('list the selected nodes'))
    .addOption(new Option('--resource-type <type...>', 'only these types').choices(['model', 'seed', 'source', 'test', 'unit_test']))
    .addOption(new Option('--output <format>', 'name, id, path or json').choices(['name', 'id', 'path', 'json']).default('id'))
    .action(
      act((o, r) => {
        const state = o.state ? loadState(o.state) : undefined;
        const s = openSession(o, { ...r, warn: () => undefined });
        const types = o.resourceType as string[] | undefined;
        const ids = [...selectNodes(s, o, r, state)].sort().filter((id) => !types || types.includes(s.manifest.nodes[id]!.resource_type));
        for (const id of ids) {
          const n = s.manifest.nodes[id]!;
          const fmt = o.output as string;
          out(fmt === 'json' ? JSON.stringify({ unique_id: id, name: n.name, resource_type: n.resource_type, original_file_path: n.original_file_path, tags: n.tags }) : fmt === 'name' ? n.name : fmt === 'path' ? n.original_file_path : id);
        }
        return 0;
      }),
    );
  common(program.command('show').description('preview rows of a model or of inline SQL'))
    .option('--inline <sql>', 'SQL to run; may use ref() and source()')
    .option('--limit <n>', 'rows to show', '10')
    .option('--unmask', 'show the values of columns that hold personal data (masked by default)')
    .addOption(new Option('--output <format>', 'table or json').choices(['table', 'json']).default('table'))
    .action(act((o, r) => showCommand(o as unknown as ShowOptions, r, out)));
  const source = program.command('source').description('landing sources');
  common(source.command('freshness').description("how old each landing source's newest file and newest event time are, against its freshness: thresholds; writes target/sources.json"))
    .option('--warn-error', 'a source over warn_after fails the command too (exit 1)')
    .option('-o, --output <file>', 'where to write the results (default: target/sources.json)')
    .action(act(async (o, r) => (await import('./freshness.js')).sourceFreshness(o as never, r)));
  const docs = program.command('docs').description('documentation site with column-level lineage and PII tracing');
  common(docs.command('generate').description('write target/docs/index.html (self-contained, no network) and target/docs/lineage.json'), false).action(
    // imported on demand: the site bundler (esbuild) is only needed here
    act(async (o, r) => (await import('./docs.js')).docsGenerate(o, r)),
  );
  common(docs.command('serve').description('serve target/docs/ over local HTTP (generated first if missing); Ctrl-C stops it'), false)
    .option('--port <n>', 'port to listen on (0: any free port)', '8080')
    .option('--host <address>', 'address to listen on (the loopback address by default: only this machine can connect)', '127.0.0.1')
    .action(act(async (o, r) => (await import('./docs-serve.js')).docsServe(o as never, r)));
  program
    .command('retry')
    .description('run the last build, run, test or seed again (its target, vars and options, from target/run_results.json) for the nodes that failed, were skipped or were cancelled, and the tests of the retried models; says so when there is nothing to retry')
    .option('--project-dir <dir>', 'folder holding stedi_project.yml (default: current folder)')
    .option('-q, --quiet', 'print only errors and the summary')
    .addOption(new Option('--log-format <format>', 'text or json lines').choices(['text', 'json']).default('text'))
    .action(act(async (o, r) => (await import('./retry.js')).retryCommand(o, r)));
  common(program.command('clean').description('delete the folders listed in clean-targets'), false).action(
    act((o, r) => {
      enterProject(o);
      const loaded = loadProject('.');
      if (!loaded.project) throw new UserError('cannot read stedi_project.yml', loaded.diagnostics);
      for (const t of loaded.project.config.clean_targets) {
        if (t.startsWith('/') || t.split('/').includes('..')) throw new UserError(`clean-targets entry '${t}' must be a folder inside the project`);
        fs.rmSync(t, { recursive: true, force: true });
        r.info(`Removed ${t}/`);
      }
      return 0;
    }),
  );
  common(program.command('recover').description('rebuild a damaged local catalog from the record of what is published (the data files are kept)'), false).action(
    act((o, r) => recoverCommand(o, r)),
  );
  common(program.command('forget').description('erase people from every zone (landing files, tables, older versions, target/) with a receipt in the erasure log'), false)
    .option('--email <email...>', 'an email to forget (any spelling: matched in canonical form); repeatable')
    .option('--emails-file <file>', 'a file of emails to forget, one per line')
    .option('--dry-run', 'print what would be removed (counts per file and table, no identifier) and change nothing')
    .option('--ingest-threads <n>', "threads that classify landing lines in the rebuild (default: the target's ingest_threads)")
    .action(act(async (o, r) => (await import('./forget.js')).forgetCommand(o as never, r)));
  program
    .command('debug')
    .description('check the setup: versions, the project file, the target, and what a build needs from it (duckdb: lake folder, catalog; athena: credentials, workgroup, Glue database); the pseudonymisation key by its fingerprint. Exit 1 when a check fails')
    .option('--project-dir <dir>', 'folder holding stedi_project.yml (default: current folder)')
    .option('-t, --target <name>', 'target from stedi_project.yml (default: STEDI_TARGET or default-target)')
    .action(act(async (o, r) => (await import('./debug.js')).debugCommand(o, r, out)));
  program
    .command('init')
    .description('write a new project into a folder (default: the current one): a sample landing source, a model, tests, a seed, a local and an athena target; never overwrites a file')
    .argument('[dir]', 'folder of the new project (created if missing)')
    .option('--name <name>', 'project name (default: from the folder name)')
    .option('-q, --quiet', 'print only errors')
    .action((dir: string | undefined, o: { name?: string; quiet?: boolean }) => setCode(initCommand(dir, o, reporterFor(o))));
  addGenerateCommand(program, setCode, out);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  // `stedi ls | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
  });
  const out = (s: string) => process.stdout.write(`${s}\n`);
  // before any AWS client exists: the SDK's 9-line Node.js notice becomes one line of stedi's
  prepareNodeSupport(process.env, process.version, (line) => process.stderr.write(`${line}\n`));
  const program = buildProgram((c) => (code = c), out);
  try {
    await program.parseAsync(argv);
    return code;
  } catch (e) {
    const err = e as { code?: string; exitCode?: number };
    if (typeof err.code === 'string' && err.code.startsWith('commander.')) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
    }
    if (e instanceof UserError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    if (e instanceof EngineError) {
      process.stderr.write(`${e.message}\n`);
      return 1;
    }
    process.stderr.write(`internal error (a bug in stedi, please report it): ${(e as Error).stack ?? String(e)}\n`);
    return 2;
  }
}
