import { MessageChannel, type MessagePort } from 'node:worker_threads';

let closedPort: MessagePort | undefined;

/**
 * Frees ArrayBuffers now rather than at whatever garbage collection comes next. Transferring a
 * buffer detaches it from this thread, and a message to a closed port is dropped with its
 * contents, so the memory goes back at once. A pulled batch's buffers are tens of megabytes,
 * and left to the collectors of two threads they were still held when the next batch's were
 * made (test/bench/README.md). Only for buffers that nothing else views: every view of them is
 * left empty.
 */
export function freeNow(buffers: readonly ArrayBuffer[]): void {
  if (!closedPort) {
    const { port1, port2 } = new MessageChannel();
    port2.close();
    port1.close();
    closedPort = port1;
  }
  closedPort.postMessage(null, [...new Set(buffers)]);
}

/**
 * The ArrayBuffer under a Node Buffer when the Buffer has it to itself: allocated for it alone,
 * not a slice of Buffer's shared pool of small allocations, which must never be freed.
 */
export function ownBuffer(view: Uint8Array): ArrayBuffer | undefined {
  const own = view.byteOffset === 0 && view.byteLength === view.buffer.byteLength && view.byteLength > 0;
  return own ? (view.buffer as ArrayBuffer) : undefined;
}
