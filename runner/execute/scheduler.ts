/**
 * Runs tasks of a DAG with at most `threads` at once. A task starts as soon as its own parents
 * have finished (not in depth-wide batches); a failure skips only its descendants. Under
 * `failFast` the first failure stops new starts and aborts the tasks in flight.
 */
export type Outcome = 'ok' | 'failed' | 'skipped';

export interface Task {
  id: string;
  parents: string[];
  run(signal: AbortSignal): Promise<'ok' | 'failed'>;
}

export interface ScheduleOptions {
  threads: number;
  failFast?: boolean;
  signal?: AbortSignal;
  /** Told about each task that will not run, with the id of the failure that caused it. */
  onSkip?(id: string, cause: string | undefined): void;
}

export async function schedule(tasks: Task[], opts: ScheduleOptions): Promise<Map<string, Outcome>> {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const children = new Map<string, string[]>();
  const waiting = new Map<string, number>();
  for (const t of tasks) {
    const ps = t.parents.filter((p) => byId.has(p));
    waiting.set(t.id, ps.length);
    for (const p of ps) children.set(p, [...(children.get(p) ?? []), t.id]);
  }
  const outcome = new Map<string, Outcome>();
  const ready = tasks.filter((t) => waiting.get(t.id) === 0).map((t) => t.id);
  const inner = new AbortController();
  const stop = () => inner.abort();
  opts.signal?.addEventListener('abort', stop);
  let running = 0;
  let halted = false;

  const skip = (id: string, cause: string | undefined) => {
    if (outcome.has(id)) return;
    outcome.set(id, 'skipped');
    opts.onSkip?.(id, cause);
    for (const c of children.get(id) ?? []) skip(c, cause);
  };

  await new Promise<void>((resolve, reject) => {
    const pump = (): void => {
      halted ||= inner.signal.aborted;
      while (!halted && running < opts.threads && ready.length > 0) {
        const id = ready.shift()!;
        if (outcome.has(id)) continue;
        running++;
        // a task never rejects (its failure is an outcome); a throw in the bookkeeping below
        // (a reporter, onSkip) fails the whole run instead of leaving it waiting forever
        void byId.get(id)!
          .run(inner.signal)
          .catch(() => 'failed' as const)
          .then((r) => {
            running--;
            outcome.set(id, r);
            if (r === 'failed') {
              for (const c of children.get(id) ?? []) skip(c, id);
              if (opts.failFast) {
                halted = true;
                inner.abort();
              }
            } else {
              for (const c of children.get(id) ?? []) {
                const n = (waiting.get(c) ?? 1) - 1;
                waiting.set(c, n);
                if (n === 0) ready.push(c);
              }
            }
            pump();
          })
          .catch(reject);
      }
      if (running === 0 && (halted || ready.length === 0)) {
        for (const t of tasks) if (!outcome.has(t.id)) skip(t.id, undefined);
        resolve();
      }
    };
    pump();
  });
  opts.signal?.removeEventListener('abort', stop);
  return outcome;
}
