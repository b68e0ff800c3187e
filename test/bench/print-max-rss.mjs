// Preloaded with `node --import` into a measured child process: prints its peak resident set
// size (the kernel's VmHWM, in kB) to stderr as it exits, whatever the command does.
//
// Not getrusage's ru_maxrss: Linux carries that across execve from the process image before
// it, and a child spawned by Node starts as a fork of its parent, so a child of a 200 MB
// benchmark process reported at least 200 MB whatever it did. VmHWM belongs to the new image.
import { readFileSync } from 'node:fs';

process.on('exit', () => {
  const kb = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  process.stderr.write(`\nmax-rss-kb ${kb}\n`);
});
