/**
 * Bundles the page's script (runner/docs/app, with elkjs, d3 and the runner's own selector code)
 * into one IIFE with esbuild, at generation time. Runs from the compiled runner (dist/…/app/main.js)
 * or from the sources (app/main.ts) alike.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export async function bundleApp(): Promise<string> {
  const entry = ['./app/main.js', './app/main.ts'].map((p) => fileURLToPath(new URL(p, import.meta.url))).find((p) => fs.existsSync(p));
  if (!entry) throw new Error('internal: the docs app (app/main.js) is missing');
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: ['chrome100', 'firefox100', 'safari15'],
    minify: true,
    legalComments: 'inline',
    logLevel: 'silent',
  });
  const file = out.outputFiles[0];
  if (!file) throw new Error('internal: esbuild produced no output for the docs app');
  return file.text;
}
