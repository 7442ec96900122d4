/**
 * The STEDI microbatch models equal a whole build after every delivery. A seeded random sequence
 * of landing deliveries — new phone and device files, late readings of earlier hours, consent
 * withdrawn, given and moved, a customer record changed away, a serial that becomes ambiguous,
 * duplicate deliveries, a changed reading file — is built incrementally after each step in one
 * lake; a second lake is built from nothing on the same landing files. Every published table
 * (landing, rejects, trusted, curated, reconciliation) must be equal row for row, under both
 * consent policies. Real CLI, real DuckDB, real files. A failure names its seed, policy and step.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { copyProjectInto } from '../helpers/stedi.js';

const REPO = path.resolve(__dirname, '../..');
const BIN = path.join(REPO, 'bin/stedi.js');
const roots: string[] = [];
afterAll(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

function stedi(cwd: string, args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, STEDI_SUBJECT_KEY: 'microbatch-test-key-0123456789abcdef' };
  for (const k of ['STEDI_TARGET', 'STEDI_VARS', 'STEDI_THREADS']) delete env[k];
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const TABLES = [
  'landing.customer', 'landing.accelerometer', 'landing.step_trainer', 'landing.customer__rejects', 'landing.accelerometer__rejects', 'landing.step_trainer__rejects',
  'trusted.customer_trusted', 'trusted.accelerometer_trusted', 'trusted.step_trainer_trusted', 'curated.customer_curated', 'curated.device_owners', 'curated.machine_learning_curated', 'audit.reconciliation',
];

async function contents(project: string): Promise<Record<string, string[]>> {
  const instance = await DuckDBInstance.create(path.join(project, 'lake', 'stedi.duckdb'), { access_mode: 'READ_ONLY', file_search_path: project });
  const c = await instance.connect();
  try {
    const out: Record<string, string[]> = {};
    for (const t of TABLES) out[t] = (await c.runAndReadAll(`SELECT * FROM ${t} ORDER BY ALL`)).getRowObjectsJson().map((r) => JSON.stringify(r));
    return out;
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

/** mulberry32 */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)), pick: <T>(xs: T[]) => xs[Math.floor(next() * xs.length)]! };
}

const HOUR = 3_600_000;
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % HOUR);

interface Person {
  email: string;
  serial: string;
  updated: number;
}

/** The landing zone of one sequence: every file written, and the people it knows. */
class Landing {
  readonly people: Person[] = [];
  private n = 0;
  constructor(readonly root: string, private readonly r: ReturnType<typeof rng>) {
    for (const e of ['customer', 'accelerometer', 'step_trainer']) fs.mkdirSync(path.join(root, e, 'landing'), { recursive: true });
  }

  file(entity: string, lines: string[]): string {
    const f = path.join(this.root, entity, 'landing', `${entity}-${String(++this.n).padStart(4, '0')}.json`);
    fs.writeFileSync(f, lines.join('\n') + '\n');
    return f;
  }

  files(entity: string): string[] {
    const d = path.join(this.root, entity, 'landing');
    return fs.readdirSync(d).sort().map((f) => path.join(d, f));
  }

  record(p: Person, consent: number | null | undefined, emailAs = p.email): string {
    p.updated += 1000 + this.r.int(0, 5000);
    const rec: Record<string, unknown> = { customerName: `Name ${p.serial.slice(-3)}`, email: emailAs, phone: '5550000000', birthDay: '1990-01-01', serialNumber: p.serial, registrationDate: T0 - 10 * HOUR, lastUpdateDate: p.updated };
    if (consent !== undefined) rec.shareWithResearchAsOfDate = consent;
    rec.shareWithPublicAsOfDate = null;
    rec.shareWithFriendsAsOfDate = null;
    return JSON.stringify(rec);
  }

  /** Phone and device readings of one person at `count` instants of hour `h`. */
  session(p: Person, h: number, count: number, phone = true, device = true): void {
    const times = Array.from({ length: count }, () => T0 + h * HOUR + this.r.int(0, HOUR - 1));
    if (phone) this.file('accelerometer', times.flatMap((t) => [JSON.stringify({ user: this.r.next() < 0.2 ? ` ${p.email.toUpperCase()}` : p.email, timestamp: t, x: this.r.int(-2, 2), y: 0.5, z: -1 })]));
    if (device) this.file('step_trainer', times.map((t) => JSON.stringify({ sensorReadingTime: t, serialNumber: p.serial, distanceFromObject: this.r.int(100, 300) })));
  }
}

type Step = { name: string; run: () => void };

function steps(l: Landing, r: ReturnType<typeof rng>): Step[] {
  const person = () => r.pick(l.people);
  const hour = () => r.int(0, 5);
  const newPerson = (): Person => {
    const i = l.people.length;
    const p = { email: `person${i}@example.com`, serial: `serial-${String(i).padStart(4, '0')}`, updated: T0 };
    l.people.push(p);
    return p;
  };
  return [
    { name: 'new customer with consent, and readings', run: () => { const p = newPerson(); l.file('customer', [l.record(p, T0 + r.int(-3, 3) * HOUR)]); l.session(p, hour(), r.int(1, 4)); } },
    { name: 'new readings (a new hour)', run: () => l.session(person(), r.int(4, 7), r.int(1, 5)) },
    { name: 'late readings of an earlier hour', run: () => l.session(person(), r.int(0, 2), r.int(1, 3)) },
    { name: 'phone readings only', run: () => l.session(person(), hour(), r.int(1, 3), true, false) },
    { name: 'readings of someone not yet a customer', run: () => { const p = newPerson(); l.session(p, hour(), r.int(1, 3)); } },
    { name: 'that someone registers with consent', run: () => { const p = l.people[l.people.length - 1]!; l.file('customer', [l.record(p, T0 - HOUR)]); } },
    { name: 'consent withdrawn', run: () => { const p = person(); l.file('customer', [l.record(p, r.next() < 0.5 ? null : undefined, r.next() < 0.3 ? p.email.toUpperCase() : p.email)]); } },
    { name: 'consent given', run: () => { const p = person(); l.file('customer', [l.record(p, T0 + r.int(-2, 4) * HOUR)]); } },
    { name: 'consent date moved', run: () => { const p = person(); l.file('customer', [l.record(p, T0 + r.int(0, 6) * HOUR + r.int(0, HOUR))]); } },
    { name: 'a serial becomes ambiguous', run: () => { const p = person(); const q = newPerson(); q.serial = p.serial; l.file('customer', [l.record(q, r.next() < 0.5 ? T0 : undefined)]); } },
    { name: 'a duplicate delivery', run: () => { const all = [...l.files('accelerometer'), ...l.files('step_trainer')]; if (!all.length) return; const f = r.pick(all); fs.copyFileSync(f, f.replace(/\.json$/, '-again.json')); } },
    { name: 'a reading file changed', run: () => { const all = [...l.files('accelerometer'), ...l.files('step_trainer')].filter((f) => !f.includes('again')); if (!all.length) return; const f = r.pick(all); const lines = fs.readFileSync(f, 'utf8').trimEnd().split('\n'); fs.writeFileSync(f, (lines.length > 1 ? lines.slice(1) : lines.map((x) => x.replace(/"x":-?\d+/, '"x":9'))).join('\n') + '\n'); } },
    { name: 'a customer file changed (its record gone)', run: () => { const all = l.files('customer'); if (all.length < 2) return; const f = r.pick(all); fs.writeFileSync(f, JSON.stringify({ customerName: 'Someone Else', email: `gone${all.length}@example.com`, phone: '1', birthDay: '1990-01-01', serialNumber: 'serial-none', registrationDate: T0, lastUpdateDate: T0 }) + '\n'); } },
  ];
}

function project(landing: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-microbatch-'));
  roots.push(dir);
  copyProjectInto(dir);
  void landing;
  return dir;
}

describe('STEDI microbatch models after a random sequence of deliveries', () => {
  for (const [seed, policy] of [[11, 'as_of_date'], [12, 'any_time']] as const) {
    it(`equal a whole build after every step (seed ${seed}, ${policy})`, async () => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-microbatch-landing-'));
      roots.push(root);
      const r = rng(seed);
      const l = new Landing(path.join(root, 'landing'), r);
      const vars = ['--vars', JSON.stringify({ landing_root: l.root, consent_policy: policy })];
      const incremental = project(l.root);
      const whole = project(l.root);
      // a start: three customers with readings
      for (let i = 0; i < 3; i++) steps(l, r)[0]!.run();
      const all = steps(l, r);
      const done: string[] = [];
      const seen = new Set<string>();
      for (let k = 0; k < 14; k++) {
        const s = k === 0 ? all[0]! : r.pick(all);
        s.run();
        done.push(s.name);
        const a = stedi(incremental, ['build', ...vars]);
        fs.rmSync(path.join(whole, 'lake'), { recursive: true, force: true });
        const b = stedi(whole, ['build', ...vars]);
        const where = `seed ${seed}, ${policy}, after: ${done.join(' → ')}`;
        expect(a.code, `${where}\n${a.out}${a.err}`).toBe(0);
        expect(b.code, `${where}\n${b.out}${b.err}`).toBe(0);
        const results = (JSON.parse(fs.readFileSync(path.join(incremental, 'target', 'run_results.json'), 'utf8')) as { results: { unique_id: string; message: string }[] }).results;
        const messages = results.map((x) => x.message).join('\n');
        // every input of the three models is keyed or read by interval: after the first build none is rebuilt whole
        if (k > 0) for (const m of ['accelerometer_trusted', 'step_trainer_trusted', 'machine_learning_curated']) expect(results.find((x) => x.unique_id === `model.stedi.${m}`)?.message, `${m}, ${where}`).not.toContain('built whole');
        for (const m of messages.matchAll(/(\d+ intervals? rebuilt|keys? restated|built whole: [^;)]*|no input changed)/g)) seen.add(m[1]!.replace(/^\d+ /, ''));
        const [x, y] = [await contents(incremental), await contents(whole)];
        for (const t of TABLES) expect(x[t], `${t}, ${where}`).toEqual(y[t]);
      }
      // the sequence exercised the incremental paths, not only whole rebuilds
      expect([...seen].some((s) => /rebuilt/.test(s)), [...seen].join(', ')).toBe(true);
      expect([...seen].some((s) => /restated/.test(s)), [...seen].join(', ')).toBe(true);
    }, 600_000);
  }
});
