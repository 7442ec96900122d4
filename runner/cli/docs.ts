/**
 * `stedi docs generate`: target/docs/index.html (one self-contained page: no network, nothing
 * fetched) and target/docs/lineage.json. Compiles the project for the chosen target (writing the
 * manifest as `stedi compile` does) and, for the SQL tabs, for every other target in memory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { compileForTarget } from '../compiler/for-target.js';
import { formatDiagnostic } from '../core/diagnostics.js';
import { bundleApp } from '../docs/bundle.js';
import { buildDocsData, lineageJson } from '../docs/data.js';
import { renderIndexHtml } from '../docs/html.js';
import type { Reporter } from '../execute/reporter.js';
import type { RunResults } from '../execute/results.js';
import { readRunResults } from '../manifest/read.js';
import { projectLineage } from '../lineage/project.js';
import type { Manifest } from '../manifest/types.js';
import { loadTarget } from '../targets/registry.js';
import { openSession, SQL_JUDGES, writeJson, type GlobalOptions, type Session } from './session.js';

function otherTargets(s: Session, opts: GlobalOptions, reporter: Reporter): Record<string, Manifest> {
  const out: Record<string, Manifest> = {};
  for (const name of Object.keys(s.project.config.targets)) {
    if (name === s.target.name) continue;
    const compiled = compileForTarget(s.project, { target: name, env: process.env, cliVars: opts.vars, judges: SQL_JUDGES });
    if (compiled.manifest) out[name] = compiled.manifest;
    else {
      reporter.warn(`The SQL of target ${name} is left out of the docs: it does not compile`);
      for (const d of [...compiled.configDiagnostics, ...compiled.compileDiagnostics].filter((x) => x.severity === 'error')) reporter.warn(`  ${formatDiagnostic(d)}`);
    }
  }
  return out;
}

/** The results of the last command, through the artifact reader; one that is not readable is named in a warning and left out. */
function lastRunResults(file: string, reporter: Reporter): RunResults | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    return readRunResults(file);
  } catch (e) {
    reporter.warn(`${(e as Error).message}: results left out of the docs`);
    return undefined;
  }
}

/**
 * Published tables built from other inputs than their parents: from the local target's published
 * snapshot (read as a file, no engine), else from what the last build or test of the target found.
 */
async function publishedInconsistenciesOf(s: Session, rr: RunResults | undefined, reporter: Reporter): Promise<{ node: string; other: string; message: string }[]> {
  const runtime = await loadTarget(s.target.type);
  if (runtime.publishedSnapshot) {
    const { publishedInconsistencies } = await import('../execute/inputs.js');
    try {
      const published = await runtime.publishedSnapshot(s.target);
      if (published) return publishedInconsistencies(s.manifest, published).map((p) => ({ node: p.node, other: p.other, message: p.message }));
    } catch (e) {
      reporter.warn(`the published snapshot cannot be read (${(e as Error).message}): the docs do not say whether the published tables agree`);
    }
    return [];
  }
  if (rr?.metadata.target !== s.target.name) return [];
  return (rr.inconsistencies ?? []).map((p) => ({ node: String(p.node), other: String(p.other), message: String(p.message) }));
}

export async function docsGenerate(opts: GlobalOptions, reporter: Reporter): Promise<number> {
  const s = openSession(opts, reporter);
  const manifests = { [s.target.name]: s.manifest, ...otherTargets(s, opts, reporter) };
  const lineage = projectLineage({ nodes: s.manifest.nodes, dialect: s.dialect.name });
  const runResults = lastRunResults(path.join(s.targetPath, 'run_results.json'), reporter);
  const inconsistencies = await publishedInconsistenciesOf(s, runResults, reporter);
  const data = buildDocsData({ manifests, primary: s.target.name, lineage, ...(runResults ? { runResults } : {}), generatedAt: new Date().toISOString(), ...(inconsistencies.length ? { inconsistencies } : {}) });
  const html = renderIndexHtml(data, await bundleApp());
  const dir = path.join(s.targetPath, 'docs');
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `index.html.${process.pid}.tmp`);
  fs.writeFileSync(tmp, html);
  fs.renameSync(tmp, path.join(dir, 'index.html'));
  writeJson(path.join(dir, 'lineage.json'), lineageJson(data));
  const columns = Object.values(lineage.models).flatMap((m) => m.columns);
  const unresolved = columns.filter((c) => c.unresolved.length).length;
  for (const m of Object.values(lineage.models)) if (m.error !== undefined) reporter.warn(`Column lineage of ${s.manifest.nodes[m.node]?.name ?? m.node} is unavailable: ${m.error}`);
  reporter.info(`Wrote ${path.join(dir, 'index.html')} and lineage.json: ${Object.keys(data.nodes).length} nodes, ${columns.length} model columns traced${unresolved ? `, ${unresolved} with an unresolved origin` : ''}${runResults ? `, results of '${runResults.metadata.command}'` : ''}`);
  return 0;
}
