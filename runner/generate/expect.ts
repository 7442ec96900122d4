/**
 * What a correct build must report on the generated data, known from how it was generated:
 * per entity the landing rows (valid records) and rejects (cut-off lines), where every row goes
 * under each reconciliation rule, and the row count of every table — under both consent
 * policies. Assumes the landing ingestion of the messy-data issue: tolerated defects (trailing
 * commas, BOM, CRLF, `timeStamp`, numbers sent as strings, empty and stray files) change no
 * count; a cut-off line is a reject. Customers are told apart by their canonical email
 * (macros/identity.sql), so the spellings of email_variant are one customer. Pure.
 */
import type { CustomerPlan } from './customers.js';
import { ENTITIES, type Entity } from './options.js';

export const POLICIES = ['as_of_date', 'any_time'] as const;
export type Policy = (typeof POLICIES)[number];

export const TABLES = ['customer_trusted', 'accelerometer_trusted', 'customer_curated', 'step_trainer_trusted', 'machine_learning_curated'] as const;
export type Table = (typeof TABLES)[number];

export interface Expected {
  /** Valid records per entity (the reconciliation's `landing` rule). */
  landing: Record<Entity, number>;
  /** Cut-off lines per entity. */
  rejected: Record<Entity, number>;
  /** policy → entity → rule → rows (the reconciliation's rows other than `landing`). */
  rules: Record<Policy, Record<Entity, Record<string, number>>>;
  tables: Record<Policy, Record<Table, number>>;
}

export function emptyExpected(): Expected {
  const perEntity = <T>(f: () => T) => Object.fromEntries(ENTITIES.map((e) => [e, f()])) as Record<Entity, T>;
  const perPolicy = <T>(f: () => T) => Object.fromEntries(POLICIES.map((p) => [p, f()])) as Record<Policy, T>;
  return {
    landing: perEntity(() => 0),
    rejected: perEntity(() => 0),
    rules: perPolicy(() => perEntity(() => ({}))),
    tables: perPolicy(() => Object.fromEntries(TABLES.map((t) => [t, 0])) as Record<Table, number>),
  };
}

function add(m: Record<string, number>, rule: string, n = 1): void {
  if (n) m[rule] = (m[rule] ?? 0) + n;
}

/** Adds one customer's records to the expectation. */
export function tally(x: Expected, p: CustomerPlan): void {
  const registered = p.kind !== 'unregistered' && !p.lost;
  const consenting = p.kind === 'regular' && registered && typeof p.consent === 'number';
  const consent = typeof p.consent === 'number' ? p.consent : Number.POSITIVE_INFINITY;
  // Phone readings that arrive whole: all but a cut-off last one.
  const phone = [...p.phoneCounts];
  if (p.lostLastPhone && phone.length) phone[phone.length - 1]! -= 1;
  const deviceN = p.device ? p.times.length - (p.lostLastDevice ? 1 : 0) : 0;

  if (p.kind !== 'unregistered') {
    const records = 1 + (p.duplicate ? 1 : 0) + (p.variant ? 1 : 0);
    x.landing.customer += records - (p.lost ? 1 : 0);
    x.rejected.customer += p.lost ? 1 : 0;
  }
  x.landing.accelerometer += phone.reduce((a, b) => a + b, 0);
  x.rejected.accelerometer += p.lostLastPhone ? 1 : 0;
  x.landing.step_trainer += deviceN;
  x.rejected.step_trainer += p.lostLastDevice ? 1 : 0;

  for (const policy of POLICIES) {
    const counts = (i: number) => policy === 'any_time' || p.times[i]! >= consent;
    const rules = x.rules[policy];
    const tables = x.tables[policy];
    let keptPhone = 0;
    let mlRows = 0;
    for (let i = 0; i < phone.length; i++) {
      const n = phone[i]!;
      const rule = !registered ? 'unknown_customer' : !consenting ? 'no_consent' : !counts(i) ? 'before_consent' : 'kept';
      add(rules.accelerometer, rule, n);
      if (rule === 'kept') keptPhone += n;
    }
    const curated = consenting && keptPhone > 0;

    // A record without an email, or with an empty or whitespace-only one (email_variant), is missing_email.
    if (p.kind === 'no_email' && !p.lost) add(rules.customer, 'missing_email');
    if (p.kind === 'regular' && registered) {
      // The older record repeats the customer's spelling; the email_variant record brings another
      // spelling of the same canonical email, merged into the customer.
      if (p.duplicate) add(rules.customer, 'duplicate_record');
      if (p.variant) add(rules.customer, 'merged_identity');
      add(rules.customer, !consenting ? 'no_consent' : curated ? 'kept' : 'no_accelerometer_data');
      if (consenting) tables.customer_trusted++;
      if (curated) tables.customer_curated++;
    }

    for (let i = 0; i < deviceN; i++) {
      const rule = !registered ? 'unknown_device' : p.ambiguous ? 'ambiguous_device' : !consenting ? 'no_consent' : !curated ? 'no_accelerometer_data' : !counts(i) ? 'before_consent' : 'kept';
      add(rules.step_trainer, rule);
      if (rule === 'kept') {
        tables.step_trainer_trusted++;
        mlRows += phone[i] ?? 0;
      }
    }
    tables.accelerometer_trusted += keptPhone;
    tables.machine_learning_curated += mlRows;
  }
}

/** The kept rows per entity, as the reconciliation reports them. */
export function keptRows(x: Expected, policy: Policy): Record<Entity, number> {
  return { customer: x.rules[policy].customer.kept ?? 0, accelerometer: x.rules[policy].accelerometer.kept ?? 0, step_trainer: x.rules[policy].step_trainer.kept ?? 0 };
}
