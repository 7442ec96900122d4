import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProject } from '../../../runner/project/load.js';
import { baseFiles } from './fixtures.js';

const dirs: string[] = [];

function makeProject(files: { path: string; text: string }[]): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-load-'));
  dirs.push(root);
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(root, f.path)), { recursive: true });
    fs.writeFileSync(path.join(root, f.path), f.text);
  }
  return root;
}

afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('loadProject', () => {
  it('reads the configured folders, skipping dot-files and non-CSV seed files', () => {
    const root = makeProject([
      ...baseFiles(),
      { path: 'models/.scratch.sql', text: 'select {{' },
      { path: 'models/.git/x.yml', text: 'bad: [' },
      { path: 'seeds/landing/customer/landing/customer-1.json', text: '{"email": "a@b.c"}\n' },
      { path: 'seeds/landing/readme.yml', text: 'not: [a property file' },
      { path: 'seeds/big.csv', text: 'id,value\n' + '1,x\n'.repeat(50_000) },
      { path: 'target/compiled.sql', text: 'select 1' },
    ]);
    const r = loadProject(root);
    expect(r.diagnostics).toEqual([]);
    const p = r.project!;
    expect(p.models.map((m) => m.path)).toEqual(['models/curated/customer_curated.sql', 'models/trusted/customer_trusted.sql']);
    expect(p.macros.map((m) => m.path)).toEqual(['macros/mask.sql']);
    expect(p.seeds.map((s) => [s.path, s.name, s.header])).toEqual([
      ['seeds/big.csv', 'big', ['id', 'value']],
      ['seeds/countries.csv', 'countries', ['code', 'name']],
    ]);
    expect(p.modelProps.map((m) => m.name)).toEqual(['customer_trusted']);
    expect(p.sources.map((s) => s.name)).toEqual(['landing']);
  });

  it("records the SHA-256 of a seed's whole file, beyond the head it reads", () => {
    const big = 'id,value\n' + '1,x\n'.repeat(50_000);
    const root = makeProject([...baseFiles(), { path: 'seeds/big.csv', text: big }]);
    const seed = () => loadProject(root).project!.seeds.find((x) => x.name === 'big')!;
    expect(seed().checksum).toBe(createHash('sha256').update(big).digest('hex'));
    // a change at the very end, far past the header, changes it
    fs.appendFileSync(path.join(root, 'seeds/big.csv'), '2,y\n');
    expect(seed().checksum).toBe(createHash('sha256').update(`${big}2,y\n`).digest('hex'));
  });

  it('follows configured paths and tolerates missing folders', () => {
    const root = makeProject([
      { path: 'stedi_project.yml', text: 'name: p\nmodel-paths: [sql]\ndefault-target: dev\ntargets:\n  dev: { type: duckdb }\n' },
      { path: 'sql/a.sql', text: 'select 1' },
      { path: 'models/ignored.sql', text: 'select 2' },
    ]);
    const r = loadProject(root);
    expect(r.diagnostics).toEqual([]);
    expect(r.project!.models.map((m) => m.path)).toEqual(['sql/a.sql']);
  });

  it('E_NO_PROJECT_FILE for a folder without stedi_project.yml', () => {
    const root = makeProject([{ path: 'models/a.sql', text: 'select 1' }]);
    expect(loadProject(root).diagnostics).toMatchObject([{ code: 'E_NO_PROJECT_FILE' }]);
  });

  it('returns every problem of the load', () => {
    const root = makeProject([
      ...baseFiles(),
      { path: 'models/a.yml', text: 'models:\n  - name: x\n    colums: []\n' },
      { path: 'models/b.yml', text: 'sources: [\n' },
    ]);
    const r = loadProject(root);
    expect(r.project).toBeUndefined();
    expect(r.diagnostics.map((d) => [d.code, d.file, d.line])).toEqual([
      ['E_UNKNOWN_KEY', 'models/a.yml', 3],
      ['E_YAML_PARSE', 'models/b.yml', 2],
    ]);
  });
});
