/**
 * Compile benchmark: a generated project of 1,000 models and 3,000 tests, compiled in-process
 * (load + compile, median of several runs) and end to end (`stedi compile` as a process),
 * side by side with an empty `node` start measured in the same run.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { compileForTarget } from '../runner/compiler/for-target.js';
import { parseProject } from '../runner/project/parse.js';
import { syntheticProject } from './generate-project.js';

const MODELS = 1000;
const RUNS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeProcess(cmd: string, args: string[], cwd: string): number {
  const t0 = performance.now();
  execFileSync(cmd, args, { cwd, stdio: 'ignore' });
  return (performance.now() - t0) / 1000;
}

export function compileBench(bin: string): Record<string, number> {
  const files = syntheticProject(MODELS);
  const inProcess: number[] = [];
  let tests = 0;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const parsed = parseProject(files);
    if (!parsed.project) throw new Error(JSON.stringify(parsed.diagnostics.slice(0, 3)));
    const out = compileForTarget(parsed.project);
    inProcess.push((performance.now() - t0) / 1000);
    if (!out.manifest) throw new Error(JSON.stringify([...out.configDiagnostics, ...out.compileDiagnostics].slice(0, 3)));
    tests = Object.values(out.manifest.nodes).filter((n) => n.resource_type === 'test').length;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-bench-'));
  for (const f of files) {
    fs.mkdirSync(path.join(dir, path.dirname(f.path)), { recursive: true });
    fs.writeFileSync(path.join(dir, f.path), f.text);
  }
  const cli: number[] = [];
  const empty: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    empty.push(timeProcess(process.execPath, ['-e', ''], dir));
    cli.push(timeProcess(process.execPath, [bin, 'compile', '--quiet'], dir));
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    models: MODELS,
    tests,
    compile_in_process_s: median(inProcess),
    stedi_compile_process_s: median(cli),
    empty_node_start_s: median(empty),
    cli_to_empty_node_ratio: median(cli) / median(empty),
  };
}
