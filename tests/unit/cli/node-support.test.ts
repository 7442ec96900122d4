/**
 * The AWS SDK's Node.js version warning (runner/cli/node-support.ts): the SDK's documented switch
 * is what the installed SDK really checks, stedi's notice says it in one line, once, and a user
 * who set the switch hears nothing. The CLI end of it is in tests/integration/athena-dry-run.test.ts.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { announceNodeSupport, nodeSupportNotice, prepareNodeSupport, SDK_NODE_MAJOR, SDK_WARNING_SWITCH } from '../../../runner/cli/node-support.js';

const require = createRequire(import.meta.url);

/** Every copy of @aws-sdk/core the four clients stedi uses load. */
function sdkCores(): string[] {
  const files = new Set<string>();
  for (const client of ['@aws-sdk/client-athena', '@aws-sdk/client-glue', '@aws-sdk/client-s3', '@aws-sdk/client-secrets-manager']) {
    const fromClient = createRequire(require.resolve(client));
    files.add(fromClient.resolve('@aws-sdk/core/client'));
  }
  return [...files];
}

describe('the AWS SDK Node.js version warning', () => {
  it('is what the installed SDK emits: below Node.js 22, silenced only by the documented switch', () => {
    const cores = sdkCores();
    expect(cores.length).toBeGreaterThan(0);
    for (const file of cores) {
      const text = fs.readFileSync(file, 'utf8');
      expect(text, file).toContain(`process.env.${SDK_WARNING_SWITCH} === "true"`);
      expect(text, file).toContain(`const vv = ${SDK_NODE_MAJOR};`);
      expect(text, file).toContain('NodeVersionSupportWarning');
    }
  });

  it('a client made with the switch set prints nothing; without it, the SDK prints its warning on Node.js below 22', () => {
    const script = "const { AthenaClient } = require('@aws-sdk/client-athena'); new AthenaClient({ region: 'eu-west-1' });";
    const stderrOf = (env: NodeJS.ProcessEnv) => spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8' }).stderr;
    const { [SDK_WARNING_SWITCH]: _off, ...without } = process.env;
    expect(stderrOf({ ...without, [SDK_WARNING_SWITCH]: 'true' })).not.toContain('NodeVersionSupportWarning');
    const plain = stderrOf(without);
    if (Number(process.versions.node.split('.')[0]) < SDK_NODE_MAJOR) expect(plain).toContain('NodeVersionSupportWarning');
    else expect(plain).not.toContain('NodeVersionSupportWarning');
  });

  it("stedi's notice: one line, only below Node.js 22", () => {
    const n = nodeSupportNotice('v20.20.2')!;
    expect(n).toContain('Node.js v20.20.2');
    expect(n).toContain('Node.js 22 or later');
    expect(n).not.toContain('\n');
    expect(nodeSupportNotice('v22.0.0')).toBeUndefined();
    expect(nodeSupportNotice('v24.3.1')).toBeUndefined();
  });

  it('is printed once, at the first call; never when the user set the switch; the switch is set either way', () => {
    const lines: string[] = [];
    const env: NodeJS.ProcessEnv = {};
    prepareNodeSupport(env, 'v20.20.2', (l) => lines.push(l));
    expect(env[SDK_WARNING_SWITCH]).toBe('true');
    expect(lines).toEqual([]);
    announceNodeSupport();
    announceNodeSupport();
    expect(lines).toEqual([`warning: ${nodeSupportNotice('v20.20.2')}`]);

    lines.length = 0;
    prepareNodeSupport({ [SDK_WARNING_SWITCH]: 'true' }, 'v20.20.2', (l) => lines.push(l));
    announceNodeSupport();
    expect(lines).toEqual([]);

    prepareNodeSupport({}, 'v22.4.0', (l) => lines.push(l));
    announceNodeSupport();
    expect(lines).toEqual([]);
  });
});
