/**
 * The landing parts the Athena target writes for a landing folder, produced by the runner's own
 * Athena adapter (the real SDK clients over the in-memory simulator, as the unit tests of
 * tests/unit/athena run it): the folder is delivered to the simulated landing prefix, the STEDI
 * sources are built, and the parts each published landing table's symlink manifest lists are
 * copied out of the simulated S3, byte for byte (gzipped JSON lines), into local folders.
 */
import fs from 'node:fs';
import path from 'node:path';
import { adapterOptions, build, compileStedi, deliverLanding, fakeAws, newSim } from '../unit/athena/harness.js';

export interface LandingParts {
  /** The folder holding each published landing table's parts (accepted and `__rejects`), by name. */
  folders: Record<string, string>;
  /** The rows each of those tables holds, as the runner recorded them in Glue (`stedi_rows`). */
  rows: Record<string, number>;
}

export async function athenaLandingParts(landingDir: string, dest: string): Promise<LandingParts> {
  const sim = newSim();
  const aws = fakeAws(sim);
  try {
    deliverLanding(sim, landingDir);
    const { manifest, target } = compileStedi();
    const { results } = await build(target, manifest, adapterOptions(), 'build', undefined, (id) => id.startsWith('source.'));
    const failed = results.filter((r) => r.status === 'error');
    if (failed.length) throw new Error(`the Athena landing failed: ${failed.map((r) => `${r.name}: ${r.message}`).join('; ')}`);
    const out: LandingParts = { folders: {}, rows: {} };
    for (const [name, { table }] of sim.tables) {
      if (!table.Parameters?.stedi_node?.startsWith('source.')) continue;
      const listed = sim.bodies.get(`${table.StorageDescriptor!.Location!}manifest`);
      if (!listed) throw new Error(`${name}: no symlink manifest at ${table.StorageDescriptor!.Location!}`);
      const folder = path.join(dest, name);
      fs.rmSync(folder, { recursive: true, force: true });
      fs.mkdirSync(folder, { recursive: true });
      listed.toString('utf8').split('\n').filter(Boolean).forEach((uri, i) => {
        const body = sim.bodies.get(uri);
        if (!body) throw new Error(`${name}: the manifest lists ${uri}, which is not on the simulated S3`);
        fs.writeFileSync(path.join(folder, `${String(i).padStart(5, '0')}-${path.basename(uri)}`), body);
      });
      out.folders[name] = folder;
      out.rows[name] = Number(table.Parameters.stedi_rows);
    }
    return out;
  } finally {
    aws.restore();
  }
}
