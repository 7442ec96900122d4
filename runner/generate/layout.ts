/**
 * The file layout of a generated landing zone, fixed before any record is made: how many
 * customers' records go into each data file of an entity (so that no file exceeds the size
 * bound), the file names, which files carry which file-level defect, and the extra files
 * (empty, stray). Files are filled in customer order, so a customer's records of one entity are
 * always in one file and the generator holds one open file per entity. Pure.
 */
import { DEFECT_ENTITIES, DEFECT_KINDS, DEFECT_SCOPE, defectOn, ENTITIES, PHONE_READINGS_PER_TIMESTAMP, type DefectKind, type Entity, type GenerateOptions } from './options.js';
import { rngFor, STREAM, type Rng } from './rng.js';
import { MAX_NAME_LENGTH } from './names.js';

export type FileDefect = 'trailing_comma' | 'key_case' | 'truncated_record' | 'crlf' | 'bom';

export interface EntityLayout {
  entity: Entity;
  customersPerFile: number;
  files: number;
  /** Upper bound of the bytes one customer's records of this entity take. */
  bytesPerCustomer: number;
  /** File index → the file-level defects it carries. */
  defects: Map<number, Set<FileDefect>>;
  emptyFiles: number;
  strayFiles: number;
}

export type Layout = Record<Entity, EntityLayout>;

/** Most device readings (timestamps) a customer can have; the generator never exceeds it. */
export function maxTimestamps(readingsPerCustomer: number): number {
  return Math.max(1, Math.ceil((readingsPerCustomer / PHONE_READINGS_PER_TIMESTAMP) * 1.1));
}

/** Bytes an email_variant spelling may add to an email: escaped spaces around it and an escaped accent. */
export const EMAIL_VARIANT_BYTES = 2 * 6 + 7;

/**
 * Bytes bound of one line: the longest email (names, the customer number, the domain, and the
 * spelling of email_variant), the fixed keys, 13-digit epochs, quotes around a number sent as a
 * string, a trailing comma and CRLF.
 */
function lineBound(entity: Entity, o: Pick<GenerateOptions, 'customers' | 'defectRate' | 'defects'>): number {
  const variant = defectOn(o, 'email_variant') ? EMAIL_VARIANT_BYTES : 0;
  const email = 2 * MAX_NAME_LENGTH + 1 + String(o.customers).length + '@example.com'.length + variant;
  const slack = 2 + 1 + 2;
  if (entity === 'customer') return 330 + 2 * MAX_NAME_LENGTH + email + 8 * 2 + slack;
  if (entity === 'accelerometer') return 75 + email + slack;
  return 120 + slack;
}

export function bytesPerCustomer(entity: Entity, o: Pick<GenerateOptions, 'customers' | 'readingsPerCustomer' | 'defectRate' | 'defects'>): number {
  const records = 2 + (defectOn(o, 'email_variant') ? 1 : 0);
  const lines = entity === 'customer' ? records : entity === 'accelerometer' ? 3 * maxTimestamps(o.readingsPerCustomer) : maxTimestamps(o.readingsPerCustomer);
  return lines * lineBound(entity, o);
}

/** Problems that make a layout impossible (a single customer larger than the file bound). */
export function layoutProblems(o: GenerateOptions): string[] {
  const out: string[] = [];
  for (const e of ENTITIES) {
    const need = bytesPerCustomer(e, o) + 3;
    if (need > o.maxFileBytes) out.push(`one customer's ${e} records may take ${need} bytes, more than the file size bound of ${o.maxFileBytes}: raise the file size or lower the readings per customer`);
  }
  return out;
}

/** k distinct integers in [0, n), chosen with Floyd's algorithm (memory O(k)). */
function sample(rng: Rng, n: number, k: number): number[] {
  const chosen = new Set<number>();
  for (let j = n - k; j < n; j++) {
    const t = rng.int(0, j);
    chosen.add(chosen.has(t) ? j : t);
  }
  return [...chosen].sort((a, b) => a - b);
}

/** How many files a file-level or extra-file defect hits among `files`. */
export function defectFiles(o: GenerateOptions, files: number): number {
  return Math.min(files, Math.max(1, Math.ceil(o.defectRate * files)));
}

export function planLayout(o: GenerateOptions): Layout {
  const out = {} as Layout;
  ENTITIES.forEach((entity, ei) => {
    const bytes = bytesPerCustomer(entity, o);
    const bySize = Math.max(1, Math.floor((o.maxFileBytes - 3) / bytes));
    const customersPerFile = Math.max(1, Math.min(bySize, Math.ceil(o.customers / o.minFiles)));
    const files = Math.ceil(o.customers / customersPerFile);
    const defects = new Map<number, Set<FileDefect>>();
    let emptyFiles = 0;
    let strayFiles = 0;
    DEFECT_KINDS.forEach((kind: DefectKind, ki) => {
      if (!defectOn(o, kind) || !DEFECT_ENTITIES[kind].includes(entity)) return;
      const scope = DEFECT_SCOPE[kind];
      if (scope === 'extra_file') {
        if (kind === 'empty_file') emptyFiles = defectFiles(o, files);
        else strayFiles = defectFiles(o, files);
      } else if (scope === 'file') {
        const rng = rngFor(o.seed, ei * 64 + ki, STREAM.files);
        for (const f of sample(rng, files, defectFiles(o, files))) {
          const set = defects.get(f) ?? new Set<FileDefect>();
          set.add(kind as FileDefect);
          defects.set(f, set);
        }
      }
    });
    out[entity] = { entity, customersPerFile, files, bytesPerCustomer: bytes, defects, emptyFiles, strayFiles };
  });
  return out;
}

export function fileIndex(l: EntityLayout, customer: number): number {
  return Math.floor(customer / l.customersPerFile);
}

export function hasDefect(l: EntityLayout, file: number, d: FileDefect): boolean {
  return l.defects.get(file)?.has(d) ?? false;
}

/** Data file names sort in file order, like the delivery-time names of the public data. */
export function dataFileName(entity: Entity, o: Pick<GenerateOptions, 'startMs'>, file: number): string {
  return `${entity}-${o.startMs + file}.json`;
}

export function emptyFileName(entity: Entity, o: Pick<GenerateOptions, 'startMs'>, k: number): string {
  return `${entity}-${o.startMs + 900_000_000 + k}.json`;
}

const STRAY = ['_SUCCESS', 'notes.txt', '.DS_Store', 'upload.log'] as const;

export function strayFile(k: number): { name: string; text: string } {
  const base = STRAY[k % STRAY.length]!;
  const name = k < STRAY.length ? base : `${k}-${base}`;
  const text = base === '_SUCCESS' ? '' : base === '.DS_Store' ? '\u0000\u0000\u0000\u0001Bud1\u0000' : base === 'notes.txt' ? 'Delivery notes: resent after the upload was cut off.\n' : 'upload started\nupload finished\n';
  return { name, text };
}
