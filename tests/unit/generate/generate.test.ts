/**
 * The landing-data generator: same bytes for the same seed, the structure of the public STEDI
 * data (shared timestamps between a customer's device and phone, several phone readings per
 * timestamp, consent shares, readings before consent, timestamps shared across customers), the
 * defects of messy deliveries at the requested rate, and the file-size bound.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { optionsFromCli, parseBytes, parseCount, type GenerateCliOptions } from '../../../runner/cli/generate.js';
import { UserError } from '../../../runner/core/diagnostics.js';
import { generateLanding, type GenerateSummary } from '../../../runner/generate/generate.js';
import { DEFAULT_PROFILE, DEFAULTS, ENTITIES, type Entity, type GenerateOptions } from '../../../runner/generate/options.js';
import { canonicalEmail } from '../../helpers/identity.js';

const made: string[] = [];
afterAll(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

function gen(over: Partial<GenerateOptions>): { dir: string; summary: GenerateSummary } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-generate-'));
  made.push(dir);
  const summary = generateLanding({ ...DEFAULTS, customers: 600, ...over }, dir);
  return { dir, summary };
}

/** Every file under the landing root: relative path → sha256. */
function digest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = path.join(e.parentPath, e.name);
    out[path.relative(dir, p)] = createHash('sha256').update(fs.readFileSync(p)).digest('hex');
  }
  return out;
}

function files(dir: string, e: Entity): string[] {
  const d = path.join(dir, e, 'landing');
  return fs.readdirSync(d).sort().map((f) => path.join(d, f));
}

type Row = Record<string, unknown>;

/** The records of an entity, parsed leniently (BOM, CRLF, trailing comma); cut-off lines are counted apart. */
function records(dir: string, e: Entity): { rows: Row[]; broken: number } {
  const rows: Row[] = [];
  let broken = 0;
  for (const f of files(dir, e)) {
    if (!f.endsWith('.json')) continue;
    for (const raw of fs.readFileSync(f, 'utf8').replace(/^\uFEFF/, '').split('\n')) {
      const line = raw.replace(/\r$/, '').replace(/,$/, '');
      if (!line.trim()) continue;
      try {
        rows.push(JSON.parse(line) as Row);
      } catch {
        broken++;
      }
    }
  }
  return { rows, broken };
}

function groupBy<T>(xs: T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const list = m.get(k);
    if (list) list.push(x);
    else m.set(k, [x]);
  }
  return m;
}

describe('determinism', () => {
  it('writes the same bytes for the same options and seed, and other bytes for another seed', () => {
    const a = gen({ seed: 7, defectRate: 0.01 });
    const b = gen({ seed: 7, defectRate: 0.01 });
    const c = gen({ seed: 8, defectRate: 0.01 });
    expect(Object.keys(digest(a.dir)).length).toBeGreaterThan(12);
    expect(digest(b.dir)).toEqual(digest(a.dir));
    const other = digest(c.dir);
    const same = Object.entries(digest(a.dir)).filter(([f, h]) => other[f] === h && !f.includes('_SUCCESS') && !f.endsWith('.txt') && !f.endsWith('.log') && !f.includes('DS_Store'));
    expect(same.filter(([f]) => f.endsWith('.json') && fs.statSync(path.join(a.dir, f)).size > 0)).toEqual([]);
  });

  it('keeps the clean records of a customer whatever the file layout', () => {
    const a = gen({ seed: 3, maxFileBytes: 256 * 1024, minFiles: 1 });
    const b = gen({ seed: 3, minFiles: 1 });
    expect(files(a.dir, 'accelerometer').length).toBeGreaterThan(files(b.dir, 'accelerometer').length);
    for (const e of ENTITIES) expect(records(a.dir, e).rows).toEqual(records(b.dir, e).rows);
  });
});

describe('the structure of the public STEDI data', () => {
  const { dir, summary } = gen({ customers: 2000, seed: 11 });
  const customers = records(dir, 'customer').rows;
  const phone = records(dir, 'accelerometer').rows;
  const device = records(dir, 'step_trainer').rows;

  it('gives each customer device readings and phone readings at the same milliseconds', () => {
    const serialOf = new Map(customers.filter((c) => c.email).map((c) => [String(c.email), String(c.serialNumber)]));
    const deviceTimes = groupBy(device, (d) => String(d.serialNumber));
    let both = 0;
    for (const [user, readings] of groupBy(phone, (p) => String(p.user))) {
      const serial = serialOf.get(user);
      const times = serial ? deviceTimes.get(serial) : undefined;
      if (!times) continue;
      both++;
      const t = new Set(times.map((d) => Number(d.sensorReadingTime)));
      for (const r of readings) expect(t.has(Number(r.timestamp))).toBe(true);
      expect(new Set(readings.map((r) => Number(r.timestamp))).size).toBe(t.size);
    }
    expect(both).toBeGreaterThan(1900);
  });

  it('has one to three phone readings per timestamp, about 2.8 on average, and about 85 per customer', () => {
    const per = [...groupBy(phone, (p) => `${String(p.user)}|${String(p.timestamp)}`).values()].map((g) => g.length);
    expect(Math.max(...per)).toBe(3);
    expect(Math.min(...per)).toBe(1);
    const mean = per.reduce((a, b) => a + b, 0) / per.length;
    expect(mean).toBeGreaterThan(2.7);
    expect(mean).toBeLessThan(2.95);
    expect(phone.length / 2000).toBeGreaterThan(80);
    expect(phone.length / 2000).toBeLessThan(90);
  });

  it('gives research consent to about the requested share, and the others no key or a null', () => {
    const consenting = customers.filter((c) => typeof c.shareWithResearchAsOfDate === 'number').length;
    expect(consenting / customers.length).toBeGreaterThan(0.45);
    expect(consenting / customers.length).toBeLessThan(0.55);
    const nulls = customers.filter((c) => c.shareWithResearchAsOfDate === null).length;
    const missing = customers.filter((c) => !('shareWithResearchAsOfDate' in c)).length;
    expect(nulls).toBeGreaterThan(300);
    expect(missing).toBeGreaterThan(300);
    const low = gen({ customers: 2000, consentShare: 0.2 });
    const share = records(low.dir, 'customer').rows.filter((c) => typeof c.shareWithResearchAsOfDate === 'number').length / 2000;
    expect(share).toBeGreaterThan(0.16);
    expect(share).toBeLessThan(0.24);
  });

  it('has readings taken before the consent date, and consenting customers with no reading after it', () => {
    const consent = new Map(customers.filter((c) => typeof c.shareWithResearchAsOfDate === 'number').map((c) => [String(c.email), Number(c.shareWithResearchAsOfDate)]));
    const before = phone.filter((p) => consent.has(String(p.user)) && Number(p.timestamp) < consent.get(String(p.user))!).length;
    expect(before).toBeGreaterThan(0);
    expect(summary.expected.rules.as_of_date.accelerometer.before_consent).toBe(before);
    expect(summary.expected.rules.as_of_date.customer.no_accelerometer_data).toBeGreaterThan(0);
  });

  it('has milliseconds at which several customers read', () => {
    const users = groupBy(phone, (p) => String(p.timestamp));
    const shared = [...users.values()].filter((g) => new Set(g.map((p) => p.user)).size > 1).length;
    expect(shared / users.size).toBeGreaterThan(0.02);
    expect(shared / users.size).toBeLessThan(0.15);
  });

  it('has the structural edge cases: unregistered users, records without email, devices without phone readings', () => {
    const emails = new Set(customers.map((c) => c.email));
    expect(phone.some((p) => !emails.has(p.user))).toBe(true);
    expect(summary.expected.rules.as_of_date.step_trainer.unknown_device).toBeGreaterThan(0);
    expect(summary.expected.rules.as_of_date.step_trainer.no_accelerometer_data).toBeGreaterThan(0);
    expect(summary.entities.customer.lines).toBe(customers.length);
    expect(summary.expected.landing).toEqual({ customer: customers.length, accelerometer: phone.length, step_trainer: device.length });
  });

  it('writes clean files without a defect at rate 0', () => {
    for (const e of ENTITIES) {
      expect(records(dir, e).broken).toBe(0);
      for (const f of files(dir, e)) {
        expect(f.endsWith('.json')).toBe(true);
        const text = fs.readFileSync(f, 'utf8');
        expect(text.length).toBeGreaterThan(0);
        expect(text).not.toMatch(/\uFEFF|\r|,\n|timeStamp|"(registrationDate|lastUpdateDate|share\w+|timestamp|x|y|z|sensorReadingTime|distanceFromObject)": ?"/);
        expect(text.endsWith('\n')).toBe(true);
      }
    }
    expect(summary.defects).toEqual({});
  });
});

describe('defects of messy deliveries', () => {
  const rate = 0.02;
  const { dir, summary } = gen({ customers: 3000, defectRate: rate, seed: 5, maxFileBytes: 1024 * 1024, minFiles: 1 });
  const dataFiles = (e: Entity) => files(dir, e).filter((f) => f.endsWith('.json') && fs.statSync(f).size > 0);
  const expectedFiles = (e: Entity) => Math.max(1, Math.ceil(rate * summary.entities[e].files));

  it('spreads the data over several files, none above the size bound', () => {
    for (const e of ['accelerometer', 'step_trainer'] as const) {
      expect(dataFiles(e).length).toBeGreaterThan(10);
      for (const f of dataFiles(e)) expect(fs.statSync(f).size).toBeLessThanOrEqual(1024 * 1024);
    }
  });

  it('sends numbers as strings in about the requested share of records', () => {
    const rows = ENTITIES.flatMap((e) => records(dir, e).rows);
    const quoted = rows.filter((r) => Object.entries(r).some(([k, v]) => typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) && !['phone'].includes(k))).length;
    expect(quoted).toBe(summary.defects.numbers_as_strings);
    expect(quoted / rows.length).toBeGreaterThan(rate * 0.8);
    expect(quoted / rows.length).toBeLessThan(rate * 1.2);
  });

  it('repeats customer emails and shares device serials in about the requested share of customers', () => {
    const customers = records(dir, 'customer').rows;
    const dupEmails = [...groupBy(customers.filter((c) => c.email), (c) => String(c.email)).values()].filter((g) => g.length > 1);
    expect(dupEmails.length).toBe(summary.defects.duplicate_email);
    expect(dupEmails.length / 3000).toBeGreaterThan(rate * 0.5);
    expect(dupEmails.length / 3000).toBeLessThan(rate * 1.5);
    for (const g of dupEmails) expect(new Set(g.map((c) => c.lastUpdateDate)).size).toBe(2);
    const serials = [...groupBy(customers.filter((c) => c.email), (c) => String(c.serialNumber)).values()].filter((g) => new Set(g.map((c) => c.email)).size > 1);
    expect(serials.length).toBeGreaterThan(0);
    expect(summary.defects.shared_serial! / 3000).toBeGreaterThan(rate * 0.5);
    expect(summary.expected.rules.as_of_date.step_trainer.ambiguous_device).toBeGreaterThan(0);
  });

  it('writes BOMs, CRLF endings, trailing commas and timeStamp keys in ⌈rate × files⌉ files', () => {
    for (const e of ENTITIES) {
      const texts = dataFiles(e).map((f) => fs.readFileSync(f, 'utf8'));
      expect(texts.filter((t) => t.startsWith('\uFEFF')).length).toBe(expectedFiles(e));
      expect(texts.filter((t) => t.includes('\r\n')).length).toBe(expectedFiles(e));
      expect(texts.filter((t) => /},\r?\n/.test(t)).length).toBe(expectedFiles(e));
      expect(texts.filter((t) => t.includes('"timeStamp"')).length).toBe(e === 'accelerometer' ? expectedFiles(e) : 0);
    }
  });

  it('cuts off the last record of ⌈rate × files⌉ files and counts it as a reject', () => {
    for (const e of ENTITIES) {
      const cut = dataFiles(e).filter((f) => !fs.readFileSync(f, 'utf8').endsWith('\n'));
      expect(cut.length).toBe(expectedFiles(e));
      expect(records(dir, e).broken).toBe(cut.length);
      expect(summary.expected.rejected[e]).toBe(cut.length);
      expect(records(dir, e).rows.length).toBe(summary.expected.landing[e]);
    }
  });

  it('adds empty files and stray non-JSON files', () => {
    for (const e of ENTITIES) {
      const all = files(dir, e);
      expect(all.filter((f) => f.endsWith('.json') && fs.statSync(f).size === 0).length).toBe(expectedFiles(e));
      expect(all.filter((f) => !f.endsWith('.json')).length).toBe(expectedFiles(e));
    }
  });

  it('sends emails in other spellings of one identity, and blank emails for records without one (email_variant)', () => {
    const v = gen({ customers: 2000, defectRate: 0.3, defects: ['email_variant'], seed: 9, profile: { ...DEFAULT_PROFILE, noEmailShare: 0.05 } });
    const customers = records(v.dir, 'customer').rows;
    const phone = records(v.dir, 'accelerometer').rows;
    const byIdentity = groupBy(customers.filter((c) => canonicalEmail(c.email as string | undefined)), (c) => canonicalEmail(String(c.email))!);
    const spellings = [...byIdentity.values()].map((g) => new Set(g.map((c) => String(c.email))).size);
    const merged = spellings.reduce((a, n) => a + n - 1, 0);
    expect(merged).toBeGreaterThan(400);
    expect(v.summary.expected.rules.as_of_date.customer.merged_identity).toBe(merged);
    expect(Math.max(...spellings)).toBe(2);
    // the other spellings: another case, whitespace around (Unicode too), a decomposed accent
    const all = customers.map((c) => String(c.email ?? ''));
    expect(all.some((e) => e !== e.trim())).toBe(true);
    expect(all.some((e) => /^[\u00a0\u2003\u3000\ufeff\u200b]|[\u00a0\u2003\u3000\ufeff\u200b]$/.test(e))).toBe(true);
    expect(all.some((e) => e.includes('\u0301'))).toBe(true);
    expect(all.some((e) => e.includes('\u00e9'))).toBe(true);
    // every record without an identity is missing_email: no key, or an empty or whitespace-only email
    const blank = customers.filter((c) => typeof c.email === 'string' && canonicalEmail(c.email) === null).length;
    expect(blank).toBeGreaterThan(10);
    expect(v.summary.expected.rules.as_of_date.customer.missing_email).toBe(customers.filter((c) => canonicalEmail(c.email as string | undefined) === null).length);
    // the phone app spells users otherwise too; every reading still belongs to its customer's identity
    const emails = new Set(customers.map((c) => String(c.email)));
    const identities = new Set(byIdentity.keys());
    const respelled = phone.filter((p) => !emails.has(String(p.user)));
    expect(respelled.length).toBeGreaterThan(1000);
    const registered = phone.filter((p) => identities.has(canonicalEmail(String(p.user))!)).length;
    expect(registered).toBe(v.summary.expected.landing.accelerometer - (v.summary.expected.rules.as_of_date.accelerometer.unknown_customer ?? 0));
    expect(v.summary.defects.email_variant).toBe(merged + blank);
  });

  it('injects only the kinds asked for', () => {
    const only = gen({ customers: 300, defectRate: 0.05, defects: ['crlf'] });
    expect(Object.keys(only.summary.defects)).toEqual(['crlf']);
    for (const e of ENTITIES) expect(records(only.dir, e).broken).toBe(0);
  });
});

describe('command-line options', () => {
  const cli = (over: Partial<GenerateCliOptions>): GenerateCliOptions => ({
    out: 'x',
    readingsPerCustomer: '85',
    consentShare: '0.5',
    sharedTimestampShare: '0.05',
    defectRate: '0',
    defects: 'all',
    seed: '42',
    maxFileSize: '64MiB',
    minFiles: '4',
    output: 'text',
    ...over,
  });

  it('reads counts and sizes with units', () => {
    expect(parseCount('--customers', '50M')).toBe(50_000_000);
    expect(parseCount('--customers', '20k')).toBe(20_000);
    expect(parseCount('--customers', '1_000')).toBe(1000);
    expect(parseBytes('--max-file-size', '64MiB')).toBe(64 * 2 ** 20);
    expect(parseBytes('--max-file-size', '512KB')).toBe(512_000);
    expect(() => parseCount('--customers', 'many')).toThrow(UserError);
    expect(() => parseBytes('--max-file-size', '3 parsecs')).toThrow(UserError);
  });

  it('derives customers from --accelerometer-rows and rejects bad values with a usage error', () => {
    expect(optionsFromCli(cli({ accelerometerRows: '1M' })).customers).toBe(11_896);
    expect(optionsFromCli(cli({ customers: '5', defects: 'crlf,bom' })).defects).toEqual(['crlf', 'bom']);
    expect(() => optionsFromCli(cli({}))).toThrow(/--customers N or --accelerometer-rows N/);
    expect(() => optionsFromCli(cli({ customers: '5', accelerometerRows: '5' }))).toThrow(/not both/);
    expect(() => optionsFromCli(cli({ customers: '5', consentShare: '1.5' }))).toThrow(/consent share must be between 0 and 1/);
    expect(() => optionsFromCli(cli({ customers: '5', defects: 'crlf,gremlins' }))).toThrow(/unknown defect 'gremlins'/);
    expect(() => optionsFromCli(cli({ customers: '5', readingsPerCustomer: '5000', maxFileSize: '100KiB' }))).toThrow(/raise the file size/);
  });
});
