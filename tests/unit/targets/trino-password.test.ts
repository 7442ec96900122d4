/**
 * Password authentication on the trino target (runner/adapters/trino/adapter.ts, client.ts): the
 * password comes only from STEDI_TRINO_PASSWORD, travels as HTTP Basic credentials on every
 * request, only over https:// or to this machine, and never appears in an error. A fake
 * coordinator on 127.0.0.1 records what the real client sends.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrinoClient } from '../../../runner/adapters/trino/client.js';
import { trinoPassword, TRINO_PASSWORD_ENV } from '../../../runner/adapters/trino/adapter.js';

const SECRET = 'pa55-w0rd:with colon';
let server: http.Server;
let url = '';
const seen: (string | undefined)[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push(req.headers.authorization);
    req.resume();
    req.on('end', () => {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      if (req.headers.authorization !== `Basic ${Buffer.from(`alice:${SECRET}`).toString('base64')}`) {
        res.writeHead(401, { 'content-type': 'text/plain' });
        res.end('Unauthorized');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      // two pages: the client must send the credentials on the nextUri too
      res.end(JSON.stringify(req.method === 'POST' ? { id: 'q1', nextUri: `${base}/v1/statement/q1/1` } : { id: 'q1', columns: [{ name: 'one', type: 'integer' }], data: [[1]], stats: { state: 'FINISHED' } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('trino password', () => {
  it('is read from the environment only, and sent as Basic credentials on every request of a query', async () => {
    const password = trinoPassword(url, { [TRINO_PASSWORD_ENV]: SECRET });
    expect(password).toBe(SECRET);
    seen.length = 0;
    const c = new TrinoClient({ url, user: 'alice', catalog: 'iceberg', schema: 's', password: password! });
    expect((await c.query('SELECT 1')).rows).toEqual([[1]]);
    expect(seen).toHaveLength(2);
    expect(new Set(seen)).toEqual(new Set([`Basic ${Buffer.from(`alice:${SECRET}`).toString('base64')}`]));
  });

  it('without it, no credentials are sent; a refusal names no password', async () => {
    expect(trinoPassword(url, {})).toBeUndefined();
    expect(trinoPassword(url, { [TRINO_PASSWORD_ENV]: '' })).toBeUndefined();
    const c = new TrinoClient({ url, user: 'alice', catalog: 'iceberg', schema: 's' });
    const e = await c.query('SELECT 1').catch((x: Error) => x);
    expect((e as Error).message).toBe(`the Trino coordinator at ${url} (401: Unauthorized) asks user 'alice' for a password: set STEDI_TRINO_PASSWORD (it is sent only over https://, or to this machine)`);
    const wrong = new TrinoClient({ url, user: 'alice', catalog: 'iceberg', schema: 's', password: 'not-it-0000' });
    const e2 = await wrong.query('SELECT 1').catch((x: Error) => x);
    expect((e2 as Error).message).toBe(`the Trino coordinator at ${url} (401: Unauthorized) refused the password of user 'alice': check STEDI_TRINO_PASSWORD`);
    expect((e2 as Error).message).not.toContain('not-it-0000');
  });

  it('is sent only over https:// or to this machine; otherwise nothing is sent and the error names no password', () => {
    for (const u of ['https://trino.example.com:8443', 'http://127.0.0.1:8080', 'http://localhost:8080', 'http://[::1]:8080']) expect(trinoPassword(u, { [TRINO_PASSWORD_ENV]: SECRET }), u).toBe(SECRET);
    for (const u of ['http://trino.example.com:8080', 'http://10.0.0.5:8080', 'ftp://127.0.0.1']) {
      let msg = '';
      try {
        trinoPassword(u, { [TRINO_PASSWORD_ENV]: SECRET });
      } catch (x) {
        msg = (x as Error).message;
      }
      expect(msg, u).toMatch(/sent only over https:\/\//);
      expect(msg).not.toContain(SECRET);
    }
    expect(() => trinoPassword('not a url', { [TRINO_PASSWORD_ENV]: SECRET })).toThrow(/is not a URL/);
  });
});
