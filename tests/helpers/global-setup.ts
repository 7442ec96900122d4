import { execFileSync } from 'node:child_process';

/** Integration tests run the real CLI (bin/stedi.js → dist/); build it once per test run. */
export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
