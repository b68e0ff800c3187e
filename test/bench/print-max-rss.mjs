// Preloaded with `node --import` into a measured child process: prints its peak resident set
// size (getrusage ru_maxrss, in kB) to stderr as it exits, whatever the command does.
process.on('exit', () => process.stderr.write(`\nmax-rss-kb ${process.resourceUsage().maxRSS}\n`));
