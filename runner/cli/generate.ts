/**
 * `stedi generate`: writes a realistic landing zone (customers, phone and Step Trainer readings,
 * optional defects of messy deliveries) for tests and benchmarks. The command body; the work is
 * in runner/generate/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { UserError } from '../core/diagnostics.js';
import { generateLanding, landingDir, occupied, SUMMARY_FILE, type GenerateSummary } from '../generate/generate.js';
import { layoutProblems } from '../generate/layout.js';
import { customersFor, DEFAULTS, DEFECT_KINDS, ENTITIES, validateOptions, type DefectKind, type GenerateOptions } from '../generate/options.js';

export interface GenerateCliOptions {
  out: string;
  customers?: string;
  accelerometerRows?: string;
  readingsPerCustomer: string;
  consentShare: string;
  sharedTimestampShare: string;
  defectRate: string;
  defects: string;
  seed: string;
  maxFileSize: string;
  minFiles: string;
  overwrite?: boolean;
  output: 'text' | 'json';
  quiet?: boolean;
}

const SUFFIX: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9 };
const BYTES: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30 };

/** `50M`, `10k`, `1_000_000` → a whole number. */
export function parseCount(flag: string, s: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?)\s*$/i.exec(s.replace(/_/g, ''));
  const n = m ? Math.round(Number(m[1]) * SUFFIX[m[2]!.toLowerCase()]!) : NaN;
  if (!Number.isSafeInteger(n)) throw new UserError(`${flag} must be a whole number such as 20000, 1M or 50M, not '${s}'`);
  return n;
}

/** `64MB`, `512KiB`, `1000000` → bytes. */
export function parseBytes(flag: string, s: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(s);
  const unit = BYTES[m?.[2]?.toLowerCase() ?? 'x'];
  if (!m || unit === undefined) throw new UserError(`${flag} must be a size such as 64MB or 512KiB, not '${s}'`);
  return Math.round(Number(m[1]) * unit);
}

function parseNumber(flag: string, s: string): number {
  const n = Number(s);
  if (s.trim() === '' || !Number.isFinite(n)) throw new UserError(`${flag} must be a number, not '${s}'`);
  return n;
}

export function optionsFromCli(c: GenerateCliOptions): GenerateOptions {
  const readingsPerCustomer = parseNumber('--readings-per-customer', c.readingsPerCustomer);
  if (c.customers !== undefined && c.accelerometerRows !== undefined) throw new UserError('give --customers or --accelerometer-rows, not both');
  if (c.customers === undefined && c.accelerometerRows === undefined) throw new UserError('say how much to generate: --customers N or --accelerometer-rows N');
  const customers = c.customers !== undefined ? parseCount('--customers', c.customers) : customersFor(parseCount('--accelerometer-rows', c.accelerometerRows!), readingsPerCustomer);
  const defects = c.defects.trim() === 'all' ? [...DEFECT_KINDS] : c.defects.split(',').map((d) => d.trim()).filter(Boolean);
  const o: GenerateOptions = {
    ...DEFAULTS,
    customers,
    readingsPerCustomer,
    consentShare: parseNumber('--consent-share', c.consentShare),
    sharedTimestampShare: parseNumber('--shared-timestamp-share', c.sharedTimestampShare),
    defectRate: parseNumber('--defect-rate', c.defectRate),
    defects: defects as DefectKind[],
    seed: parseCount('--seed', c.seed),
    maxFileBytes: parseBytes('--max-file-size', c.maxFileSize),
    minFiles: parseCount('--min-files', c.minFiles),
  };
  const problems = validateOptions(o);
  if (problems.length === 0) problems.push(...layoutProblems(o));
  if (problems.length) throw new UserError(`stedi generate: ${problems.join('; ')}`);
  return o;
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function report(s: GenerateSummary, elapsed: number, out: (line: string) => void): void {
  const o = s.options;
  out(`Generated ${o.customers} customers (seed ${o.seed}, defect rate ${o.defectRate}) in ${elapsed.toFixed(1)}s`);
  for (const e of ENTITIES) {
    const x = s.entities[e];
    const extra = x.empty_files + x.stray_files ? ` + ${x.empty_files} empty, ${x.stray_files} stray` : '';
    out(`  ${e.padEnd(14)} ${String(x.lines).padStart(12)} records  ${String(x.files).padStart(5)} files${extra}  ${mb(x.bytes).padStart(11)}  (largest file ${mb(x.largestFileBytes)})`);
  }
  const d = Object.entries(s.defects);
  if (d.length) out(`  defects: ${d.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const t = s.expected.tables.as_of_date;
  out(`  expected (consent_policy as_of_date): ${Object.entries(t).map(([k, v]) => `${k} ${v}`).join(', ')}`);
}

export async function generateCommand(c: GenerateCliOptions, out: (line: string) => void): Promise<number> {
  const o = optionsFromCli(c);
  const root = path.resolve(c.out);
  const busy = occupied(root);
  if (busy.length && !c.overwrite) {
    throw new UserError(`stedi generate: ${busy.map((d) => path.join(c.out, path.relative(root, d))).join(', ')} already hold files; pass --overwrite to replace them, or choose another --out`);
  }
  for (const e of ENTITIES) fs.rmSync(landingDir(root, e), { recursive: true, force: true });
  fs.rmSync(path.join(root, SUMMARY_FILE), { force: true });
  const started = process.hrtime.bigint();
  let maxHeap = process.memoryUsage().heapUsed;
  const summary = generateLanding(o, root, {
    every: 5000,
    onProgress: () => {
      maxHeap = Math.max(maxHeap, process.memoryUsage().heapUsed);
    },
  });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  if (c.output === 'json') {
    out(JSON.stringify({ ...summary, elapsed_s: elapsed, peak_rss_bytes: peakRss, max_heap_used_bytes: maxHeap }));
  } else if (!c.quiet) {
    report(summary, elapsed, out);
    out(`  peak resident memory ${mb(peakRss)}, largest heap ${mb(maxHeap)}; summary in ${path.join(c.out, SUMMARY_FILE)}`);
  }
  return 0;
}

/** Adds `stedi generate` to the program. */
export function addGenerateCommand(program: Command, setCode: (code: number) => void, out: (line: string) => void): void {
  const d = DEFAULTS;
  program
    .command('generate')
    .description('write realistic landing data (S3 layout: <out>/<entity>/landing/*.json), deterministic for a seed')
    .requiredOption('--out <dir>', 'landing root to write (use it as the landing_root var)')
    .option('--customers <n>', 'number of customers, e.g. 20000 or 1M')
    .option('--accelerometer-rows <n>', 'or: about this many phone readings in total, e.g. 50M (customers = rows / readings per customer)')
    .option('--readings-per-customer <n>', 'average phone readings per customer; device readings are about a third (one per timestamp)', String(d.readingsPerCustomer))
    .option('--consent-share <share>', 'share of customers whose latest record has research consent (the rest: no key or null)', String(d.consentShare))
    .option('--shared-timestamp-share <share>', "share of customers whose readings fall on the previous customer's milliseconds", String(d.sharedTimestampShare))
    .option('--defect-rate <rate>', 'rate of messy-data defects: per record or customer for record-level kinds; ⌈rate × files⌉ files (at least 1) for file-level kinds; 0 = clean', String(d.defectRate))
    .option('--defects <kinds>', `comma-separated defect kinds, or all: ${DEFECT_KINDS.join(', ')}`, 'all')
    .option('--seed <n>', 'random seed: the same options and seed give the same bytes', String(d.seed))
    .option('--max-file-size <size>', 'upper bound of a landing file, e.g. 64MB or 512KiB', '64MiB')
    .option('--min-files <n>', 'data files per entity when the data is small (more when the size bound requires)', String(d.minFiles))
    .option('--overwrite', 'replace the entity landing folders under --out if they hold files')
    .addOption(new Option('--output <format>', 'text, or json (the summary with expected counts, time and peak memory)').choices(['text', 'json']).default('text'))
    .option('-q, --quiet', 'print nothing on success')
    .addHelpText(
      'after',
      `
What it writes: customers (records with and without research consent, some consenting after some
readings), phone readings (1-3 per millisecond) and Step Trainer readings (one per millisecond)
sharing each customer's timestamps, some timestamps shared across customers, plus a few
unregistered users, records without email, devices without phone readings and phones without
devices. Beside the entity folders, ${SUMMARY_FILE} holds the options, files, defects injected and
the row counts a correct build reports (tables and reconciliation) under both consent policies.

Example:
  stedi generate --accelerometer-rows 1M --seed 42 --out data/landing
  stedi build --vars '{landing_root: data/landing}'`,
    )
    .action(async (opts: GenerateCliOptions) => {
      setCode(await generateCommand(opts, out));
    });
}
