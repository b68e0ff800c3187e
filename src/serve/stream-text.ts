/**
 * A byte stream over a generator of text and bytes, pulled as the client reads (backpressure):
 * text is gathered into chunks of about 64 KiB, bytes (a stored batch part) pass as they are.
 * Nothing is read ahead of the reader (highWaterMark 0), so a stalled reader holds one chunk.
 * `onClose` runs once whether the stream ends, fails or is cancelled (the socket closed).
 *
 * While the socket takes every write at once (a fast reader, or a new one filling its socket
 * buffers) node completes the writes without turning the event loop, and a stream would render
 * megabytes while /healthz and DNS queries wait: before each chunk it waits for the next turn. A
 * 3.8 MB change-stream snapshot held the loop for up to 84 ms at a turn every four chunks and
 * 13–22 ms at one a chunk, in the same total time (about 0.6 s).
 */
export function streamText(chunks: Iterator<string | Uint8Array>, onClose: () => void): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let closed = false;
  const close = () => {
    if (!closed) {
      closed = true;
      onClose();
    }
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        await new Promise((resolve) => setImmediate(resolve));
        if (closed) return;
        try {
          let buffer = '';
          for (;;) {
            const next = chunks.next();
            if (next.done) {
              if (buffer) controller.enqueue(encoder.encode(buffer));
              controller.close();
              close();
              return;
            }
            if (typeof next.value !== 'string') {
              if (buffer) controller.enqueue(encoder.encode(buffer));
              controller.enqueue(next.value);
              return;
            }
            buffer += next.value;
            if (buffer.length >= 65_536) {
              controller.enqueue(encoder.encode(buffer));
              return;
            }
          }
        } catch (err) {
          close();
          controller.error(err);
        }
      },
      cancel() {
        try {
          chunks.return?.();
        } finally {
          close();
        }
      },
    },
    { highWaterMark: 0 },
  );
}
