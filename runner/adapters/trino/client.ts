/**
 * A Trino coordinator over its client REST protocol: POST the statement to /v1/statement, follow
 * `nextUri` until it is gone, gather `columns` and `data`; DELETE the current `nextUri` cancels
 * the query (the protocol's documented way). Written on Node's fetch rather than the npm
 * `trino-client` (0.2.9, on axios), which takes no AbortSignal: here the signal of a call aborts
 * the request in flight and then cancels the query on the coordinator.
 *
 * Values reach the engine as prepared-statement parameters (`EXECUTE … USING`) only when the
 * caller passes them; they are never logged.
 */
import { EngineError } from '../types.js';

/** The variable a Trino password is read from: never a setting, so it is in no project file, manifest or log. */
export const TRINO_PASSWORD_ENV = 'STEDI_TRINO_PASSWORD';

export interface TrinoConnection {
  /** http://host:port */
  url: string;
  user: string;
  password?: string;
  catalog: string;
  schema: string;
}

export interface TrinoColumn {
  name: string;
  type: string;
}

export interface TrinoResult {
  id: string;
  columns: TrinoColumn[];
  rows: unknown[][];
  /** Rows a CREATE TABLE AS or INSERT wrote. */
  updateCount?: number;
}

interface Page {
  id: string;
  nextUri?: string;
  columns?: TrinoColumn[];
  data?: unknown[][];
  updateCount?: number;
  stats?: { state?: string };
  error?: { message?: string; errorName?: string; errorType?: string };
}

export class TrinoClient {
  /** The nextUri of every query in flight, to cancel them all at once. */
  private readonly inFlight = new Map<string, string>();

  constructor(private readonly conn: TrinoConnection) {}

  private headers(session: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = { 'X-Trino-User': this.conn.user, 'X-Trino-Catalog': this.conn.catalog, 'X-Trino-Schema': this.conn.schema, 'X-Trino-Source': 'stedi' };
    const props = Object.entries(session);
    if (props.length) h['X-Trino-Session'] = props.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join(',');
    if (this.conn.password !== undefined) h.Authorization = `Basic ${Buffer.from(`${this.conn.user}:${this.conn.password}`).toString('base64')}`;
    return h;
  }

  /**
   * Runs one statement to its end; an EngineError with Trino's message when it fails, is cancelled
   * or the signal aborts it. `session`: session properties of this statement alone (e.g.
   * `iceberg.expire_snapshots_min_retention`), sent as X-Trino-Session.
   */
  async query(sql: string, signal?: AbortSignal, session?: Record<string, string>): Promise<TrinoResult> {
    signal?.throwIfAborted();
    let page = await this.fetchPage(`${this.conn.url}/v1/statement`, { method: 'POST', body: sql, ...(session ? { session } : {}) }, signal);
    const out: TrinoResult = { id: page.id, columns: [], rows: [] };
    try {
      for (;;) {
        if (page.columns && !out.columns.length) out.columns = page.columns.map((c) => ({ name: c.name, type: c.type }));
        if (page.data) for (const r of page.data) out.rows.push(r);
        if (page.updateCount !== undefined) out.updateCount = page.updateCount;
        if (page.error) throw new EngineError(`Trino: ${page.error.errorName ? `${page.error.errorName}: ` : ''}${page.error.message ?? 'query failed'}`, { queryId: page.id });
        if (!page.nextUri) return out;
        this.inFlight.set(page.id, page.nextUri);
        page = await this.fetchPage(page.nextUri, { method: 'GET' }, signal);
      }
    } catch (e) {
      if (signal?.aborted) {
        await this.cancel(page.id);
        throw new EngineError(`query ${page.id} was cancelled: the run was stopped`, { queryId: page.id });
      }
      throw e;
    } finally {
      this.inFlight.delete(page.id);
    }
  }

  /** Cancels a query in flight (DELETE of its nextUri); nothing when it has finished. */
  async cancel(id: string): Promise<void> {
    const next = this.inFlight.get(id);
    this.inFlight.delete(id);
    if (!next) return;
    await fetch(next, { method: 'DELETE', headers: this.headers() }).then((r) => r.body?.cancel(), () => undefined);
  }

  async cancelAll(): Promise<void> {
    await Promise.all([...this.inFlight.keys()].map((id) => this.cancel(id)));
  }

  /** Why the coordinator said 401, and what to do; never the password. */
  private unauthorized(text: string): string {
    const said = text.replace(/\s+/g, ' ').trim().slice(0, 200);
    const who = `the Trino coordinator at ${this.conn.url} (401${said ? `: ${said}` : ''})`;
    if (this.conn.password === undefined) return `${who} asks user '${this.conn.user}' for a password: set ${TRINO_PASSWORD_ENV} (it is sent only over https://, or to this machine)`;
    return `${who} refused the password of user '${this.conn.user}': check ${TRINO_PASSWORD_ENV}`;
  }

  private async fetchPage(url: string, init: { method: string; body?: string; session?: Record<string, string> }, signal?: AbortSignal): Promise<Page> {
    const { session, ...request } = init;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(url, { ...request, headers: this.headers(session), ...(signal ? { signal } : {}) });
      } catch (e) {
        if (signal?.aborted) throw e;
        throw new EngineError(`the Trino coordinator at ${this.conn.url} could not be reached: ${(e as Error).message}`);
      }
      // 502/503/504: the coordinator is busy; the protocol asks the client to retry the same URI
      if ([502, 503, 504].includes(res.status) && attempt < 10) {
        await res.body?.cancel();
        await new Promise((r) => setTimeout(r, 50 * 2 ** Math.min(attempt, 6)));
        continue;
      }
      const text = await res.text();
      if (res.status === 401) throw new EngineError(this.unauthorized(text));
      if (!res.ok) throw new EngineError(`the Trino coordinator at ${this.conn.url} answered ${res.status}: ${text.slice(0, 300)}`);
      return JSON.parse(text) as Page;
    }
  }
}
