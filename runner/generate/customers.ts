/**
 * One customer at a time: who they are, whether they consented and when, their reading session
 * (the milliseconds at which the Step Trainer and the phone both read), and the edge cases and
 * defects that touch them. Plans are made in customer order by a CustomerPlanner that keeps only
 * the previous customer (for shared timestamps and shared serials), so memory stays bounded
 * whatever the number of customers. Pure.
 */
import { defectOn, PHONE_READINGS_PER_TIMESTAMP, type Entity, type GenerateOptions } from './options.js';
import { fileIndex, hasDefect, maxTimestamps, type Layout } from './layout.js';
import { FIRST_NAMES, LAST_NAMES } from './names.js';
import { rngFor, STREAM, type Rng } from './rng.js';

/** regular: a customer record with an email; unregistered: readings only; no_email: a record without email. */
export type CustomerKind = 'regular' | 'unregistered' | 'no_email';

/** What decides which files a customer writes to; cheap to compute for any customer. */
export interface Traits {
  kind: CustomerKind;
  phone: boolean;
  device: boolean;
  consenting: boolean;
  sharesTimestamps: boolean;
  /** Draws of the customer-level defects (effective only when the defect is on and applies). */
  sharesSerialDraw: boolean;
  duplicateDraw: boolean;
  variantDraw: boolean;
}

export function traitsOf(o: GenerateOptions, j: number): Traits {
  const r = rngFor(o.seed, j, STREAM.identity);
  const p = o.profile;
  const u = r.float();
  const kind: CustomerKind = u < p.unregisteredShare ? 'unregistered' : u < p.unregisteredShare + p.noEmailShare ? 'no_email' : 'regular';
  const use = r.float();
  const deviceOnly = kind === 'no_email' || use < p.deviceOnlyShare;
  const phoneOnly = !deviceOnly && use < p.deviceOnlyShare + p.phoneOnlyShare;
  const consenting = r.float() < o.consentShare && kind === 'regular';
  const sharesTimestamps = r.float() < o.sharedTimestampShare;
  const d = rngFor(o.seed, j, STREAM.defects);
  const sharesSerialDraw = d.float() < o.defectRate;
  const duplicateDraw = d.float() < o.defectRate;
  // A stream of its own, so switching email_variant on changes no other draw.
  const variantDraw = rngFor(o.seed, j, STREAM.variants).float() < o.defectRate;
  return { kind, phone: !deviceOnly, device: !phoneOnly, consenting, sharesTimestamps, sharesSerialDraw, duplicateDraw, variantDraw };
}

export function writesTo(t: Traits, e: Entity): boolean {
  if (e === 'customer') return t.kind !== 'unregistered';
  return e === 'accelerometer' ? t.phone : t.device;
}

/**
 * The customers whose last line of an entity ends a file hit by `truncated_record`: that line
 * is cut off mid-record, so the customer loses it.
 */
export function truncationTargets(o: GenerateOptions, layout: Layout): Record<Entity, Set<number>> {
  const out = { customer: new Set<number>(), accelerometer: new Set<number>(), step_trainer: new Set<number>() };
  for (const l of Object.values(layout)) {
    for (const [f, kinds] of l.defects) {
      if (!kinds.has('truncated_record')) continue;
      const first = f * l.customersPerFile;
      for (let j = Math.min(o.customers, first + l.customersPerFile) - 1; j >= first; j--) {
        if (writesTo(traitsOf(o, j), l.entity)) {
          out[l.entity].add(j);
          break;
        }
      }
    }
  }
  return out;
}

/** Characters around an email that canonicalisation trims (macros/identity.sql): ASCII and Unicode spaces, invisible marks. */
const AROUND = [' ', '\t', '\u00a0', '\u2003', '\u3000', '\ufeff', '\u200b'] as const;
/** What an empty or whitespace-only email is sent as (email_variant on a record without an email). */
const BLANK = ['', ' ', '\t \u00a0', '\u3000', '\u200b'] as const;

/**
 * A spelling of `email` that differs from it but has the same canonical form: upper or lower case
 * (or, for an accented email, its decomposed form in upper case), with whitespace around it or not.
 */
export function emailSpelling(email: string, r: Rng): string {
  const cased = email.normalize('NFD') !== email ? email.normalize('NFD').toUpperCase() : r.chance(0.5) ? email.toUpperCase() : email.toLowerCase();
  const lead = r.chance(0.5) ? r.pick(AROUND) : '';
  const trail = r.chance(0.5) ? r.pick(AROUND) : '';
  const out = `${lead}${cased}${trail}`;
  return out === email ? ` ${email}` : out;
}

/** The email_variant spellings of a customer: one more customer record, and two for the phone app. */
export interface EmailVariant {
  record: string;
  phone: [string, string];
}

export interface OlderRecord {
  phone: string;
  lastUpdateDate: number;
  consent: number | null | undefined;
}

export interface CustomerPlan {
  index: number;
  kind: CustomerKind;
  /** The customer record is the cut-off last line of its file: no valid record. */
  lost: boolean;
  name: string;
  /** Undefined for a record without email. */
  email: string | undefined;
  /** email_variant: the other spellings of `email` (a regular customer). */
  variant: EmailVariant | undefined;
  /** email_variant on a record without email: the empty or whitespace-only email it is sent with. */
  blankEmail: string | undefined;
  phone: string;
  birthDay: string;
  serial: string;
  registrationDate: number;
  lastUpdateDate: number;
  /** Research consent: a date, null, or undefined when the key is missing. */
  consent: number | null | undefined;
  publicDate: number | null;
  friendsDate: number | null;
  /** Milliseconds at which the device reads (one reading each), ascending. */
  times: number[];
  /** Phone readings at each of `times` (empty when the customer has no phone readings). */
  phoneCounts: number[];
  device: boolean;
  /** The serial number is claimed by another customer too (shared_serial defect). */
  ambiguous: boolean;
  /** The serial number is the previous customer's. */
  sharesSerial: boolean;
  duplicate: OlderRecord | undefined;
  /** The last phone / device reading is the cut-off last line of its file. */
  lostLastPhone: boolean;
  lostLastDevice: boolean;
}

const DAY = 86_400_000;

/** Plans customers 0, 1, 2 … in order; each call must be for the next customer. */
export class CustomerPlanner {
  private prev: { index: number; times: number[]; serial: string } | undefined;
  private readonly traits = new Map<number, Traits>();
  private readonly truncated: Record<Entity, Set<number>>;

  constructor(
    private readonly o: GenerateOptions,
    layout: Layout,
  ) {
    this.truncated = truncationTargets(o, layout);
  }

  private traitsAt(j: number): Traits {
    let t = this.traits.get(j);
    if (!t) {
      t = traitsOf(this.o, j);
      this.traits.set(j, t);
      for (const k of this.traits.keys()) if (k < j - 2) this.traits.delete(k);
    }
    return t;
  }

  /** A customer whose serial may be shared: a regular customer with a valid record. */
  private eligible(j: number): boolean {
    return j >= 0 && j < this.o.customers && this.traitsAt(j).kind === 'regular' && !this.truncated.customer.has(j);
  }

  private sharesSerial(j: number): boolean {
    return defectOn(this.o, 'shared_serial') && j > 0 && j < this.o.customers && this.traitsAt(j).sharesSerialDraw && this.eligible(j) && this.eligible(j - 1);
  }

  plan(j: number): CustomerPlan {
    if ((this.prev ? this.prev.index + 1 : 0) !== j) throw new Error(`internal: customers must be planned in order (expected ${this.prev ? this.prev.index + 1 : 0}, got ${j})`);
    const o = this.o;
    const t = this.traitsAt(j);
    const r = rngFor(o.seed, j, STREAM.identity);
    for (let i = 0; i < 4; i++) r.u32(); // the draws of traitsOf
    const first = r.pick(FIRST_NAMES);
    const last = r.pick(LAST_NAMES);
    const name = `${first} ${last}`;
    let email = t.kind === 'no_email' ? undefined : `${first}.${last}${j}@example.com`;
    const phone = `555${String(r.int(0, 9_999_999)).padStart(7, '0')}`;
    const odd = r.chance(o.profile.oddBirthYearShare);
    const year = odd ? r.pick([399, 1399, 1900]) : r.int(1930, 2005);
    const birthDay = `${year}-${String(r.int(1, 12)).padStart(2, '0')}-${String(r.int(1, 28)).padStart(2, '0')}`;
    const ownSerial = `${r.hex(8)}-${r.hex(4)}-4${r.hex(3)}-${r.pick(['8', '9', 'a', 'b'])}${r.hex(3)}-${j.toString(16).padStart(12, '0')}`;
    const registrationDate = o.startMs + j * 2600 + r.int(0, 2599);

    // The session: device readings 2.0–4.0 s apart; 1–3 phone readings at each of them.
    const s = rngFor(o.seed, j, STREAM.session);
    const count = Math.min(maxTimestamps(o.readingsPerCustomer), Math.max(1, Math.round((o.readingsPerCustomer / PHONE_READINGS_PER_TIMESTAMP) * (0.9 + 0.2 * s.float()))));
    const times: number[] = new Array<number>(count);
    const shared = t.sharesTimestamps && this.prev ? this.prev.times : [];
    let at = registrationDate + s.int(-60_000, 60_000);
    for (let i = 0; i < count; i++) {
      const gap = s.int(2033, 4000);
      at = i < shared.length ? shared[i]! : i === 0 ? at : at + gap;
      times[i] = at;
    }
    const phoneCounts: number[] = [];
    if (t.phone && t.kind !== 'no_email') {
      for (let i = 0; i < count; i++) {
        const u = s.float();
        phoneCounts.push(u < 0.003 ? 1 : u < 0.16 ? 2 : 3);
      }
    }

    // Consent: at registration, later during the readings, or after every reading.
    let consent: number | null | undefined;
    let publicDate: number | null = null;
    let friendsDate: number | null = null;
    const c = s.float();
    const p = o.profile;
    if (t.consenting) {
      const lastTime = times[count - 1]!;
      if (c < p.consentAfterReadingsShare) consent = Math.max(registrationDate, lastTime) + s.int(1000, DAY);
      else if (c < p.consentAfterReadingsShare + p.lateConsentShare) consent = Math.max(registrationDate, times[0]! + s.int(0, lastTime - times[0]!));
      else consent = registrationDate;
      publicDate = s.chance(0.7) ? consent : null;
      friendsDate = s.chance(0.7) ? consent : null;
    } else {
      consent = s.chance(p.nullConsentShare) ? null : undefined;
      publicDate = s.chance(0.5) ? registrationDate : null;
      friendsDate = s.chance(0.5) ? registrationDate : null;
    }
    let lastUpdateDate = Math.max(registrationDate, consent ?? registrationDate);

    const lost = this.truncated.customer.has(j);
    let duplicate: OlderRecord | undefined;
    const d = rngFor(o.seed, j, STREAM.defects);
    d.u32();
    d.u32(); // the draws of traitsOf
    if (defectOn(o, 'duplicate_email') && t.duplicateDraw && t.kind === 'regular' && !lost) {
      const older = lastUpdateDate;
      lastUpdateDate = older + d.int(3_600_000, 30 * DAY);
      const flip = d.chance(0.5);
      duplicate = {
        phone: `555${String(d.int(0, 9_999_999)).padStart(7, '0')}`,
        lastUpdateDate: older,
        consent: !flip ? consent : consent === null || consent === undefined ? registrationDate : undefined,
      };
    }

    // email_variant: other spellings of the email, drawn from a stream of their own.
    let variant: EmailVariant | undefined;
    let blankEmail: string | undefined;
    if (defectOn(o, 'email_variant') && t.variantDraw && !lost) {
      const v = rngFor(o.seed, j, STREAM.variants);
      v.u32(); // the draw of traitsOf
      if (t.kind === 'regular' && email !== undefined) {
        if (v.chance(1 / 3)) email = `${first}.${last}\u00e9${j}@example.com`; // an accent, sent composed here
        variant = { record: emailSpelling(email, v), phone: [emailSpelling(email, v), emailSpelling(email, v)] };
      } else if (t.kind === 'no_email') blankEmail = v.pick(BLANK);
    }

    const sharesSerial = this.sharesSerial(j);
    const serial = sharesSerial && this.prev ? this.prev.serial : ownSerial;
    const ambiguous = sharesSerial || this.sharesSerial(j + 1);
    this.prev = { index: j, times, serial };
    return {
      index: j,
      kind: t.kind,
      lost,
      name,
      email,
      variant,
      blankEmail,
      phone,
      birthDay,
      serial,
      registrationDate,
      lastUpdateDate,
      consent,
      publicDate,
      friendsDate,
      times,
      phoneCounts,
      device: t.device,
      ambiguous,
      sharesSerial,
      duplicate,
      lostLastPhone: this.truncated.accelerometer.has(j),
      lostLastDevice: this.truncated.step_trainer.has(j),
    };
  }
}

/** Whether a customer's records of `entity` land in a file carrying `defect`. */
export function inDefectFile(layout: Layout, e: Entity, j: number, defect: 'trailing_comma' | 'key_case' | 'crlf' | 'bom' | 'truncated_record'): boolean {
  return hasDefect(layout[e], fileIndex(layout[e], j), defect);
}
