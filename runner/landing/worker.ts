/**
 * A classifier thread (started by pool.ts): classifies ranges of whole lines that the main
 * thread cut from a landing file and transferred here, with the very code of the one-thread
 * reader (lines.ts, tally.ts), and sends back their counts and columnar rows (encode.ts). Reads
 * no file and logs nothing: a failure goes back as the error's name only (its message may quote
 * the line).
 */
import { isUtf8 } from 'node:buffer';
import { parentPort, workerData } from 'node:worker_threads';
import { KeyResolver } from './classify.js';
import { RowEncoder } from './encode.js';
import { ErasureMatcher } from './erasure.js';
import { completeLines } from './lines.js';
import { LineTally } from './tally.js';
import type { RangeReply, RangeTask, WorkerSetup } from './pool.js';

const setup = workerData as WorkerSetup;
const resolver = new KeyResolver(setup.columns);
const erasure = setup.erasure ? new ErasureMatcher(setup.erasure) : undefined;

function classify(task: RangeTask): RangeReply {
  const encoder = new RowEncoder(setup.columns, task.length >> 6, task.length >> 2);
  const tally = new LineTally(resolver, setup.maxLineBytes, encoder, erasure);
  const buf = Buffer.from(task.buffer, 0, task.length);
  if (task.terminated) completeLines(buf.subarray(0, buf.length - 1), setup.maxLineBytes, tally);
  else {
    // the file's last line, without a line feed, ends the range
    const last = buf.lastIndexOf(10);
    if (last >= 0) completeLines(buf.subarray(0, last), setup.maxLineBytes, tally);
    const tail = buf.subarray(last + 1);
    tally.handle(tail.toString('utf8'), false, isUtf8(tail));
  }
  const { rows, transfer } = encoder.finish();
  const c = tally.counts;
  return { id: task.id, counts: { lines: c.lines, accepted: c.accepted, rejected: c.rejected, blank: c.blank, erased: c.erased, tolerated: c.tolerated, unknown: [...c.unknown] }, rows, transfer };
}

parentPort!.on('message', (task: RangeTask) => {
  let reply: RangeReply;
  try {
    reply = classify(task);
  } catch (e) {
    parentPort!.postMessage({ id: task.id, failed: e instanceof Error ? e.name : typeof e });
    return;
  }
  const { transfer, ...rest } = reply;
  parentPort!.postMessage(rest, transfer!);
});
