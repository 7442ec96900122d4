/** Golden files under tests/golden/athena: compared byte for byte; UPDATE_GOLDEN=1 rewrites them. */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';

export const GOLDEN_DIR = 'tests/golden/athena';

export function expectGolden(rel: string, text: string): void {
  const file = path.join(GOLDEN_DIR, rel);
  if (process.env.UPDATE_GOLDEN === '1') {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return;
  }
  if (!fs.existsSync(file)) throw new Error(`golden file ${file} is missing: run UPDATE_GOLDEN=1 npx vitest run tests/unit/athena and review the diff`);
  expect(text, `${file} differs (UPDATE_GOLDEN=1 rewrites it; review the diff)`).toBe(fs.readFileSync(file, 'utf8'));
}
