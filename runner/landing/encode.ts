/**
 * The outcome of a range of lines as a classifier thread sends it back: the accepted values
 * column by column in typed arrays (transferred, not copied), text as UTF-8 bytes with offsets,
 * and the few rejects as plain objects. Measured (2026-11-30, 2 cores) on 80,000 accelerometer
 * rows per message, the main thread spends ~12 ms receiving and rebuilding them this way, ~40-60
 * ms when the text columns are string arrays (structured clone), and ~85-130 ms when the rows are
 * arrays (structured clone); the main thread is the one that feeds the sink, so its time is the
 * one that counts (the thread's side costs ~25-35 ms to encode, against ~40-50 ms to clone rows).
 *
 * Exact: bigint columns travel in a BigInt64Array (every declared bigint is within 64 bits),
 * integers in an Int32Array, doubles (and reals, already checked) in a Float64Array, which keeps
 * -0; a string that is not well-formed UTF-16 (a lone surrogate, which JSON allows as `\ud800`)
 * would not survive UTF-8, so it travels as is, beside the bytes.
 */
import type { Outcomes } from './tally.js';
import type { ColumnKind, LandingColumn, LandingValue, RejectReason } from './types.js';

/** One column of the accepted rows of a range: `nulls[i]` is 1 where row i holds null. */
export type EncodedColumn =
  | { kind: 'text'; nulls: Uint8Array; bytes: Uint8Array; ends: Uint32Array; odd: [number, string][] }
  | { kind: 'bigint'; nulls: Uint8Array; values: BigInt64Array }
  | { kind: 'int'; nulls: Uint8Array; values: Int32Array }
  | { kind: 'double'; nulls: Uint8Array; values: Float64Array }
  | { kind: 'boolean'; nulls: Uint8Array; values: Uint8Array };

/** A reject of the range: `at` accepted rows of the range come before it; `line` counts from the range's first line. */
export interface EncodedReject {
  at: number;
  line: number;
  reason: RejectReason;
  detail: string;
  raw: string;
}

export interface EncodedRows {
  rows: number;
  columns: EncodedColumn[];
  rejects: EncodedReject[];
}

type Store = 'text' | 'bigint' | 'int' | 'double' | 'boolean';
const STORE: Record<ColumnKind, Store> = { varchar: 'text', bigint: 'bigint', integer: 'int', smallint: 'int', tinyint: 'int', double: 'double', boolean: 'boolean' };

/** Whether UTF-8 holds the string exactly: no lone surrogate (Node 20's String.prototype.isWellFormed). */
const wellFormed = (s: string): boolean => (s as string & { isWellFormed(): boolean }).isWellFormed();

function grow<T extends Uint8Array | Uint32Array | Int32Array | Float64Array | BigInt64Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  const b = new (a.constructor as new (n: number) => T)(Math.max(need, a.length * 2));
  b.set(a as never);
  return b;
}

/** Collects the outcomes of a range (the `Outcomes` of a LineTally on a classifier thread). */
export class RowEncoder implements Outcomes {
  private rows = 0;
  private readonly rejects: EncodedReject[] = [];
  private readonly stores: Store[];
  private nulls: Uint8Array[];
  private values: (Uint8Array | Int32Array | Float64Array | BigInt64Array | undefined)[];
  // text columns: UTF-8 bytes (as a Buffer over its own ArrayBuffer, never Node's shared pool), ends, odd strings
  private bytes: (Buffer | undefined)[];
  private used: number[];
  private ends: (Uint32Array | undefined)[];
  private odd: [number, string][][];

  constructor(columns: LandingColumn[], expectedRows: number, expectedBytes: number) {
    const n = Math.max(16, expectedRows);
    this.stores = columns.map((c) => STORE[c.kind]);
    this.nulls = columns.map(() => new Uint8Array(n));
    this.values = this.stores.map((s) => (s === 'bigint' ? new BigInt64Array(n) : s === 'int' ? new Int32Array(n) : s === 'double' ? new Float64Array(n) : s === 'boolean' ? new Uint8Array(n) : undefined));
    this.bytes = this.stores.map((s) => (s === 'text' ? Buffer.from(new ArrayBuffer(Math.max(64, expectedBytes))) : undefined));
    this.used = this.stores.map(() => 0);
    this.ends = this.stores.map((s) => (s === 'text' ? new Uint32Array(n) : undefined));
    this.odd = this.stores.map(() => []);
  }

  accept(values: LandingValue[]): void {
    const r = this.rows++;
    for (let i = 0; i < this.stores.length; i++) {
      const v = values[i];
      const store = this.stores[i]!;
      if (r >= this.nulls[i]!.length) {
        this.nulls[i] = grow(this.nulls[i]!, r + 1);
        if (this.values[i]) this.values[i] = grow(this.values[i]!, r + 1);
        if (this.ends[i]) this.ends[i] = grow(this.ends[i]!, r + 1);
      }
      if (v === null || v === undefined) {
        this.nulls[i]![r] = 1;
        if (store === 'text') this.ends[i]![r] = this.used[i]!;
        continue;
      }
      switch (store) {
        case 'text': {
          const s = v as string;
          if (!wellFormed(s)) this.odd[i]!.push([r, s]);
          else {
            let b = this.bytes[i]!;
            // at most 3 bytes per UTF-16 code unit
            if (b.length - this.used[i]! < s.length * 3) {
              const bigger = Buffer.from(new ArrayBuffer(Math.max(b.length * 2, this.used[i]! + s.length * 3)));
              b.copy(bigger, 0, 0, this.used[i]!);
              this.bytes[i] = b = bigger;
            }
            this.used[i]! += b.write(s, this.used[i]!, 'utf8');
          }
          this.ends[i]![r] = this.used[i]!;
          break;
        }
        case 'bigint':
          (this.values[i] as BigInt64Array)[r] = v as bigint;
          break;
        case 'boolean':
          (this.values[i] as Uint8Array)[r] = v ? 1 : 0;
          break;
        default:
          (this.values[i] as Int32Array | Float64Array)[r] = v as number;
      }
    }
  }

  reject(line: number, reason: RejectReason, detail: string, raw: string): void {
    this.rejects.push({ at: this.rows, line, reason, detail, raw });
  }

  /** The encoded rows and the buffers to transfer with them. */
  finish(): { rows: EncodedRows; transfer: ArrayBuffer[] } {
    const transfer: ArrayBuffer[] = [];
    const columns = this.stores.map((store, i): EncodedColumn => {
      const nulls = this.nulls[i]!;
      transfer.push(nulls.buffer as ArrayBuffer);
      if (store === 'text') {
        const bytes = new Uint8Array(this.bytes[i]!.buffer, 0, this.used[i]!);
        const ends = this.ends[i]!;
        transfer.push(bytes.buffer as ArrayBuffer, ends.buffer as ArrayBuffer);
        return { kind: 'text', nulls, bytes, ends, odd: this.odd[i]! };
      }
      const values = this.values[i]!;
      transfer.push(values.buffer as ArrayBuffer);
      return { kind: store, nulls, values } as EncodedColumn;
    });
    return { rows: { rows: this.rows, columns, rejects: this.rejects }, transfer };
  }
}

/** Hands the accepted rows and rejects of a range to `out`, in line order (rejects' lines shifted by `base`). */
export function replay(rows: EncodedRows, base: number, out: Outcomes): void {
  const readers = rows.columns.map(columnReader);
  const acceptUpTo = (end: number) => {
    for (; next < end; next++) {
      const values: LandingValue[] = new Array(readers.length);
      for (let i = 0; i < readers.length; i++) values[i] = readers[i]!(next);
      out.accept(values);
    }
  };
  let next = 0;
  for (const r of rows.rejects) {
    acceptUpTo(r.at);
    out.reject(base + r.line, r.reason, r.detail, r.raw);
  }
  acceptUpTo(rows.rows);
}

function columnReader(c: EncodedColumn): (row: number) => LandingValue {
  const nulls = c.nulls;
  switch (c.kind) {
    case 'text': {
      const b = Buffer.from(c.bytes.buffer, c.bytes.byteOffset, c.bytes.byteLength);
      const ends = c.ends;
      const odd = new Map(c.odd);
      return (r) => {
        if (nulls[r]) return null;
        if (odd.size && odd.has(r)) return odd.get(r)!;
        return b.toString('utf8', r === 0 ? 0 : ends[r - 1]!, ends[r]!);
      };
    }
    case 'boolean': {
      const v = c.values;
      return (r) => (nulls[r] ? null : v[r] === 1);
    }
    default: {
      const v = c.values;
      return (r) => (nulls[r] ? null : v[r]!);
    }
  }
}
