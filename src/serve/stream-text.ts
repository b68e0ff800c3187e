/**
 * A byte stream over a generator of text, pulled as the client reads (backpressure), in chunks
 * of about 64 KiB. `onClose` runs once whether the stream ends, fails or is cancelled.
 */
export function streamText(chunks: Iterator<string>, onClose: () => void): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let closed = false;
  const close = () => {
    if (!closed) {
      closed = true;
      onClose();
    }
  };
  return new ReadableStream<Uint8Array>({
    pull(controller) {
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
      chunks.return?.();
      close();
    },
  });
}
