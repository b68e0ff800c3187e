import type { Command } from 'commander';
import type { Session } from './session.js';
import { dataOption, neededOption, repeatableOption } from './synopsis.js';

const PARTNERS = 'Partners and keys:';

/** `spamx peer add|list|remove|unfreeze`, `key rotate|revoke|list`, `subscriber add|list|revoke`. */
export function definePartnerCommands(program: Command, s: Session): void {
  const peer = program
    .command('peer')
    .helpGroup(PARTNERS)
    .summary("the node's pinned partners, one file each in DIR/peers")
    .description("The node's pinned partners, one file each in DIR/peers.");
  peer
    .command('add')
    .helpGroup(PARTNERS)
    .summary("pin a partner by its URL, or by a descriptor file from `spamx descriptor`")
    .description("Pins a partner: fetches URL/.well-known/spamx, or reads a descriptor file (`spamx descriptor` on the partner's node), and prints the key fingerprints to compare with the partner's.")
    .addOption(dataOption())
    .argument('[URL]', "the partner's base URL (or give --file)")
    .option('--file <FILE>', 'a descriptor file instead of fetching URL')
    .option('--schedule <CRON>', 'when to pull it (node-cron; default: the configured one)')
    .addOption(repeatableOption('--mirror <URL>', 'another node serving its feed; repeatable'))
    .option('--quota <N>', 'at most N active listings of it held in this store')
    .option('--force', 'replace a pinned peer whose keys changed')
    .action(s.action(async () => (await import('./commands/peer.js')).peerAdd));
  peer
    .command('list')
    .helpGroup(PARTNERS)
    .summary('the pinned peers, one a line (tab-separated); says so on stderr when there are none')
    .addOption(dataOption())
    .option('--json', 'print them as JSON')
    .action(s.action(async () => (await import('./commands/peer.js')).peerList));
  peer
    .command('remove')
    .helpGroup(PARTNERS)
    .summary("unpin a peer; its stored batches stay in the log")
    .addOption(dataOption())
    .argument('<ID>', 'the peer id')
    .action(s.action(async () => (await import('./commands/peer.js')).peerRemove));
  peer
    .command('unfreeze')
    .helpGroup(PARTNERS)
    .summary('resume pulling a feed frozen after equivocation; the evidence is kept')
    .addOption(dataOption())
    .argument('<ID>', 'the peer id')
    .action(s.action(async () => (await import('./commands/peer.js')).peerUnfreeze));

  const key = program
    .command('key')
    .helpGroup(PARTNERS)
    .summary("this node's signing keys (README \"Key rotation\")")
    .description('This node\'s signing keys and key statements (README "Key rotation").');
  key
    .command('rotate')
    .helpGroup(PARTNERS)
    .summary('switch to a new signing key; the old one is retired (or revoked)')
    .addOption(dataOption())
    .option('--revoke-old', 'revoke the old key instead of retiring it')
    .action(s.action(async () => (await import('./commands/key.js')).keyRotate));
  key
    .command('revoke')
    .helpGroup(PARTNERS)
    .summary("revoke one of this node's keys for batches after seq N")
    .description('Revokes one of this node\'s keys for the batches after seq N. A KID beginning with "-" (base64url) is taken as the key, not as an option.')
    .addOption(dataOption())
    .argument('<KID>', 'the key id (RFC 7638 fingerprint)')
    .addOption(neededOption('--after-seq <N>', 'batches after this seq signed by the key are refused'))
    .action(s.action(async () => (await import('./commands/key.js')).keyRevoke));
  key
    .command('list')
    .helpGroup(PARTNERS)
    .summary("a publisher's keys with their status and the batches each signs")
    .addOption(dataOption())
    .option('--publisher <ID>', 'whose keys (default: this node)')
    .option('--json', 'print them as JSON')
    .action(s.action(async () => (await import('./commands/key.js')).keyList));

  const SUBSCRIBERS = 'Subscribers:';
  const subscriber = program
    .command('subscriber')
    .helpGroup(SUBSCRIBERS)
    .summary('API keys for ISPs and mail operators')
    .description('API keys for ISPs and mail operators; only their hashes are stored.');
  subscriber
    .command('add')
    .helpGroup(SUBSCRIBERS)
    .summary('create an API key, printed once, alone on the last line')
    .addOption(dataOption())
    .argument('<NAME>', 'who it is for')
    .addOption(repeatableOption('--scope <SCOPE>', 'the key sees only listings inside this scope: AS4134, country:HK or a prefix such as 61.4.0.0/16 (repeatable: the union)'))
    .option('--contact <EMAIL>', "mail the scope's daily report to this address (needs mail.smtp in config.json)")
    .action(s.action(async () => (await import('./commands/subscriber.js')).subscriberAdd));
  subscriber
    .command('list')
    .helpGroup(SUBSCRIBERS)
    .summary('every subscriber, active or revoked')
    .addOption(dataOption())
    .option('--json', 'print them as JSON')
    .action(s.action(async () => (await import('./commands/subscriber.js')).subscriberList));
  subscriber
    .command('revoke')
    .helpGroup(SUBSCRIBERS)
    .summary('revoke a subscriber key')
    .addOption(dataOption())
    .argument('<NAME|ID>', 'the subscriber')
    .action(s.action(async () => (await import('./commands/subscriber.js')).subscriberRevoke));
}
