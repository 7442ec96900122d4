/**
 * Column lineage of every STEDI model, compiled for both targets from the real project: the
 * exact upstream columns of each column, nothing unresolved, and the PII status the privacy
 * policy relies on.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compile } from '../../../runner/compiler/compile.js';
import { dialectFor } from '../../../runner/compiler/for-target.js';
import { projectLineage } from '../../../runner/lineage/project.js';
import type { Manifest } from '../../../runner/manifest/types.js';
import { loadProject } from '../../../runner/project/load.js';
import { resolveTarget, resolveVars } from '../../../runner/project/resolve.js';
import { summary } from './harness.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function manifestFor(targetName: string): Manifest {
  const loaded = loadProject(REPO);
  if (!loaded.project) throw new Error(JSON.stringify(loaded.diagnostics));
  const t = resolveTarget(loaded.project.config, targetName, {}).target!;
  const vars = resolveVars(loaded.project.config.vars, undefined, {}).vars;
  const dialect = dialectFor(t);
  const out = compile({ project: loaded.project, target: t, dialect, vars, now: new Date(0) });
  expect(out.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return out.manifest!;
}

const CUSTOMER = ['customer_name', 'email', 'phone', 'birth_day', 'serial_number', 'registration_date', 'last_update_date', 'share_with_research_as_of_date', 'share_with_public_as_of_date', 'share_with_friends_as_of_date', 'subject_key'];
const LANDING_CUSTOMER = ['customerName', 'email', 'phone', 'birthDay', 'serialNumber', 'registrationDate', 'lastUpdateDate', 'shareWithResearchAsOfDate', 'shareWithPublicAsOfDate', 'shareWithFriendsAsOfDate', 'subject_key'];

const EXPECTED: Record<string, Record<string, string[]>> = {
  // the email is the canonical form of the landing email (canonical_email), computed from it
  customer_trusted: Object.fromEntries(CUSTOMER.map((c, i) => [c, [c === 'email' ? 'customer.email[expression]' : `customer.${LANDING_CUSTOMER[i]}`]])),
  customer_curated: Object.fromEntries(CUSTOMER.map((c) => [c, [`customer_trusted.${c}`]])),
  // the customer's canonical email, which the phone app's user matched in canonical form
  accelerometer_trusted: { user_email: ['customer_trusted.email'], reading_time: ['accelerometer.timestamp'], x: ['accelerometer.x'], y: ['accelerometer.y'], z: ['accelerometer.z'] },
  // the owner's serial number (equal to the reading's by the join): restate_by needs it copied from device_owners
  step_trainer_trusted: { sensor_reading_time: ['step_trainer.sensorReadingTime'], serial_number: ['device_owners.serial_number'], distance_from_object: ['step_trainer.distanceFromObject'] },
  device_owners: { serial_number: ['customer_curated.serial_number'], share_with_research_as_of_date: ['customer_curated.share_with_research_as_of_date'] },
  machine_learning_curated: {
    sensor_reading_time: ['step_trainer_trusted.sensor_reading_time'], distance_from_object: ['step_trainer_trusted.distance_from_object'],
    x: ['accelerometer_trusted.x'], y: ['accelerometer_trusted.y'], z: ['accelerometer_trusted.z'], subject_key: ['customer_curated.subject_key'],
  },
  reconciliation: {
    entity: ['exclusion_rules.entity[expression]'],
    // before_consent is a literal counted under a WHERE on the consent date and the reading time
    // (the readings are classified per key first): a row filter, which column lineage does not follow
    rule: ['exclusion_rules.rule[expression]', 'customer.email[condition]', 'customer_trusted.email[condition]', 'customer.serialNumber[condition]', 'customer_curated.email[condition]'],
    row_count: [],
    description: ['exclusion_rules.description'],
  },
};

describe.each(['local', 'athena'])('column lineage of every STEDI model (target %s)', (targetName) => {
  const manifest = manifestFor(targetName);
  const lineage = projectLineage({ nodes: manifest.nodes, dialect: manifest.metadata.target.type });

  it('subject_key is the derived pseudonym of the landing email; no SQL of any model or test hashes', () => {
    const customer = manifest.nodes['source.stedi.landing.customer'] as { columns: { name: string; pii: boolean; derived?: unknown }[] };
    expect(customer.columns.find((c) => c.name === 'subject_key')).toMatchObject({ pii: false, derived: { pseudonym_of: 'email' } });
    expect(lineage.pii['source.stedi.landing.customer']!.subject_key).toBe('pseudonymised');
    for (const n of Object.values(manifest.nodes)) if ('compiled_code' in n) expect(n.compiled_code, n.unique_id).not.toMatch(/sha256|hmac|getvariable|\?/i);
  });

  it.each(Object.keys(EXPECTED))('%s: each column from exactly its upstream columns, nothing unresolved', (name) => {
    const m = lineage.models[`model.stedi.${name}`]!;
    expect(m.error).toBeUndefined();
    // on DuckDB canonical_email tests the email for its ASCII shortcut (CASE WHEN): a condition too
    const want = name === 'customer_trusted' && targetName === 'local' ? { ...EXPECTED[name], email: ['customer.email[condition]', 'customer.email[expression]'] } : EXPECTED[name];
    expect(summary(m.columns)).toEqual(want);
    const declared = (manifest.nodes[`model.stedi.${name}`] as { columns: { name: string }[] }).columns.map((c) => c.name);
    expect(m.columns.map((c) => c.name)).toEqual(declared);
  });

  it('machine_learning_curated.distance_from_object traces back to landing step_trainer.distanceFromObject', () => {
    const hop = (node: string, column: string) => lineage.models[node]!.columns.find((c) => c.name === column)!.upstream;
    expect(hop('model.stedi.machine_learning_curated', 'distance_from_object')).toEqual([{ node: 'model.stedi.step_trainer_trusted', column: 'distance_from_object', via: 'direct' }]);
    expect(hop('model.stedi.step_trainer_trusted', 'distance_from_object')).toEqual([{ node: 'source.stedi.landing.step_trainer', column: 'distanceFromObject', via: 'direct' }]);
  });

  it('personal data: identifiers stay pii downstream, subject_key is pseudonymised, the ML and audit tables carry none', () => {
    expect(lineage.pii['model.stedi.customer_curated']!.email).toBe('pii');
    expect(lineage.pii['model.stedi.step_trainer_trusted']!.serial_number).toBe('pii');
    expect(lineage.pii['model.stedi.machine_learning_curated']).toEqual({ sensor_reading_time: 'none', distance_from_object: 'none', x: 'none', y: 'none', z: 'none', subject_key: 'pseudonymised' });
    expect(Object.values(lineage.pii['model.stedi.reconciliation']!)).toEqual(['none', 'none', 'none', 'none']);
  });
});
