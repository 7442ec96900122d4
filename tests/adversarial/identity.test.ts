/**
 * Fail closed, section 4: one person, one identity. A customer's email is one identity in every
 * spelling that differs only in case, surrounding whitespace (ASCII or Unicode) or Unicode
 * composition, and an empty or whitespace-only email is a missing email.
 *
 * On a real DuckDB through the real CLI: a copy of the STEDI project builds landing files written
 * for the purpose, and the guarantees are asserted per variant: a consent withdrawal sent with
 * another spelling removes the customer and every reading of theirs downstream; twins that
 * differ in case are one customer with one subject_key; blank emails are `missing_email` and
 * never claim a device as someone; the reconciliation counts the records merged by
 * canonicalisation and balances; subject_key is the same for every spelling.
 *
 * On Athena (compiled SQL): no statement reads a landing identity other than through the
 * canonical form, every hash is of the canonical form, and the trusted and curated identity
 * columns are guarded by blocking canonical_identity tests.
 */
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileForTarget } from '../../runner/compiler/for-target.js';
import type { Manifest, TestNode } from '../../runner/manifest/types.js';
import { loadProject } from '../../runner/project/load.js';
import { copyProjectInto, explain, ndjson, query, REPO, stedi, write } from '../helpers/stedi.js';
import { canonicalEmail } from '../helpers/identity.js';
import { ENV } from '../unit/athena/harness.js';
import { callArguments, rawIdentityUses, sentKeyUses, type LandingIdentity } from './identity-sql.js';

const KEY = 'adversarial-identity-key-0123456789';
const ENVS = { STEDI_SUBJECT_KEY: KEY };

/** A fresh copy of the STEDI project (stedi_project.yml, models, macros, seeds) in a temp folder. */
function projectCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-identity-'));
  copyProjectInto(dir);
  return dir;
}

const customer = (email: string | undefined, serial: string, lastUpdateDate: number, consent: number | null | undefined, name = 'Test Person') => ({
  customerName: name,
  ...(email === undefined ? {} : { email }),
  phone: '5550000000',
  birthDay: '1990-01-01',
  serialNumber: serial,
  registrationDate: 1,
  lastUpdateDate,
  ...(consent === undefined ? {} : { shareWithResearchAsOfDate: consent }),
});
const reading = (user: string, timestamp: number) => ({ user, timestamp, x: 1.0, y: 0.0, z: -1.0 });
const device = (serialNumber: string, sensorReadingTime: number) => ({ sensorReadingTime, serialNumber, distanceFromObject: 250 });

/** Consent given in one spelling, withdrawn in a later record in another; a phone reading in a third. */
const WITHDRAWALS: { who: string; consent: string; withdrawal: string; phone: string }[] = [
  { who: 'surrounding spaces, other case', consent: 'Zed.Case@example.com', withdrawal: ' Zed.Case@Example.com ', phone: 'zed.case@example.com' },
  { who: 'tabs', consent: 'Yan.Tab@example.com', withdrawal: '\tYAN.TAB@example.com\t', phone: 'yan.tab@EXAMPLE.com' },
  { who: 'no-break spaces', consent: 'Xia.Nbsp@example.com', withdrawal: '\u00a0xia.nbsp@example.com\u00a0', phone: 'Xia.Nbsp@example.com\u00a0' },
  { who: 'ideographic, em and thin spaces', consent: 'Wes.Ideo@example.com', withdrawal: '\u3000Wes.Ideo@EXAMPLE.COM\u2003\u2009', phone: '\u2002wes.ideo@example.com' },
  { who: 'zero width space and byte-order mark', consent: 'Vera.Zw@example.com', withdrawal: '\ufeffvera.zw@example.com\u200b', phone: 'VERA.ZW@EXAMPLE.COM' },
  { who: 'composed and decomposed accent', consent: 'Ul\u00e9a.Comp@example.com', withdrawal: 'ULE\u0301A.COMP@example.com', phone: 'ule\u0301a.comp@example.com' },
];
const TWIN_SPELLINGS = ['Twin@x.example', 'twin@x.example', ' twin@X.EXAMPLE', 'TWIN@x.example\u00a0'] as const;
const BLANKS = ['', '   ', '\t\u00a0\u3000', '\u200b\u2060'];

function landing(dir: string): void {
  const customers = [
    customer('Ann.Lee@example.com', 's-ann', 50, 10, 'Ann Lee'),
    customer('Ann.Lee@example.com', 's-ann', 100, 10, 'Ann Lee'),
    ...WITHDRAWALS.flatMap((w, i) => [customer(w.consent, `s-w${i}`, 100, 10), customer(w.withdrawal, `s-w${i}`, 200, undefined)]),
    customer(TWIN_SPELLINGS[0], 's-twin', 100, 10, 'Tia Twin'),
    customer(TWIN_SPELLINGS[1], 's-twin', 150, 10, 'Tia Twin'),
    ...BLANKS.map((e, i) => customer(e, `s-e${i}`, 100, 10, 'Store Demo Unit')),
    customer('Bo.Diaz@example.com', 's-bo', 100, 10, 'Bo Diaz'),
    customer(' ', 's-bo', 100, 10, 'Unknown Claimant'),
  ];
  const phone = [
    reading('Ann.Lee@example.com', 1000),
    reading('ann.lee@example.com ', 2000),
    ...WITHDRAWALS.map((w, i) => reading(w.phone, 1100 + i)),
    reading(TWIN_SPELLINGS[0], 3000),
    reading(TWIN_SPELLINGS[2], 3001),
    reading(TWIN_SPELLINGS[3], 3002),
    reading('bo.diaz@example.com', 4000),
    reading('', 5000),
    reading(' ', 5001),
    reading('nobody@example.com', 5002),
  ];
  const devices = [
    device('s-ann', 1000),
    device('s-ann', 2000),
    ...WITHDRAWALS.map((_, i) => device(`s-w${i}`, 1100 + i)),
    device('s-twin', 3000),
    device('s-twin', 3001),
    device('s-twin', 3002),
    device('s-bo', 4000),
    ...BLANKS.map((_, i) => device(`s-e${i}`, 5000 + i)),
  ];
  write(dir, 'landing/customer/landing/customer-1.json', ndjson(customers));
  write(dir, 'landing/accelerometer/landing/accelerometer-1.json', ndjson(phone));
  write(dir, 'landing/step_trainer/landing/step_trainer-1.json', ndjson(devices));
}

const VARS = ['--vars', '{landing_root: landing}'];

/** Rows of a query on the published tables, through a read-only connection to the build's catalog; counts as numbers. */
async function rows(dir: string, sql: string): Promise<Record<string, unknown>[]> {
  const out = await query(dir, sql);
  return out.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k === 'n' ? Number(v) : v])));
}

const expectedKey = (email: string) => createHmac('sha256', KEY).update(canonicalEmail(email)!, 'utf8').digest('hex');

describe('one person, one identity: a build on DuckDB', () => {
  let dir: string;
  let buildOut = '';
  beforeAll(async () => {
    dir = projectCopy();
    landing(dir);
    const r = await stedi(dir, ['build', ...VARS], { env: ENVS, timeoutMs: 120_000 });
    expect(r.code, explain(r)).toBe(0);
    buildOut = r.stdout;
  }, 150_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('holds one canonical email per customer in the trusted and curated tables', async () => {
    const trusted = await rows(dir, "select email from trusted.customer_trusted order by email");
    expect(trusted.map((r) => r.email)).toEqual(['ann.lee@example.com', 'bo.diaz@example.com', 'twin@x.example']);
    const users = await rows(dir, "select distinct user_email from trusted.accelerometer_trusted order by 1");
    expect(users.map((r) => r.user_email)).toEqual(['ann.lee@example.com', 'bo.diaz@example.com', 'twin@x.example']);
    const curated = await rows(dir, "select email from curated.customer_curated order by email");
    expect(curated.map((r) => r.email)).toEqual(['ann.lee@example.com', 'bo.diaz@example.com', 'twin@x.example']);
  });

  it.each(WITHDRAWALS.map((w, i) => [w.who, w, i] as const))('a withdrawal sent with %s removes the customer and every reading of theirs', async (_who, w, i) => {
    const identity = canonicalEmail(w.consent)!;
    expect(canonicalEmail(w.withdrawal)).toBe(identity);
    const sql = [
      `select 'trusted' as t, count(*) as n from trusted.customer_trusted where email = '${identity}'`,
      `select 'phone', count(*) from trusted.accelerometer_trusted where user_email = '${identity}'`,
      `select 'device', count(*) from trusted.step_trainer_trusted where serial_number = 's-w${i}'`,
      `select 'ml', count(*) from curated.machine_learning_curated where subject_key = '${expectedKey(w.consent)}'`,
    ].join(' union all ');
    const got = Object.fromEntries((await rows(dir, sql)).map((r) => [r.t, r.n]));
    expect(got).toEqual({ trusted: 0, phone: 0, device: 0, ml: 0 });
  });

  it('makes twins that differ in case one customer with one subject_key, and their device theirs', async () => {
    const twin = await rows(dir, "select count(*) as n, min(serial_number) as serial from curated.customer_curated where email = 'twin@x.example'");
    expect(twin).toEqual([{ n: 1, serial: 's-twin' }]);
    const ml = await rows(dir, "select subject_key, count(*) as n from curated.machine_learning_curated group by subject_key order by n");
    expect(ml).toEqual([
      { subject_key: expectedKey('ann.lee@example.com'), n: 2 },
      { subject_key: expectedKey('twin@x.example'), n: 3 },
    ]);
  });

  it('gives every spelling of an email the same subject_key, and a blank email none', async () => {
    // the pseudonym of each spelling, derived at ingestion like landing.customer's subject_key (the key stays in the runner)
    const spellings = [...TWIN_SPELLINGS, ...WITHDRAWALS.flatMap((w) => [w.consent, w.withdrawal, w.phone])];
    write(dir, 'landing/spellings/landing/spellings-1.json', ndjson([...spellings, ...BLANKS].map((spelling, i) => ({ i, spelling }))));
    write(dir, 'models/scratch/spellings.yml', "sources:\n  - name: scratch\n    tables:\n      - name: spellings\n        location: \"{{ var('landing_root') }}/spellings/landing\"\n        format: json\n        entity: spellings\n        columns:\n          - { name: i, data_type: bigint }\n          - { name: spelling, data_type: varchar, meta: { pii: true } }\n          - { name: k, data_type: varchar, derived: { pseudonym_of: spelling } }\n");
    write(dir, 'models/scratch/spelling_keys.sql', "{{ config(entity='spellings', zone='curated', materialized='table') }}\nselect i, k from {{ source('scratch', 'spellings') }}\n");
    const b = await stedi(dir, ['build', ...VARS, '-s', '+spelling_keys'], { env: ENVS });
    expect(b.code, explain(b)).toBe(0);
    const keys = (await rows(dir, "select k from curated.spelling_keys order by i")).map((r) => r.k);
    expect(keys).toEqual([...spellings.map(expectedKey), ...BLANKS.map(() => null)]);
    expect(new Set(keys.slice(0, TWIN_SPELLINGS.length)).size).toBe(1);
  });

  it('counts empty and whitespace-only emails as missing_email; they never claim a device as someone', async () => {
    const blankDevices = await rows(dir, "select count(*) as n from trusted.step_trainer_trusted where serial_number like 's-e%' or serial_number = 's-bo'");
    expect(blankDevices).toEqual([{ n: 0 }]);
    // Bo's serial is claimed by Bo and by a record whose email is a space: someone unknown, so no one's
    const bo = await rows(dir, "select count(*) as n from curated.customer_curated where email = 'bo.diaz@example.com'");
    expect(bo).toEqual([{ n: 1 }]);
  });

  it('reconciles: the records merged by canonicalisation are counted, and every entity balances', async () => {
    const rec = await rows(dir, "select entity, rule, row_count from audit.reconciliation where row_count > 0 order by entity, rule");
    const counts = Object.fromEntries(rec.map((r) => [`${String(r.entity)}/${String(r.rule)}`, Number(r.row_count)]));
    expect(counts).toEqual({
      'customer/landing': 22,
      'customer/missing_email': 5, // four blank emails, and the blank claimant of Bo's device
      'customer/duplicate_record': 1, // Ann's older record, in the same spelling
      'customer/merged_identity': 7, // six withdrawals and one twin, each another spelling of an identity
      'customer/no_consent': 6,
      'customer/kept': 3,
      'accelerometer/landing': 15,
      'accelerometer/kept': 6, // Ann 2, the twin 3 (in three spellings), Bo 1
      'accelerometer/no_consent': 6,
      'accelerometer/unknown_customer': 3, // an empty user, a blank user, an unknown one
      'step_trainer/landing': 16,
      'step_trainer/kept': 5,
      'step_trainer/no_consent': 10, // six withdrawals, four devices of blank emails
      'step_trainer/ambiguous_device': 1,
    });
    for (const e of ['customer', 'accelerometer', 'step_trainer']) {
      const mine = rec.filter((r) => r.entity === e);
      const total = mine.filter((r) => r.rule === 'landing').reduce((a, r) => a + Number(r.row_count), 0);
      expect(mine.filter((r) => r.rule !== 'landing').reduce((a, r) => a + Number(r.row_count), 0)).toBe(total);
    }
    expect(buildOut).toMatch(/customer +22 landing = 3 kept \+ 1 duplicate_record \+ 7 merged_identity \+ 5 missing_email \+ 6 no_consent/);
  });

  it('prints no landing email in the build output', () => {
    for (const w of WITHDRAWALS) for (const s of [w.consent, w.withdrawal, w.phone]) expect(buildOut).not.toContain(s.trim());
    expect(buildOut.toLowerCase()).not.toContain('twin@x.example');
  });
});

describe('one person, one identity: the SQL sent to Athena', () => {
  const LANDING: LandingIdentity[] = [
    { relation: '"stedi"."customer"', column: 'email' },
    { relation: '"stedi"."accelerometer"', column: '"user"' },
  ];
  const PREFIX = 'nullif(normalize(lower(normalize(trim(BOTH ';

  function compileAthena(identityMacro?: (text: string) => string): Manifest {
    const loaded = loadProject(REPO);
    if (!loaded.project) throw new Error(JSON.stringify(loaded.diagnostics));
    const project = identityMacro ? { ...loaded.project, macros: loaded.project.macros.map((m) => (m.path.endsWith('identity.sql') ? { ...m, text: identityMacro(m.text) } : m)) } : loaded.project;
    const c = compileForTarget(project, { target: 'athena', env: ENV, now: new Date(0) });
    if (!c.manifest) throw new Error(JSON.stringify(c.compileDiagnostics));
    return c.manifest;
  }

  const sqlNodes = (m: Manifest) => Object.values(m.nodes).filter((n) => n.resource_type === 'model' || n.resource_type === 'test') as { name: string; compiled_code: string }[];

  it('reads landing identities only through canonical_email, in every model and test', () => {
    const m = compileAthena();
    const raw = sqlNodes(m).flatMap((n) => rawIdentityUses(n.compiled_code, PREFIX, LANDING).uses.map((u) => `${n.name}: ${u.context}`));
    expect(raw).toEqual([]);
    // a raw text kept as a group key (sent_user) is only joined back to its readings or read through canonical_email
    expect(sqlNodes(m).flatMap((n) => sentKeyUses(n.compiled_code, PREFIX, LANDING).map((u) => `${n.name}: ${u}`))).toEqual([]);
    expect(sqlNodes(m).filter((n) => /\bsent_user\b/.test(n.compiled_code)).map((n) => n.name)).toEqual(['reconciliation']);
    const canonical = Object.fromEntries(sqlNodes(m).map((n) => [n.name, rawIdentityUses(n.compiled_code, PREFIX, LANDING).canonical]).filter(([, k]) => Number(k) > 0));
    // where landing identities are read: dedupe (customer_latest_records), device claims, the
    // phone join, the reconciliation, the consent test against the landing data (subject_key is
    // derived at ingestion, from the same canonical form computed in TypeScript: tests/unit/identity)
    for (const name of ['customer_trusted', 'accelerometer_trusted', 'device_owners', 'reconciliation', 'ambiguous_devices_step_trainer_trusted']) expect(canonical[name], name).toBeGreaterThan(0);
    expect(Object.keys(canonical).some((n) => n.startsWith('consent_customer_trusted_email'))).toBe(true);
  });

  it('hashes nothing in SQL: subject_key is derived at ingestion from the canonical form and carried', () => {
    const hashes = sqlNodes(compileAthena()).flatMap((n) => ['sha256', 'hmac_sha256', 'md5', 'to_hex'].flatMap((f) => callArguments(n.compiled_code, f).map(() => `${n.name}: ${f}`)));
    expect(hashes).toEqual([]);
  });

  it('guards the identity columns of trusted and curated tables with blocking canonical_identity tests', () => {
    const tests = Object.values(compileAthena().nodes).filter((n): n is TestNode => n.resource_type === 'test' && n.name.startsWith('canonical_identity_'));
    expect(tests.map((t) => `${t.attached_node} ${t.column_name} ${t.severity}`).sort()).toEqual([
      'model.stedi.accelerometer_trusted user_email error',
      'model.stedi.customer_curated email error',
      'model.stedi.customer_trusted email error',
    ]);
  });

  it('allows the raw text only as a lone group key named sent_<x> joined back by equality (the check is not vacuous)', () => {
    const uses = (sql: string) => rawIdentityUses(sql, PREFIX, LANDING).uses.length;
    const sent = (sql: string) => sentKeyUses(sql, PREFIX, LANDING).length;
    const keys = 'select "user" as sent_user, count(*) as readings from "stedi"."accelerometer" group by "user"';
    expect(uses(`with k as (${keys}) select 1`)).toBe(0);
    expect(uses(`with k as (${keys}) select count(*) from "stedi"."accelerometer" a join k on k.sent_user = a."user"`)).toBe(0);
    // not the only group key, not the raw column itself, not under a sent_ name, compared otherwise: raw uses
    expect(uses(`with k as (${keys}, "timestamp") select 1`)).toBe(2);
    expect(uses('with k as (select lower("user") as sent_user, count(*) from "stedi"."accelerometer" group by lower("user")) select 1')).toBe(2);
    expect(uses('with k as (select "user" as u, count(*) from "stedi"."accelerometer" group by "user") select 1')).toBe(2);
    expect(uses(`with k as (${keys}) select count(*) from "stedi"."accelerometer" a join k on k.u = a."user"`)).toBe(1);
    expect(uses(`with k as (${keys}) select count(*) from "stedi"."accelerometer" a join k on lower(k.sent_user) = a."user"`)).toBe(1);
    // a sent_ column: passed on, joined back, or inside canonical_email; nothing else
    expect(sent(`with k as (${keys}), r as (select k.sent_user, k.readings from k) select count(*) from "stedi"."accelerometer" a join r k on k.sent_user = a."user"`)).toBe(0);
    expect(sent(`select 1 from k join s on s.id = ${PREFIX}chr(9) FROM k.sent_user)))), '')`)).toBe(0);
    expect(sent('select 1 from k join c on k.sent_user = c.email_spelling')).toBe(1);
    expect(sent('select 1 from k join c on c.email = k.sent_user')).toBe(1);
    expect(sent('select lower(k.sent_user), 1 from k')).toBe(1);
    expect(sent("select 1 from k where k.sent_user like 'a%'")).toBe(1);
    // a sent_ name given to anything but the raw identity column of the landing table the block reads
    expect(sent('select email as sent_user from "stedi"."customer_trusted"')).toBe(1);
    expect(sent('select "user" as sent_user from "stedi"."customer"')).toBe(1);
    expect(sent('select lower(email) as sent_user, n as sent_n from "stedi"."customer"')).toBe(2);
    expect(sent('select email as sent_email, count(*) from "stedi"."customer" group by email')).toBe(0);
  });

  it('would find every raw use if canonical_email were the raw value (the check is not vacuous)', () => {
    const m = compileAthena((text) => text.replace(/(\{% macro trino__canonical_email\(expr\) -%\}\n)[\s\S]*?(\n\{%- endmacro %\})/, '$1{{ expr }}$2'));
    const raw = new Set(sqlNodes(m).filter((n) => rawIdentityUses(n.compiled_code, PREFIX, LANDING).uses.length > 0).map((n) => n.name));
    for (const name of ['customer_trusted', 'accelerometer_trusted', 'device_owners', 'reconciliation', 'ambiguous_devices_step_trainer_trusted']) expect(raw.has(name), name).toBe(true);
  });
});
