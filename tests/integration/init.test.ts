/**
 * `stedi init` through the real CLI: the new project builds green at once on its own sample
 * landing file (and plans on the athena example target), and nothing is ever overwritten.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectNameFor } from '../../runner/cli/init-skeleton.js';
import { explain, query, stedi } from '../helpers/stedi.js';

const made: string[] = [];
afterAll(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-init-'));
  made.push(d);
  return d;
}

/** Every file below dir with its content, relative paths sorted. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out[path.relative(dir, path.join(e.parentPath, e.name))] = fs.readFileSync(path.join(e.parentPath, e.name), 'utf8');
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

describe('stedi init', () => {
  it('writes a project that stedi build runs green on its sample landing file; the athena example target plans', async () => {
    const parent = tempDir();
    const r = await stedi(parent, ['init', 'Step Counter']);
    expect(r.code, explain(r)).toBe(0);
    const dir = path.join(parent, 'Step Counter');
    expect(r.stdout).toContain("Created the stedi project 'step_counter' in Step Counter/");
    expect(fs.readFileSync(path.join(dir, 'stedi_project.yml'), 'utf8')).toMatch(/^name: step_counter$/m);
    expect(fs.readFileSync(path.join(dir, '.gitignore'), 'utf8').split('\n')).toEqual(expect.arrayContaining(['target/', 'lake/', '.stedi/']));

    const build = await stedi(dir, ['build']);
    expect(build.code, explain(build)).toBe(0);
    expect(build.stdout).toMatch(/Done\. PASS=8 WARN=0 ERROR=0 SKIP=0 TOTAL=8/);
    expect(build.stdout).toContain('landing.events  6 lines read = 6 accepted  [1 file]');
    const rows = await query(dir, 'select kind, count(*)::int as n, min(event_day)::int as day from trusted.events_trusted group by kind order by kind', 'lake/step_counter.duckdb');
    expect(rows).toEqual([{ kind: 'rest', n: 1, day: 19737 }, { kind: 'run', n: 2, day: 19737 }, { kind: 'walk', n: 3, day: 19737 }]);

    const dry = await stedi(dir, ['build', '--target', 'athena', '--dry-run'], { env: { AWS_REGION: 'eu-west-1' } });
    expect(dry.code, explain(dry)).toBe(0);
    expect(dry.stdout).toContain('CREATE TABLE "step_counter"."events_trusted__stedi_');
  }, 120_000);

  it('refuses a folder that holds a project (exit 2, names the file) and changes nothing', async () => {
    const dir = tempDir();
    expect((await stedi(dir, ['init'])).code).toBe(0);
    fs.appendFileSync(path.join(dir, 'models/trusted/events_trusted.sql'), '-- mine\n');
    const before = tree(dir);
    const again = await stedi(dir, ['init']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('stedi_project.yml exists: . already holds a stedi project; nothing was written');
    expect(tree(dir)).toEqual(before);
  });

  it('never overwrites a file of the skeleton (nothing written); keeps an existing .gitignore and adds what it lacks', async () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'macros'));
    fs.writeFileSync(path.join(dir, 'macros/time.sql'), '{# mine #}\n');
    fs.writeFileSync(path.join(dir, '.gitignore'), 'node_modules/\ntarget');
    const r = await stedi(dir, ['init', '.']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('macros/time.sql exists: stedi init never overwrites a file; nothing was written');
    expect(Object.keys(tree(dir))).toEqual(['.gitignore', 'macros/time.sql']);

    fs.rmSync(path.join(dir, 'macros/time.sql'));
    const ok = await stedi(dir, ['init', '--name', 'kept']);
    expect(ok.code, explain(ok)).toBe(0);
    expect(fs.readFileSync(path.join(dir, '.gitignore'), 'utf8')).toBe('node_modules/\ntarget\nlake/\n.stedi/\nlogs/\n');
    expect(ok.stdout).toContain('.gitignore kept, with lake/ .stedi/ logs/ added');

    const bad = await stedi(tempDir(), ['init', '--name', 'Bad-Name']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--name 'Bad-Name' is not a valid project name");
  });

  it('names the project after its folder', () => {
    expect(projectNameFor('Step Counter')).toBe('step_counter');
    expect(projectNameFor('2024-data')).toBe('p_2024_data');
    expect(projectNameFor('---')).toBe('my_project');
  });
});
