/**
 * `stedi init [dir]`: writes a new project (runner/cli/init-skeleton.ts) into a folder, created
 * if missing. Nothing is overwritten: a folder that already holds a project, or any file the
 * skeleton would write, is refused before anything is written. A .gitignore already there keeps
 * its lines and gains the skeleton's missing ones.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/diagnostics.js';
import type { Reporter } from '../execute/reporter.js';
import { PROJECT_NAME_RE } from '../project/projectfile.js';
import { GITIGNORE_LINES, projectNameFor, skeletonFiles } from './init-skeleton.js';

export interface InitOptions {
  name?: string;
}

export function initCommand(dirArg: string | undefined, opts: InitOptions, reporter: Reporter): number {
  const dir = path.resolve(dirArg ?? '.');
  const shown = dirArg === undefined ? '.' : path.normalize(dirArg).replace(/[\\/]+$/, '') || '.';
  const name = opts.name ?? projectNameFor(path.basename(dir));
  if (!PROJECT_NAME_RE.test(name)) throw new UserError(`--name '${name}' is not a valid project name: use lower-case letters, digits and _ (not starting with a digit)`);
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) throw new UserError(`${shown} exists and is not a folder`);
  const project = path.join(dir, 'stedi_project.yml');
  if (fs.existsSync(project)) throw new UserError(`${path.join(shown, 'stedi_project.yml')} exists: ${shown} already holds a stedi project; nothing was written (choose another folder, e.g. stedi init my_project)`);
  const files = skeletonFiles(name);
  const taken = Object.keys(files).filter((rel) => fs.existsSync(path.join(dir, rel)));
  if (taken.length) throw new UserError(`${taken.map((rel) => path.join(shown, rel)).join(', ')} ${taken.length === 1 ? 'exists' : 'exist'}: stedi init never overwrites a file; nothing was written (move ${taken.length === 1 ? 'it' : 'them'} away or choose another folder)`);
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text, { flag: 'wx' });
  }
  const ignore = gitignore(path.join(dir, '.gitignore'));
  reporter.info(`Created the stedi project '${name}' in ${shown}/: ${Object.keys(files).join(', ')}; ${ignore}`);
  reporter.info(`Next: ${shown === '.' ? '' : `cd ${shown} && `}npx stedi build   (builds the sample landing file on DuckDB; then stedi show --select events_trusted)`);
  return 0;
}

/** Writes .gitignore, or appends the lines it lacks; says which. */
function gitignore(file: string): string {
  if (!fs.existsSync(file)) {
    fs.writeFileSync(file, `${GITIGNORE_LINES.join('\n')}\n`, { flag: 'wx' });
    return '.gitignore';
  }
  const text = fs.readFileSync(file, 'utf8');
  const have = new Set(text.split(/\r?\n/).map((l) => l.trim()));
  const missing = GITIGNORE_LINES.filter((l) => !have.has(l) && !have.has(l.replace(/\/$/, '')));
  if (!missing.length) return '.gitignore kept as it was';
  fs.appendFileSync(file, `${text === '' || text.endsWith('\n') ? '' : '\n'}${missing.join('\n')}\n`);
  return `.gitignore kept, with ${missing.join(' ')} added`;
}
