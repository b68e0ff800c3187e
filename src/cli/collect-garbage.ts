import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/**
 * A full garbage collection now. `spamx report` and `spamx publish` call it between groups of
 * rows and between batches: each group's objects are garbage once it is queued, but V8 lets
 * its old generation grow to several times the live heap before collecting it, and a
 * 500,000-line report then peaked at 225 MB resident with some 20 MB live. Collected as each
 * group is done, the peak fell by about a third (test/bench/README.md "Reports of 500,000 lines"), for
 * about 10 ms a group. Node exposes `gc` only behind `--expose-gc`, which may be set once the
 * process runs and takes effect for contexts made after it (node:v8 setFlagsFromString).
 */
export function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}
