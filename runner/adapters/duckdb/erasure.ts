/**
 * The local target's side of `stedi forget` (ErasureAccess, runner/adapters/types.ts): the erasure
 * log is `<lake_dir>/_stedi_erasures.jsonl`, landing files are rewritten by a temporary file
 * renamed over them (only if the file's size, modification time and inode are still those seen
 * when it was listed), versions are the lake's version folders and `_stedi.history`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { duckdbDialect } from '../../dialect/duckdb.js';
import { isLandingFileName } from '../../landing/classify.js';
import { appendErasureLog, erasureLogPath, readErasureLog } from '../../landing/erasure-log.js';
import type { SourceNode } from '../../manifest/types.js';
import { EngineError, type ErasureAccess, type ForgetFile, type QueryResult, type RecordedFile } from '../types.js';
import { listOwnedVersionDirs, type Owner } from './lake.js';

const lit = duckdbDialect.quoteString;
const q = duckdbDialect.quoteIdent;

function stamp(st: fs.Stats): string {
  return `${st.size}:${st.mtimeMs}:${st.ino}`;
}

/**
 * `claim`: claims the lake folder for this target as a build would (runner/adapters/duckdb/lake.ts),
 * before the log is first written: a target forgotten before its first build gets its lake marked,
 * and a folder of other files is refused before anything is written into it.
 */
export function localErasure(lakeDir: string, owner: Owner, query: (sql: string) => Promise<QueryResult>, claim: () => void): ErasureAccess {
  const logFile = erasureLogPath(lakeDir);
  return {
    logLocation: logFile,
    readLog: async () => readErasureLog(logFile),
    appendLog: async (entry) => {
      claim();
      appendErasureLog(logFile, entry);
    },
    async listLanding(node: SourceNode): Promise<ForgetFile[]> {
      let names: string[];
      try {
        names = fs.readdirSync(node.location, { withFileTypes: true }).filter((e) => e.isFile() && isLandingFileName(e.name)).map((e) => e.name).sort();
      } catch (e) {
        throw new EngineError(`cannot list the landing folder ${node.location} (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { path: node.location });
      }
      return names.map((name) => {
        const p = path.join(node.location, name);
        return { name, path: p, token: stamp(fs.statSync(p)) };
      });
    },
    async readLanding(file) {
      return fs.readFileSync(file.path);
    },
    async replaceLanding(file, bytes) {
      if (stamp(fs.statSync(file.path)) !== file.token) throw new EngineError(`${file.name} changed while stedi forget ran; nothing of it was replaced (run stedi build, then stedi forget again)`, { path: file.path });
      const tmp = path.join(path.dirname(file.path), `.${path.basename(file.path)}.stedi-forget`);
      fs.writeFileSync(tmp, bytes, { mode: fs.statSync(file.path).mode });
      const fd = fs.openSync(tmp, 'r');
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      fs.renameSync(tmp, file.path);
    },
    async recordedFiles(node) {
      const source = `${node.source_name}.${node.name}`;
      const r = await query(`SELECT name, sha256, removed, accepted, rejected FROM _stedi.landing_files WHERE source = ${lit(source)}`);
      if (!r.rows.length) return undefined;
      return r.rows.map((x): RecordedFile => ({ name: String(x.name), sha256: String(x.sha256), removed: x.removed === true, rows: Number(x.accepted) + Number(x.rejected) }));
    },
    storedVersions: async () => listOwnedVersionDirs(lakeDir, owner).map((d) => path.resolve(d)).sort(),
    olderVersions: async () => Number((await query('SELECT count(*) AS n FROM _stedi.history')).rows[0]!.n),
    // a local engine keeps no query history: the values themselves, any case, anywhere in the text (a reject's raw line)
    holding(column, values) {
      if (!values.length) return 'FALSE';
      const c = `lower(${q(column)})`;
      return `(${c} IN (${values.map(lit).join(', ')}) OR ${values.map((v) => `strpos(${c}, ${lit(v)}) > 0`).join(' OR ')})`;
    },
    async outOfReach(_landing: string[]) {
      return [
        'copies of the landing files outside the landing folder (backups, archives, the devices themselves): delete them where they are',
        'copies of the lake made outside stedi (file backups, snapshots of the disk): delete or expire them',
      ];
    },
  };
}
