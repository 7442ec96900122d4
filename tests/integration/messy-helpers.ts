/**
 * Shared by the messy-*.test.ts files: a temp copy of the STEDI project whose landing zone is a
 * copy of the hand-made corpus in tests/fixtures/messy (see its README for every defect).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { copyProjectInto, query, REPO, type Row } from '../helpers/stedi.js';

export const CORPUS = path.join(REPO, 'tests', 'fixtures', 'messy', 'landing');
export const VARS = ['--vars', '{landing_root: landing}'];
export const TABLES = ['customer_trusted', 'accelerometer_trusted', 'customer_curated', 'step_trainer_trusted', 'machine_learning_curated'] as const;
const ZONE: Record<string, string> = { customer_trusted: 'trusted', accelerometer_trusted: 'trusted', step_trainer_trusted: 'trusted', customer_curated: 'curated', machine_learning_curated: 'curated' };

const made: string[] = [];

/** The STEDI project (models, macros, seeds) with the corpus as its `landing/` folder. */
export function stediWithCorpus(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stedi-messy-'));
  made.push(dir);
  copyProjectInto(dir);
  fs.cpSync(CORPUS, path.join(dir, 'landing'), { recursive: true });
  return dir;
}

export function removeCopies(): void {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** Row counts of the five zone tables. */
export async function counts(dir: string): Promise<Record<string, number>> {
  const rows = await query(dir, TABLES.map((t) => `select '${t}' as t, count(*) as n from ${ZONE[t]}.${t}`).join(' union all '));
  return Object.fromEntries(rows.map((r) => [String(r.t), Number(r.n)]));
}

/** Every row of the landing tables and the zone tables, for before/after comparisons. */
export async function everything(dir: string): Promise<Record<string, Row[]>> {
  const out: Record<string, Row[]> = {};
  const rels = ['landing.customer', 'landing.accelerometer', 'landing.step_trainer', 'landing.customer__rejects', 'landing.accelerometer__rejects', 'landing.step_trainer__rejects', ...TABLES.map((t) => `${ZONE[t]}.${t}`), 'audit.reconciliation'];
  for (const r of rels) out[r] = await query(dir, `select * from ${r} order by all`);
  return out;
}

/** Replaces `old` by `text` in a project file (each exactly once). */
export function edit(dir: string, rel: string, old: string, text: string): void {
  const file = path.join(dir, rel);
  const body = fs.readFileSync(file, 'utf8');
  if (body.split(old).length !== 2) throw new Error(`expected exactly one '${old}' in ${rel}`);
  fs.writeFileSync(file, body.replace(old, text));
}
