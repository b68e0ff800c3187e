import type { Command } from 'commander';
import type { Session } from './session.js';
import { dataOption, neededOption, repeatableOption } from './synopsis.js';

const NODE = 'Running a node:';
const LIST = 'Reports and the served list:';

/** `spamx init`, `serve`, `descriptor`, `status`, `refusals`, `demo`. */
export function defineNodeCommands(program: Command, s: Session): void {
  program
    .command('init')
    .helpGroup(NODE)
    .summary("create a node's directory: config, key pair, operator token, store")
    .description("Creates a new node's directory: config.json, an Ed25519 key pair, the operator token and the store.")
    .addOption(dataOption())
    .addOption(neededOption('--id <ID>', "the node's id, e.g. jp-dekyo (its feed's publisher name)"))
    .option('--name <NAME>', 'a human-readable name (default: the id)')
    .option('--country <CC>', 'ISO 3166 country code')
    .option('--port <N>', 'HTTP port (default: 8440)')
    .option('--host <H>', 'address to listen on (default: 127.0.0.1)')
    .option('--public-url <URL>', 'the URL partners reach this node at')
    .option('--publish-schedule <CRON>', 'when queued reports are cut into batches (node-cron)')
    .option('--public', 'serve the list to anyone, without a subscriber key')
    .option('--public-feeds', 'serve the signed batches to anyone (federation.access "public"); default: to pinned partners only')
    .option('--dnsbl-port <N>', 'serve the list as a DNSBL on this UDP/TCP port')
    .option('--dnsbl-zone <ZONE>', 'the DNSBL zone')
    .action(s.action(async () => (await import('./commands/init.js')).init));

  program
    .command('serve')
    .helpGroup(NODE)
    .summary('run the node until SIGTERM or SIGINT; SIGHUP re-reads peers and allowlist')
    .description('Runs the node (HTTP API, scheduled publishing and pulling, DNSBL if configured) until SIGTERM or SIGINT. SIGHUP re-reads the peers directory and the allowlist.')
    .addOption(dataOption())
    .option('--port <N>', 'HTTP port, instead of the configured one')
    .option('--host <H>', 'address to listen on, instead of the configured one')
    .option('--dnsbl-port <N>', 'DNSBL port, instead of the configured one')
    .option('--dnsbl-zone <ZONE>', 'DNSBL zone, instead of the configured one')
    .action(s.action(async () => (await import('./commands/serve.js')).serveCommand));

  program
    .command('descriptor')
    .helpGroup(NODE)
    .summary("print this node's descriptor, for partners to pin")
    .description("Prints this node's /.well-known/spamx document with its url: the file a partner pins with `spamx peer add --file`, or passes to `spamx audit --witness-key`.")
    .addOption(dataOption())
    .option('--url <URL>', 'the url to put in it (default: the public URL)')
    .action(s.action(async () => (await import('./commands/descriptor.js')).descriptor));

  program
    .command('status')
    .helpGroup(NODE)
    .summary("own feed, each peer's last pull and witnessing, store and refusal counts, alarms")
    .addOption(dataOption())
    .option('--json', 'print it as JSON')
    .action(s.action(async () => (await import('./commands/status.js')).status));

  program
    .command('refusals')
    .helpGroup(NODE)
    .summary('entries and report lines this node declined, newest first')
    .addOption(dataOption())
    .option('--publisher <ID>', 'only those of this publisher')
    .option('--code <CODE>', 'only those with this refusal code, e.g. PREFIX_ALLOWLISTED')
    .option('--limit <N>', 'at most N rows (default: 100)')
    .option('--json', 'print them as JSON')
    .action(s.action(async () => (await import('./commands/status.js')).refusals));

  program
    .command('report')
    .helpGroup(LIST)
    .summary('queue reports for the next batch (plain lines or CSV); refused lines go to stderr')
    .addOption(dataOption())
    .argument('[FILE]', 'the reports; - reads stdin')
    .option('--mail <PATH...>', 'spam samples instead: .eml files, mbox files, Maildir folders; each message\'s origin is reported')
    .option('--dry-run', 'with --mail: print what would be queued (report CSV), queue nothing')
    .option('--json', 'with --mail: print the summary as JSON')
    .option('--tlp <LABEL>', 'distribution label: clear, green, amber, amber+strict or red (default: config publish.tlp, else green)')
    .option('--to <ID>', 'seal the reports to this pinned partner (repeatable): only the partners named can read them', (v: string, to: string[]) => [...to, v], [] as string[])
    .option('--quiet', 'no progress bar (there is none unless stderr is a terminal)')
    .action(s.action(async () => (await import('./commands/report-mail.js')).reportCommand));

  program
    .command('delist')
    .helpGroup(LIST)
    .summary('queue delist entries for the next batch')
    .addOption(dataOption())
    .argument('<PREFIX...>', 'addresses or prefixes to delist')
    .option('--reason <TEXT>', 'why, carried in the batch')
    .action(s.action(async () => (await import('./commands/queue.js')).delist));

  program
    .command('publish')
    .helpGroup(LIST)
    .summary('cut batches from the queue now')
    .addOption(dataOption())
    .option('--quiet', 'no progress bar (there is none unless stderr is a terminal)')
    .action(s.action(async () => (await import('./commands/queue.js')).publish));

  program
    .command('pull')
    .helpGroup(LIST)
    .summary('pull one peer, or every pinned peer, now (no backoff)')
    .description('Pulls one peer, or every pinned peer, now; backoff is not applied. With no peer pinned it says so on stderr and exits 0: there was nothing to fail.')
    .addOption(dataOption())
    .argument('[PEER]', 'the peer id (default: every pinned peer)')
    .option('--json', 'print the pull reports as JSON')
    .addHelpText('after', '\nExit status: 0 every pull succeeded (or no peer is pinned), 1 a pull failed, 2 bad arguments.')
    .action(s.action(async () => (await import('./commands/pull.js')).pull));

  program
    .command('export')
    .helpGroup(LIST)
    .summary('the served blocklist on stdout, with the formats and filters of GET /v1/blocklist')
    .addOption(dataOption())
    .option('--format <F>', 'txt (default), csv, json, ndjson, rbldnsd, ipset, nftables, postfix or abuse-csv, as GET /v1/blocklist')
    .option('--family <4|6>', 'only IPv4 or only IPv6 prefixes')
    .option('--min-sources <N>', 'only prefixes listed by at least N sources')
    .addOption(repeatableOption('--source <ID>', 'only prefixes listed by this source; repeatable, or comma-separated'))
    .option('--since <T>', 'only pieces seen since T (RFC 3339 UTC or epoch seconds)')
    .option('--aggregate', 'merge adjacent and covered prefixes')
    .option('--everyone', 'only what reaches everyone (TLP clear and green); without it every label is exported')
    .addOption(repeatableOption('--country <CC>', 'only the listed space registered in this country (repeatable: the union with --asn, --within)'))
    .addOption(repeatableOption('--asn <N>', 'only the listed space this AS originates (repeatable)'))
    .addOption(repeatableOption('--within <PREFIX>', 'only the listed space inside this prefix (repeatable)'))
    .option('--quiet', 'no progress bar (there is none unless stderr is a terminal)')
    .action(s.action(async () => (await import('./commands/export.js')).exportCommand));

  program
    .command('lookup')
    .helpGroup(LIST)
    .summary('whether an address is listed, by which prefixes and sources, and why not')
    .addOption(dataOption())
    .argument('<IP>', 'the address')
    .option('--json', 'print the answer as JSON')
    .addHelpText('after', '\nExit status: 0 listed, 1 not listed, 2 bad arguments, 3 the lookup failed (for scripts: `if spamx lookup IP; then`).')
    .action(s.action(async () => (await import('./commands/lookup.js')).lookup, 3));

  program
    .command('mirror')
    .helpGroup(LIST)
    .summary("keep rbldnsd files (DIR/spamx.v4, DIR/spamx.v6) current from a node's change stream")
    .description(
      "Keeps DIR/spamx.v4 (rbldnsd ip4set) and DIR/spamx.v6 (ip6trie) equal to a node's format=rbldnsd list, from GET /v1/blocklist/changes, each new version written whole (temp file, fsync, rename) so rbldnsd reloads it; runs until SIGTERM or SIGINT. The key may come from --key, --key-file or SPAMX_MIRROR_KEY.",
    )
    .addOption(neededOption('--url <URL>', "the node's base URL"))
    .addOption(neededOption('--out <DIR>', 'the directory rbldnsd reads (made if missing); the cursor is kept there too'))
    .option('--key <KEY>', 'the subscriber key (visible to other local users in ps: prefer --key-file)')
    .option('--key-file <FILE>', 'a file holding the subscriber key on its first line')
    .option('--interval <SECONDS>', 'seconds between polls (default: 60)')
    .option('--once', 'bring the files up to date once, then exit')
    .addHelpText('after', '\nExit status: 0 stopped by a signal (or --once done), 1 the node refused the key or --once failed, 2 bad arguments.')
    .action(s.action(async () => (await import('./commands/mirror.js')).mirrorCommand));
}
