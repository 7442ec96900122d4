/**
 * Seeded pseudo-random numbers for the generator: sfc32 (a small, fast generator with a 128-bit
 * state), seeded from (seed, index, stream) through a 32-bit integer hash. Every customer draws
 * from streams of its own, so a customer's data does not depend on how many customers come
 * before it, on the file layout or on which defects are switched on. Pure.
 */

function mix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The independent random streams of one customer (and of the file layout). */
export const STREAM = { identity: 1, session: 2, defects: 3, format: 4, files: 5, phoneValues: 6, deviceValues: 7, variants: 8 } as const;

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(a: number, b: number, c: number, d: number) {
    this.a = a >>> 0;
    this.b = b >>> 0;
    this.c = c >>> 0;
    this.d = d >>> 0 || 1;
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** The next 32 random bits, as an unsigned integer. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [lo, hi], both included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.float() * xs.length)]!;
  }

  /** `n` random lower-case hex digits. */
  hex(n: number): string {
    let s = '';
    while (s.length < n) s += this.u32().toString(16).padStart(8, '0');
    return s.slice(0, n);
  }
}

/** The random stream `stream` of item `index` for a given seed (any safe integer). */
export function rngFor(seed: number, index: number, stream: number): Rng {
  const seedLo = seed >>> 0;
  const seedHi = Math.floor(seed / 4294967296) >>> 0;
  const idxLo = index >>> 0;
  const idxHi = Math.floor(index / 4294967296) >>> 0;
  const s = mix32(stream * 0x9e3779b9);
  return new Rng(mix32(seedLo ^ s), mix32(seedHi + mix32(idxLo ^ 0x85ebca6b)), mix32(idxLo + s + idxHi), mix32(seedLo + idxLo * 31 + stream));
}
