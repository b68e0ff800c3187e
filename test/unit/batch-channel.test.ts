import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { openBatchChannel, postToChannel, type BatchChannelEnd } from '../../src/ingest/batch-channel.js';

/**
 * The channel between the feed-reader thread and the storing thread, across a real thread: a
 * plain-JavaScript worker posts the way postToChannel does (a message, then a bump of the
 * shared counter and a notify), after the delays it is given.
 */
const SENDER = `
const { workerData } = require('node:worker_threads');
const { port, counter, delays } = workerData;
let n = 0;
const next = () => {
  if (n === delays.length) return port.close();
  setTimeout(() => {
    port.postMessage({ type: 'entries', n: n++ });
    Atomics.add(counter, 0, 1);
    Atomics.notify(counter, 0);
    next();
  }, delays[n]);
};
next();
`;

const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

function sendFromThread(end: BatchChannelEnd, delays: number[]): Worker {
  const worker = new Worker(SENDER, { eval: true, workerData: { port: end.port, counter: end.counter, delays }, transferList: [end.port] });
  workers.push(worker);
  return worker;
}

describe('batch channel', () => {
  it('take blocks this thread until the next message comes, in order', () => {
    const { sender, receiver } = openBatchChannel();
    sendFromThread(sender, [50, 0, 80]);
    const started = Date.now();
    const got = [receiver.take(), receiver.take(), receiver.take()] as unknown as { n: number }[];
    expect(got.map((m) => m.n)).toEqual([0, 1, 2]);
    // Nothing else ran meanwhile: the messages were waited for with the thread blocked.
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    receiver.close();
  });

  it('receive waits without blocking, and either way of reading sees every message once', async () => {
    const { sender, receiver } = openBatchChannel();
    sendFromThread(sender, [30, 0, 0, 30]);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const first = (await receiver.receive(new Promise<never>(() => undefined))) as unknown as { n: number };
    clearInterval(timer);
    expect(first.n).toBe(0);
    expect(ticks).toBeGreaterThan(0); // the event loop ran while receive waited
    const rest = [receiver.take(), receiver.take(), await receiver.receive(new Promise<never>(() => undefined))] as unknown as { n: number }[];
    expect(rest.map((m) => m.n)).toEqual([1, 2, 3]);
    receiver.close();
  });

  it('receive rejects when the sending thread is gone', async () => {
    const { receiver } = openBatchChannel();
    const gone = Promise.reject(new Error('feed reader exited'));
    await expect(receiver.receive(gone)).rejects.toThrow('feed reader exited');
    receiver.close();
  });

  it('take gives up after the stall deadline instead of blocking for ever', () => {
    const { sender, receiver } = openBatchChannel();
    postToChannel(sender, { type: 'done' });
    expect(receiver.take()).toEqual({ type: 'done' });
    expect(() => receiver.take(200)).toThrow(/feed reader sent nothing for 0.2 s/);
    receiver.close();
    sender.port.close();
  });
});
