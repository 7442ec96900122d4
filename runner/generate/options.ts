/**
 * What `stedi generate` makes: the number of customers and readings, the consent share, the
 * defects of the messy-data issue and their rate, the seed and the file-size bound. Defaults
 * follow the structure of the public STEDI data (85 phone readings and 30 device readings per
 * customer, about half the customers consenting). Pure: validation returns problems as data.
 */

export const ENTITIES = ['customer', 'accelerometer', 'step_trainer'] as const;
export type Entity = (typeof ENTITIES)[number];

/**
 * Defects of real deliveries. Record-level kinds hit each record (or customer) with probability
 * `defectRate`; file-level kinds hit ⌈defectRate × files⌉ data files of each entity they apply
 * to, at least one when the rate is above 0; extra-file kinds add that many files. New kinds go
 * at the end: a kind's index seeds the choice of its files.
 *
 * `email_variant`: a customer's email is also sent in other spellings of the same identity
 * (another case, surrounding Unicode whitespace, a decomposed accent): one more customer record
 * in another spelling (reconciliation `merged_identity`) and phone readings whose `user` is
 * spelled otherwise; a record without an email is sent with an empty or whitespace-only one.
 */
export const DEFECT_KINDS = [
  'trailing_comma',
  'key_case',
  'duplicate_email',
  'shared_serial',
  'truncated_record',
  'numbers_as_strings',
  'empty_file',
  'stray_file',
  'crlf',
  'bom',
  'email_variant',
] as const;
export type DefectKind = (typeof DEFECT_KINDS)[number];

export const DEFECT_SCOPE: Record<DefectKind, 'record' | 'customer' | 'file' | 'extra_file'> = {
  numbers_as_strings: 'record',
  duplicate_email: 'customer',
  shared_serial: 'customer',
  email_variant: 'customer',
  trailing_comma: 'file',
  key_case: 'file',
  truncated_record: 'file',
  crlf: 'file',
  bom: 'file',
  empty_file: 'extra_file',
  stray_file: 'extra_file',
};

/** The entities a file-level defect applies to (`timeStamp` is a phone-app spelling). */
export const DEFECT_ENTITIES: Record<DefectKind, readonly Entity[]> = {
  numbers_as_strings: ENTITIES,
  duplicate_email: ['customer'],
  shared_serial: ['customer'],
  email_variant: ['customer', 'accelerometer'],
  trailing_comma: ENTITIES,
  key_case: ['accelerometer'],
  truncated_record: ENTITIES,
  crlf: ENTITIES,
  bom: ENTITIES,
  empty_file: ENTITIES,
  stray_file: ENTITIES,
};

/** Shares of the structural edge cases (not defects: the models handle them by rule). */
export interface Profile {
  /** Consenting customers whose consent came after registration, during their readings. */
  lateConsentShare: number;
  /** Consenting customers whose consent came after every reading (not curated under as_of_date). */
  consentAfterReadingsShare: number;
  /** Customers without consent whose record has `shareWithResearchAsOfDate: null` (the rest have no key). */
  nullConsentShare: number;
  /** Customers with a device but no phone reading. */
  deviceOnlyShare: number;
  /** Customers with phone readings who never used the device. */
  phoneOnlyShare: number;
  /** Readings (phone and device) of people with no customer record. */
  unregisteredShare: number;
  /** Customer records without an email (store demo units), with device readings. */
  noEmailShare: number;
  /** Birth dates with a year of fewer than four digits. */
  oddBirthYearShare: number;
}

export const DEFAULT_PROFILE: Profile = {
  lateConsentShare: 0.1,
  consentAfterReadingsShare: 0.03,
  nullConsentShare: 0.5,
  deviceOnlyShare: 0.01,
  phoneOnlyShare: 0.01,
  unregisteredShare: 0.005,
  noEmailShare: 0.001,
  oddBirthYearShare: 0.005,
};

export interface GenerateOptions {
  customers: number;
  /** Average phone (accelerometer) readings per customer; device readings are about a third. */
  readingsPerCustomer: number;
  /** Share of customers whose latest record carries research consent. */
  consentShare: number;
  /** Share of customers whose readings fall on the same milliseconds as the previous customer's. */
  sharedTimestampShare: number;
  defectRate: number;
  defects: readonly DefectKind[];
  seed: number;
  /** Upper bound of a landing file's size in bytes. */
  maxFileBytes: number;
  /** Data files per entity when the data is small enough (more when maxFileBytes requires). */
  minFiles: number;
  /** Epoch milliseconds of the first registration. */
  startMs: number;
  profile: Profile;
}

export const DEFAULTS: Omit<GenerateOptions, 'customers'> = {
  readingsPerCustomer: 85,
  consentShare: 0.5,
  sharedTimestampShare: 0.05,
  defectRate: 0,
  defects: DEFECT_KINDS,
  seed: 42,
  maxFileBytes: 64 * 2 ** 20,
  minFiles: 4,
  startMs: 1655560000000,
  profile: DEFAULT_PROFILE,
};

/** Mean phone readings per timestamp in the public data (mostly 3, sometimes 2, rarely 1). */
export const PHONE_READINGS_PER_TIMESTAMP = 0.84 * 3 + 0.157 * 2 + 0.003;

export function validateOptions(o: GenerateOptions): string[] {
  const problems: string[] = [];
  const int = (name: string, v: number, min: number) => {
    if (!Number.isSafeInteger(v) || v < min) problems.push(`${name} must be a whole number of at least ${min}, got ${v}`);
  };
  const share = (name: string, v: number) => {
    if (!Number.isFinite(v) || v < 0 || v > 1) problems.push(`${name} must be between 0 and 1, got ${v}`);
  };
  int('customers', o.customers, 1);
  int('seed', o.seed, 0);
  int('minFiles', o.minFiles, 1);
  int('maxFileBytes', o.maxFileBytes, 64 * 1024);
  if (!Number.isFinite(o.readingsPerCustomer) || o.readingsPerCustomer < 1 || o.readingsPerCustomer > 100_000) {
    problems.push(`readings per customer must be between 1 and 100000, got ${o.readingsPerCustomer}`);
  }
  share('consent share', o.consentShare);
  share('shared timestamp share', o.sharedTimestampShare);
  share('defect rate', o.defectRate);
  for (const [k, v] of Object.entries(o.profile)) share(k, v as number);
  for (const d of o.defects) if (!(DEFECT_KINDS as readonly string[]).includes(d)) problems.push(`unknown defect '${d}' (known: ${DEFECT_KINDS.join(', ')})`);
  return problems;
}

/** Whether defect `kind` is switched on (listed and the rate is above 0). */
export function defectOn(o: Pick<GenerateOptions, 'defectRate' | 'defects'>, kind: DefectKind): boolean {
  return o.defectRate > 0 && o.defects.includes(kind);
}

/** Customers that give about `rows` phone readings (some customers have no phone readings). */
export function customersFor(rows: number, readingsPerCustomer: number, profile: Profile = DEFAULT_PROFILE): number {
  const withPhone = 1 - profile.deviceOnlyShare - profile.noEmailShare;
  return Math.max(1, Math.round(rows / (readingsPerCustomer * withPhone)));
}
