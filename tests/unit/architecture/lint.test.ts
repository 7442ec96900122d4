/**
 * The lint step (`npm run lint`, run by `npm test`) enforces ARCHITECTURE.md's import rules and
 * awaited promises. This proves the configuration catches each kind of breach: the repository's
 * `.oxlintrc.json` is run on a throw-away tree of deliberately wrong files laid out as the
 * runner is, and must name exactly those files and rules — and accept the allowed imports.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../../helpers/stedi.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-lint-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const FILES: Record<string, string> = {
  'runner/compiler/bad-fs.ts': "import fs from 'node:fs';\nexport const x = fs.existsSync('a');\n",
  'runner/graph/bad-os.ts': "import { cpus } from 'os';\nexport const n = cpus().length;\n",
  'runner/dialect/bad-adapter.ts': "import { EngineError } from '../adapters/types.js';\nexport const e = EngineError;\n",
  'runner/adapters/x/bad-cli.ts': "import { main } from '../../cli/main.js';\nexport const m = main;\n",
  'runner/execute/bad-engine.ts': "import { DuckDbAdapter } from '../adapters/duckdb/adapter.js';\nexport const a = DuckDbAdapter;\n",
  'runner/execute/good-types.ts': "import { EngineError } from '../adapters/types.js';\nexport const e = EngineError;\n",
  'runner/execute/unit-test.ts': "import { DuckDbAdapter } from '../adapters/duckdb/adapter.js';\nexport const a = DuckDbAdapter;\n",
  'runner/cli/floating.ts': 'async function later(): Promise<number> { return 1; }\nexport function go(): void { later(); }\nexport function fine(): void { void later(); }\n',
  // only the registry knows the targets: the phases and the CLI ask it, never a target's folder
  'runner/compiler/bad-target.ts': "import { athenaSpec } from '../targets/athena/spec.js';\nexport const s = athenaSpec;\n",
  'runner/project/bad-target.ts': "import { athenaSpec } from '../targets/athena/spec.js';\nexport const s = athenaSpec;\n",
  'runner/execute/bad-target.ts': "import { athenaSpec } from '../targets/athena/spec.js';\nexport const s = athenaSpec;\n",
  'runner/cli/bad-target.ts': "import { runtime } from '../targets/athena/runtime.js';\nexport const r = runtime;\n",
  'runner/cli/good-registry.ts': "import { targetSpec } from '../targets/registry.js';\nexport const s = targetSpec;\n",
  // a target's spec is pure: no Node built-in, no engine (its runtime imports that, on demand)
  'runner/targets/x/spec.ts': "import fs from 'node:fs';\nexport const x = fs.existsSync('a');\n",
  'runner/targets/y/spec.ts': "import { DuckDbAdapter } from '../../adapters/duckdb/adapter.js';\nexport const a = DuckDbAdapter;\n",
  'runner/targets/y/runtime.ts': "import { DuckDbAdapter } from '../../adapters/duckdb/adapter.js';\nexport const a = DuckDbAdapter;\n",
  'runner/targets/registry.ts': 'export function targetSpec(): string { return "x"; }\n',
  'runner/targets/athena/spec.ts': 'export const athenaSpec = {};\n',
  'runner/targets/athena/runtime.ts': 'export const runtime = {};\n',
  'runner/adapters/types.ts': 'export class EngineError extends Error {}\n',
  'runner/adapters/duckdb/adapter.ts': 'export class DuckDbAdapter {}\n',
  'runner/cli/main.ts': 'export function main(): number { return 0; }\n',
  'tsconfig.json': JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', types: [] }, include: ['runner/**/*.ts'] }),
};

describe('the lint step', () => {
  it('names every breach of the import rules and every floating promise, and nothing else', () => {
    for (const [rel, text] of Object.entries(FILES)) {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), text);
    }
    fs.copyFileSync(path.join(REPO, '.oxlintrc.json'), path.join(dir, '.oxlintrc.json'));
    const bin = path.join(REPO, 'node_modules', '.bin', 'oxlint');
    const r = spawnSync(bin, ['--type-aware', '--tsconfig', 'tsconfig.json', '--format', 'json', 'runner'], { cwd: dir, encoding: 'utf8', env: { ...process.env, PATH: `${path.join(REPO, 'node_modules', '.bin')}:${process.env.PATH}` } });
    expect(r.status, r.stderr + r.stdout).toBe(1);
    const out = JSON.parse(r.stdout) as { diagnostics: { code: string; filename: string }[] };
    const found = out.diagnostics.map((d) => `${d.filename} ${d.code}`).sort();
    expect(found).toEqual([
      'runner/adapters/x/bad-cli.ts eslint(no-restricted-imports)',
      'runner/cli/bad-target.ts eslint(no-restricted-imports)',
      'runner/cli/floating.ts typescript(no-floating-promises)',
      'runner/compiler/bad-fs.ts eslint(no-restricted-imports)',
      'runner/compiler/bad-target.ts eslint(no-restricted-imports)',
      'runner/dialect/bad-adapter.ts eslint(no-restricted-imports)',
      'runner/execute/bad-engine.ts eslint(no-restricted-imports)',
      'runner/execute/bad-target.ts eslint(no-restricted-imports)',
      'runner/graph/bad-os.ts eslint(no-restricted-imports)',
      'runner/project/bad-target.ts eslint(no-restricted-imports)',
      'runner/targets/x/spec.ts eslint(no-restricted-imports)',
      'runner/targets/y/spec.ts eslint(no-restricted-imports)',
    ]);
  });
});
