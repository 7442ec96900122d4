/**
 * The classifier threads (`node:worker_threads`, worker.ts): ranges of whole lines go in
 * (their ArrayBuffer transferred, not copied), counts and columnar rows come out (encode.ts).
 * Threads start on demand, up to `threads`. Every failure ends the pool: a thread's error (sent
 * back by name only: its message may quote a line), its exit or a broken message rejects every
 * range not yet classified with an error naming the range's file, and Ctrl-C (the signal)
 * rejects them with the abort; `close()` then stops every thread. Nothing waits forever.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EncodedRows } from './encode.js';
import type { MatcherSetup } from './erasure.js';
import { shownPath } from './report.js';
import { LandingReadError } from './store.js';
import type { LandingColumn, Tolerated } from './types.js';

/** What every thread is started with. */
export interface WorkerSetup {
  columns: LandingColumn[];
  maxLineBytes: number;
  /** The erasure list's matcher (erasure.ts), when the source has identity columns and the list is not empty. */
  erasure?: MatcherSetup;
}

/** A range of whole lines: each followed by LF, except the file's last line when `terminated` is false. */
export interface RangeTask {
  id: number;
  buffer: ArrayBuffer;
  length: number;
  terminated: boolean;
}

/** The counts of a range, its unknown keys as reported (in the order first seen). */
export interface RangeCounts {
  lines: number;
  accepted: number;
  rejected: number;
  blank: number;
  erased: number;
  tolerated: Tolerated;
  unknown: string[];
}

export interface RangeReply {
  id: number;
  counts: RangeCounts;
  rows: EncodedRows;
  /** Set by the thread only (the buffers it transfers). */
  transfer?: ArrayBuffer[];
}

type Message = RangeReply | { id: number; failed: string };

interface Job {
  task: RangeTask;
  file: string;
  resolve(r: RangeReply): void;
  reject(e: unknown): void;
}

let live = 0;
let started = 0;
/** Classifier threads started in this process, and those not yet exited (tests check that none is left). */
export function classifierThreads(): { started: number; live: number } {
  return { started, live };
}

/**
 * The thread's script. Compiled (dist/, or the benchmarks' build), worker.js is next to this
 * module. Run from the TypeScript sources (vitest), a thread cannot load .ts files: it runs the
 * compiled worker that `npm run build` (and the test suite's global setup) writes to dist/.
 */
export function workerScript(): URL {
  const self = import.meta.url;
  return self.endsWith('.ts') ? new URL('../../dist/landing/worker.js', self) : new URL('./worker.js', self);
}

export interface PoolOptions {
  threads: number;
  setup: WorkerSetup;
  signal?: AbortSignal;
  /** Another script (tests). */
  script?: URL;
}

function classifierError(file: string, why: string): LandingReadError {
  return new LandingReadError(file, undefined, undefined, `cannot classify the lines of ${shownPath(file)}: ${why}`);
}

export class ClassifierPool {
  private readonly idle: Worker[] = [];
  private readonly running = new Set<Worker>();
  private readonly busy = new Map<Worker, Job>();
  private readonly queue: Job[] = [];
  private nextId = 0;
  private failure?: unknown;
  private closing = false;
  private readonly script: URL;
  private readonly onAbort = () => this.fail(() => this.o.signal!.reason);

  constructor(private readonly o: PoolOptions) {
    this.script = o.script ?? workerScript();
    if (!fs.existsSync(fileURLToPath(this.script))) throw new Error('the landing classifier thread is not compiled (dist/landing/worker.js is missing): run npm run build');
    o.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Classifies a range; its buffer is transferred to a thread (unusable here afterwards). */
  classify(buffer: ArrayBuffer, length: number, terminated: boolean, file: string): Promise<RangeReply> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ task: { id: this.nextId++, buffer, length, terminated }, file, resolve, reject });
      this.pump();
    });
  }

  /** Stops every thread; ranges still pending are rejected. Resolves once every thread has exited. */
  async close(): Promise<void> {
    this.closing = true;
    this.o.signal?.removeEventListener('abort', this.onAbort);
    this.fail(() => new Error('the classifier threads were closed'));
    await Promise.all([...this.running].map((w) => new Promise<void>((resolve) => {
      w.once('exit', () => resolve());
      void w.terminate();
    })));
  }

  private pump(): void {
    while (this.queue.length && this.failure === undefined) {
      let w = this.idle.pop();
      if (!w) {
        if (this.running.size >= this.o.threads) return;
        w = this.spawn();
      }
      const job = this.queue.shift()!;
      this.busy.set(w, job);
      w.postMessage(job.task, [job.task.buffer]);
    }
  }

  private spawn(): Worker {
    const w = new Worker(this.script, { workerData: this.o.setup });
    live++;
    started++;
    this.running.add(w);
    w.on('message', (m: Message) => {
      const job = this.busy.get(w);
      this.busy.delete(w);
      if (!job) return;
      if ('failed' in m) {
        this.fail((file) => classifierError(file, `a classifier thread failed (${m.failed})`), job);
        return;
      }
      this.idle.push(w);
      job.resolve(m);
      this.pump();
    });
    // an uncaught error is reported by its name only: its message may quote a line
    w.on('error', (e) => this.fail((file) => classifierError(file, `a classifier thread failed (${e instanceof Error ? e.name : 'error'})`)));
    w.on('messageerror', () => this.fail((file) => classifierError(file, 'a classifier thread sent a message that could not be read')));
    w.on('exit', (code) => {
      live--;
      this.running.delete(w);
      if (!this.closing) this.fail((file) => classifierError(file, `a classifier thread stopped (exit code ${code})`));
    });
    return w;
  }

  /** Ends the pool: `first` (when given) and every pending range get the error `why` gives for their file. */
  private fail(why: (file: string) => unknown, first?: Job): void {
    const pending = [...(first ? [first] : []), ...this.busy.values(), ...this.queue.splice(0)];
    this.busy.clear();
    if (this.failure === undefined) this.failure = why(first?.file ?? pending[0]?.file ?? '');
    for (const job of pending) job.reject(why(job.file));
    if (!this.closing) for (const w of this.running) void w.terminate();
  }
}
