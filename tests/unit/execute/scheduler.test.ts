import { describe, expect, it } from 'vitest';
import { schedule, type Task } from '../../../runner/execute/scheduler.js';

/** Tasks whose completion the test controls, to observe exactly when each one starts. */
function controlled(spec: Record<string, string[]>) {
  const started: string[] = [];
  const release = new Map<string, (r: 'ok' | 'failed') => void>();
  const aborted: string[] = [];
  const tasks: Task[] = Object.entries(spec).map(([id, parents]) => ({
    id,
    parents,
    run: (signal) =>
      new Promise((resolve) => {
        let settled = false;
        const settle = (r: 'ok' | 'failed') => {
          settled = true;
          resolve(r);
        };
        started.push(id);
        release.set(id, settle);
        signal.addEventListener('abort', () => {
          if (settled) return;
          aborted.push(id);
          settle('failed');
        });
      }),
  }));
  const finish = async (id: string, r: 'ok' | 'failed' = 'ok') => {
    release.get(id)!(r);
    await new Promise((res) => setTimeout(res, 0));
  };
  return { tasks, started, finish, aborted };
}

const tick = () => new Promise((res) => setTimeout(res, 0));

describe('scheduler', () => {
  it('starts a node as soon as its own parents finish, not when its whole layer does', async () => {
    // a → c ; b (slow) → d. c must start when a finishes even though b is still running.
    const { tasks, started, finish } = controlled({ a: [], b: [], c: ['a'], d: ['b'] });
    const done = schedule(tasks, { threads: 4 });
    await tick();
    expect(started).toEqual(['a', 'b']);
    await finish('a');
    expect(started).toEqual(['a', 'b', 'c']);
    await finish('c');
    await finish('b');
    await finish('d');
    const out = await done;
    expect([...out.values()].every((o) => o === 'ok')).toBe(true);
  });

  it('never runs more than `threads` tasks at once', async () => {
    const { tasks, started, finish } = controlled({ a: [], b: [], c: [], d: [] });
    const done = schedule(tasks, { threads: 2 });
    await tick();
    expect(started).toHaveLength(2);
    await finish(started[0]!);
    expect(started).toHaveLength(3);
    for (const id of ['b', 'c', 'd']) if (started.includes(id)) await finish(id);
    await finish(started[3] ?? 'd');
    await done;
  });

  it('a failure skips only its descendants; the other branch completes', async () => {
    const { tasks, finish } = controlled({ a: [], b: ['a'], c: ['b'], x: [], y: ['x'] });
    const skipped: [string, string | undefined][] = [];
    const done = schedule(tasks, { threads: 4, onSkip: (id, cause) => skipped.push([id, cause]) });
    await tick();
    await finish('a', 'failed');
    await finish('x');
    await finish('y');
    const out = await done;
    expect(Object.fromEntries(out)).toEqual({ a: 'failed', b: 'skipped', c: 'skipped', x: 'ok', y: 'ok' });
    expect(skipped).toEqual([['b', 'a'], ['c', 'a']]);
  });

  it('fail-fast aborts the tasks in flight and starts nothing new', async () => {
    const { tasks, started, finish, aborted } = controlled({ a: [], b: [], c: ['a'], d: [] });
    const done = schedule(tasks, { threads: 2, failFast: true });
    await tick();
    expect(started).toEqual(['a', 'b']);
    await finish('a', 'failed');
    const out = await done;
    expect(aborted).toEqual(['b']);
    expect(started).toEqual(['a', 'b']);
    expect(out.get('d')).toBe('skipped');
    expect(out.get('c')).toBe('skipped');
  });

  it('an outside abort (Ctrl-C) stops the run and skips what has not started', async () => {
    const { tasks, started } = controlled({ a: [], b: ['a'] });
    const ctl = new AbortController();
    const done = schedule(tasks, { threads: 1, signal: ctl.signal });
    await tick();
    ctl.abort();
    const out = await done;
    expect(started).toEqual(['a']);
    expect(Object.fromEntries(out)).toEqual({ a: 'failed', b: 'skipped' });
  });

  it('a task that throws counts as failed', async () => {
    const out = await schedule([{ id: 'a', parents: [], run: () => Promise.reject(new Error('boom')) }], { threads: 1 });
    expect(out.get('a')).toBe('failed');
  });
});

describe('schedule: bookkeeping that throws', () => {
  it('fails the run instead of leaving it waiting forever', async () => {
    const tasks: Task[] = [
      { id: 'a', parents: [], run: async () => 'failed' },
      { id: 'b', parents: ['a'], run: async () => 'ok' },
    ];
    const run = schedule(tasks, { threads: 2, failFast: false, onSkip: () => { throw new Error('reporter broke'); } });
    await expect(run).rejects.toThrow('reporter broke');
  });
});
