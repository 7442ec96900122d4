/**
 * The openx-json test peer: reads JSON lines with Trino's own OpenX JSON SerDe reader
 * (io.trino:trino-hive-formats, what Athena engine v3 runs for org.openx.data.jsonserde.JsonSerDe
 * tables). Built by tests/peers/build.sh into tests/peers/dist/openx-json/.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** columns: Trino types (varchar, bigint, integer, smallint, tinyint, double, real, boolean); serde: the table's SerDe parameters. */
export interface OpenXRequest { columns: { name: string; type: string }[]; serde: Record<string, string>; lines: string[] }

/** values: null for SQL NULL, varchar as itself, integers as exact decimal digits, double/real as Java's toString, boolean as is. */
export type OpenXRow = { ok: true; values: (string | boolean | null)[] } | { ok: false; error: string };

const DIST = path.join(path.dirname(fileURLToPath(import.meta.url)), 'dist');

/** undefined when the peer is not built (tests/peers/dist/openx-json/java.path missing). */
export function openxPeer(): ((req: OpenXRequest) => OpenXRow[]) | undefined {
  const dir = path.join(DIST, 'openx-json');
  if (!fs.existsSync(path.join(dir, 'java.path'))) return undefined;
  const java = fs.readFileSync(path.join(dir, 'java.path'), 'utf8').trim();
  return (req) => {
    const r = spawnSync(java, ['-cp', `${dir}/classes:${dir}/lib/*`, 'stedi.OpenXJsonPeer'], { input: JSON.stringify(req), encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`openx-json peer failed (exit ${r.status ?? r.signal}): ${r.stderr}`);
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('OK ') || l.startsWith('ERR ')).map((l): OpenXRow =>
      l.startsWith('OK ') ? { ok: true, values: JSON.parse(l.slice(3)) as (string | boolean | null)[] } : { ok: false, error: l.slice(4) });
    if (rows.length !== req.lines.length) throw new Error(`openx-json peer answered ${rows.length} rows for ${req.lines.length} lines: ${r.stdout}${r.stderr}`);
    return rows;
  };
}
