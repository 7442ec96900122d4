/**
 * `stedi generate`: a landing zone in the S3 layout (`<out>/<entity>/landing/*.json`), made
 * customer by customer and streamed to disk. Memory is bounded by one customer's records plus
 * one write buffer per entity, whatever the number of customers. Deterministic: the same options
 * give the same bytes. Writes `<out>/_generate.json` (the options, the files, the defects
 * injected and the expected counts) beside the entity folders.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CustomerPlanner } from './customers.js';
import { emptyExpected, tally, type Expected } from './expect.js';
import { dataFileName, emptyFileName, fileIndex, planLayout, strayFile, type Layout } from './layout.js';
import { ENTITIES, type DefectKind, type Entity, type GenerateOptions } from './options.js';
import { customerLines } from './records.js';
import { EntityWriter, type EntityWriteStats } from './writer.js';

export const SUMMARY_FILE = '_generate.json';

export interface EntitySummary extends EntityWriteStats {
  customers_per_file: number;
  empty_files: number;
  stray_files: number;
}

export interface GenerateSummary {
  generator: 'stedi generate';
  options: GenerateOptions;
  entities: Record<Entity, EntitySummary>;
  /** How often each defect was injected: records, customers or files, per its kind. */
  defects: Partial<Record<DefectKind, number>>;
  expected: Expected;
}

export interface GenerateRun {
  /** Called about every `every` customers with the customers done so far. */
  onProgress?: (done: number) => void;
  every?: number;
}

/** The landing folder of an entity under the output root. */
export function landingDir(out: string, e: Entity): string {
  return path.join(out, e, 'landing');
}

/** Entity folders that already hold files (the generator refuses to mix data). */
export function occupied(out: string): string[] {
  return ENTITIES.map((e) => landingDir(out, e)).filter((d) => fs.existsSync(d) && fs.readdirSync(d).length > 0);
}

function fileDefectCounts(layout: Layout): Partial<Record<DefectKind, number>> {
  const out: Partial<Record<DefectKind, number>> = {};
  for (const l of Object.values(layout)) {
    for (const kinds of l.defects.values()) for (const k of kinds) if (k !== 'truncated_record') out[k] = (out[k] ?? 0) + 1;
    if (l.emptyFiles) out.empty_file = (out.empty_file ?? 0) + l.emptyFiles;
    if (l.strayFiles) out.stray_file = (out.stray_file ?? 0) + l.strayFiles;
  }
  return out;
}

export function generateLanding(o: GenerateOptions, out: string, run: GenerateRun = {}): GenerateSummary {
  const layout = planLayout(o);
  const writers = {} as Record<Entity, EntityWriter>;
  for (const e of ENTITIES) {
    fs.mkdirSync(landingDir(out, e), { recursive: true });
    writers[e] = new EntityWriter(landingDir(out, e), layout[e], o);
  }
  const planner = new CustomerPlanner(o, layout);
  const expected = emptyExpected();
  const defects = fileDefectCounts(layout);
  const bump = (k: DefectKind, n = 1) => {
    if (n) defects[k] = (defects[k] ?? 0) + n;
  };
  const every = run.every ?? 10_000;
  for (let j = 0; j < o.customers; j++) {
    const plan = planner.plan(j);
    const { lines, numbersAsStrings } = customerLines(plan, o, layout);
    for (const e of ENTITIES) writers[e].write(fileIndex(layout[e], j), lines[e]);
    tally(expected, plan);
    bump('numbers_as_strings', numbersAsStrings);
    if (plan.duplicate) bump('duplicate_email');
    if (plan.sharesSerial) bump('shared_serial');
    if (plan.variant || plan.blankEmail !== undefined) bump('email_variant');
    if (run.onProgress && (j + 1) % every === 0) run.onProgress(j + 1);
  }
  const entities = {} as Record<Entity, EntitySummary>;
  for (const e of ENTITIES) {
    const stats = writers[e].close();
    const l = layout[e];
    bump('truncated_record', stats.truncatedLines);
    for (let k = 0; k < l.emptyFiles; k++) fs.writeFileSync(path.join(landingDir(out, e), emptyFileName(e, o, k)), '');
    for (let k = 0; k < l.strayFiles; k++) {
      const s = strayFile(k);
      fs.writeFileSync(path.join(landingDir(out, e), s.name), s.text);
    }
    entities[e] = { ...stats, customers_per_file: l.customersPerFile, empty_files: l.emptyFiles, stray_files: l.strayFiles };
  }
  for (const e of ENTITIES) {
    if (entities[e].lines !== expected.landing[e]) throw new Error(`internal: ${e} has ${entities[e].lines} lines written but ${expected.landing[e]} expected`);
  }
  const summary: GenerateSummary = { generator: 'stedi generate', options: o, entities, defects, expected };
  fs.writeFileSync(path.join(out, SUMMARY_FILE), `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}

