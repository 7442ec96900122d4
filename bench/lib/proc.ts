/**
 * Runs a child process and measures it: wall time, the peak resident memory of its largest
 * process (GNU time's "maximum resident set size", from the kernel's rusage) and the peak of the
 * whole process tree's resident memory, sampled from /proc every 100 ms (a Spark run is a
 * Python driver plus a JVM: the sum is what the machine has to hold).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

export interface Measured {
  code: number | null;
  wall_s: number;
  /** Largest single process, from rusage (0 when /usr/bin/time is missing). */
  max_rss_mb: number;
  /** Largest sampled sum over the process tree. */
  tree_peak_rss_mb: number;
  stdout: string;
  stderr: string;
}

const GNU_TIME = '/usr/bin/time';
const PAGE = 4096;

function treeRss(root: number): number {
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pid = Number(d);
      const ppid = Number(f[1]);
      rss.set(pid, Number(f[21]) * PAGE);
      const list = children.get(ppid);
      if (list) list.push(pid);
      else children.set(ppid, [pid]);
    } catch {
      // the process ended while we looked
    }
  }
  let sum = 0;
  const todo = [root];
  while (todo.length) {
    const p = todo.pop()!;
    sum += rss.get(p) ?? 0;
    todo.push(...(children.get(p) ?? []));
  }
  return sum;
}

export function measure(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutS?: number } = {}): Promise<Measured> {
  const useTime = fs.existsSync(GNU_TIME);
  const timeFile = path.join(os.tmpdir(), `stedi-bench-time-${process.pid}-${Date.now()}`);
  const [bin, argv] = useTime ? [GNU_TIME, ['-f', '%M', '-o', timeFile, cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(bin, argv, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-200_000)));
    let peak = 0;
    const sampler = setInterval(() => {
      if (child.pid) peak = Math.max(peak, treeRss(child.pid));
    }, 100);
    const timer = opts.timeoutS ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutS * 1000) : undefined;
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(sampler);
      if (timer) clearTimeout(timer);
      const wall = (performance.now() - t0) / 1000;
      let maxKb = 0;
      if (useTime && fs.existsSync(timeFile)) {
        const lines = fs.readFileSync(timeFile, 'utf8').trim().split('\n');
        maxKb = Number(lines[lines.length - 1]) || 0;
        fs.rmSync(timeFile, { force: true });
      }
      resolve({ code, wall_s: wall, max_rss_mb: maxKb / 1024, tree_peak_rss_mb: Math.max(peak / 2 ** 20, maxKb / 1024), stdout, stderr });
    });
  });
}

/** Throws with the tail of the output when a measured run failed. */
export function check(what: string, m: Measured): Measured {
  if (m.code !== 0) throw new Error(`${what} exited with ${m.code}\n--- stdout (tail)\n${m.stdout.slice(-4000)}\n--- stderr (tail)\n${m.stderr.slice(-4000)}`);
  return m;
}
