/** Seeded near-canonical landing lines (runner/landing/canonical.ts): canonical ones and the ones just outside the grammar. */

/** Columns of every kind a landing column can have (a 32-bit real included). */
export const EVERY_KIND = [
  { name: 's', data_type: 'varchar' },
  { name: 'b', data_type: 'bigint' },
  { name: 'i', data_type: 'integer' },
  { name: 'sm', data_type: 'smallint' },
  { name: 't', data_type: 'tinyint' },
  { name: 'd', data_type: 'double' },
  { name: 'r', data_type: 'real' },
  { name: 'f', data_type: 'boolean' },
];

/** A small deterministic generator (mulberry32). */
export function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Near-canonical value texts: canonical ones and the ones just outside the grammar. */
export function fuzzValue(rnd: () => number): string {
  const pick = <T,>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const digits = (n: number) => Array.from({ length: n }, (_, i) => String(i === 0 ? 1 + Math.floor(rnd() * 9) : Math.floor(rnd() * 10))).join('');
  switch (Math.floor(rnd() * 12)) {
    case 0: return pick(['null', 'true', 'false', '"true"', '"1"', '""', 'NaN', '[]', '{}']);
    case 1: return `"${pick(['a', 'Zoë', '🚀', 'a\\"b', 'a\\u0041', 'tab\there', 'x,y}z', 'é\u0301', '\u007f', ''])}"`;
    case 2: return `${pick(['', '-'])}${digits(1 + Math.floor(rnd() * 20))}`;
    case 3: return `${pick(['', '-'])}${pick(['0', digits(1 + Math.floor(rnd() * 16))])}.${digits(1 + Math.floor(rnd() * 17)).split('').reverse().join('')}`;
    case 4: return pick(['0', '-0', '-0.0', '0.0', '00', '01', '1.', '.5', '1e2', '1E-3', '-0e0', '+1', '0x10']);
    case 5: return `0.${'0'.repeat(Math.floor(rnd() * 16))}${digits(1 + Math.floor(rnd() * 3))}`;
    case 6: return String(Math.floor(rnd() * 300) - 150);
    case 7: return `${digits(Math.floor(rnd() * 10) + 1)}`;
    default: return (rnd() * 2000 - 1000).toFixed(Math.floor(rnd() * 16));
  }
}

/** A near-canonical line: shapes, separators and values around the grammar's edges. */
export function fuzzLine(rnd: () => number, names: string[]): string {
  const pick = <T,>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const keys = rnd() < 0.9 ? names : [...names].sort(() => rnd() - 0.5).slice(0, 1 + Math.floor(rnd() * names.length));
  const sep = () => pick([',', ',', ', ', ',  ', ' ,']);
  const colon = () => pick([':', ':', ': ', ' :']);
  const body = keys.map((k) => `"${rnd() < 0.03 ? k.toUpperCase() : k}"${colon()}${fuzzValue(rnd)}`);
  let line = `{${body.join(sep())}}`;
  if (rnd() < 0.03) line = `${line},`;
  if (rnd() < 0.02) line = ` ${line}`;
  return line;
}

