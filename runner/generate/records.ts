/**
 * The landing records of one customer as newline-delimited JSON lines (without line endings:
 * the file framing — CRLF, trailing commas, BOM, a cut-off last line — belongs to the writer).
 * Customer records use the spacing of the public data (`"key": value`), readings are compact,
 * x/y/z take the values -1.0, 0.0 and 1.0 as in the public data. Pure.
 */
import { inDefectFile, type CustomerPlan, type OlderRecord } from './customers.js';
import type { Layout } from './layout.js';
import { defectOn, type Entity, type GenerateOptions } from './options.js';
import { rngFor, STREAM, type Rng } from './rng.js';

export type EntityLines = Record<Entity, string[]>;

export interface CustomerLines {
  lines: EntityLines;
  /** Records with a number written as a string. */
  numbersAsStrings: number;
}

const XYZ = ['-1.0', '0.0', '1.0'] as const;

/** Decides per record whether one number is sent as a string (numbers_as_strings). */
class Quoter {
  count = 0;
  private readonly rng: Rng | undefined;
  constructor(
    o: GenerateOptions,
    j: number,
    private readonly rate: number,
  ) {
    this.rng = defectOn(o, 'numbers_as_strings') ? rngFor(o.seed, j, STREAM.format) : undefined;
  }
  /** Index of the field to quote among `fields`, or -1. */
  pick(fields: number): number {
    if (!this.rng || this.rng.float() >= this.rate) return -1;
    this.count++;
    return this.rng.int(0, fields - 1);
  }
}

/** A JSON string literal with every character outside printable ASCII escaped (\u00a0, \u0301 …). */
export function jsonString(s: string): string {
  return JSON.stringify(s).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function customerLine(p: CustomerPlan, email: string | undefined, phone: string, lastUpdateDate: number, consent: number | null | undefined, quoter: Quoter): string {
  const nums: [string, number | null | undefined][] = [
    ['registrationDate', p.registrationDate],
    ['lastUpdateDate', lastUpdateDate],
    ['shareWithResearchAsOfDate', consent],
    ['shareWithPublicAsOfDate', p.publicDate],
    ['shareWithFriendsAsOfDate', p.friendsDate],
  ];
  const quotable = nums.filter(([, v]) => typeof v === 'number').map(([k]) => k);
  const q = quotable[quoter.pick(quotable.length)];
  const parts = [`"customerName": "${p.name}"`];
  if (email !== undefined) parts.push(`"email": ${jsonString(email)}`);
  parts.push(`"phone": "${phone}"`, `"birthDay": "${p.birthDay}"`, `"serialNumber": "${p.serial}"`);
  for (const [k, v] of nums) {
    if (v === undefined) continue;
    parts.push(`"${k}": ${v === null ? 'null' : k === q ? `"${v}"` : String(v)}`);
  }
  return `{${parts.join(', ')}}`;
}

export function customerLines(p: CustomerPlan, o: GenerateOptions, layout: Layout): CustomerLines {
  const quoter = new Quoter(o, p.index, o.defectRate);
  const customer: string[] = [];
  if (p.kind !== 'unregistered') {
    const dup: OlderRecord | undefined = p.duplicate;
    const email = p.email ?? p.blankEmail;
    if (dup) customer.push(customerLine(p, email, dup.phone, dup.lastUpdateDate, dup.consent, quoter));
    // email_variant: the latest record once more, the same in all but the spelling of the email
    if (p.variant) customer.push(customerLine(p, p.variant.record, p.phone, p.lastUpdateDate, p.consent, quoter));
    customer.push(customerLine(p, email, p.phone, p.lastUpdateDate, p.consent, quoter));
  }

  const accelerometer: string[] = [];
  if (p.phoneCounts.length > 0) {
    const key = inDefectFile(layout, 'accelerometer', p.index, 'key_case') ? 'timeStamp' : 'timestamp';
    // email_variant: every third reading spells the user one way, the next another way
    const users = p.variant ? [p.email, ...p.variant.phone] : [p.email];
    const heads = users.map((u) => `{"user":${jsonString(u ?? '')},"${key}":`);
    let n = 0;
    const v = rngFor(o.seed, p.index, STREAM.phoneValues);
    for (let i = 0; i < p.times.length; i++) {
      const t = p.times[i]!;
      for (let k = p.phoneCounts[i]!; k > 0; k--) {
        const u = v.u32();
        const xs = [String(t), XYZ[u % 3]!, XYZ[Math.floor(u / 3) % 3]!, XYZ[Math.floor(u / 9) % 3]!];
        const q = quoter.pick(4);
        if (q >= 0) xs[q] = `"${xs[q]}"`;
        accelerometer.push(`${heads[n++ % heads.length]}${xs[0]},"x":${xs[1]},"y":${xs[2]},"z":${xs[3]}}`);
      }
    }
  }

  const step_trainer: string[] = [];
  if (p.device) {
    const v = rngFor(o.seed, p.index, STREAM.deviceValues);
    const mid = `,"serialNumber":"${p.serial}","distanceFromObject":`;
    for (const t of p.times) {
      const xs = [String(t), String(v.int(200, 300))];
      const q = quoter.pick(2);
      if (q >= 0) xs[q] = `"${xs[q]}"`;
      step_trainer.push(`{"sensorReadingTime":${xs[0]}${mid}${xs[1]}}`);
    }
  }
  return { lines: { customer, accelerometer, step_trainer }, numbersAsStrings: quoter.count };
}
