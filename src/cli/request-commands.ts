import type { Command } from 'commander';
import type { Session } from './session.js';
import { dataOption } from './synopsis.js';

const REQUESTS = 'Listed parties:';

/**
 * `spamx requests list|accept|reject`: the removal requests listed parties send from the public
 * lookup page (`POST /v1/removal-requests`). A request never delists by itself: accepting one
 * queues a delist in this node's feed, as the dashboard's accept does (one function,
 * ingest/removal-decisions.ts).
 */
export function defineRequestCommands(program: Command, s: Session): void {
  const requests = program
    .command('requests')
    .helpGroup(REQUESTS)
    .summary('removal requests from listed parties (the public page /lookup/ADDRESS)')
    .description('Removal requests that listed parties sent from the public page /lookup/ADDRESS; each is accepted (a delist is queued) or rejected by the operator.');
  requests
    .command('list')
    .helpGroup(REQUESTS)
    .summary('the requests, newest first')
    .addOption(dataOption())
    .option('--status <S>', 'only requests in this state: open, accepted or rejected')
    .option('--json', 'print them as JSON')
    .action(s.action(async () => (await import('./commands/requests.js')).requestsList));
  requests
    .command('accept')
    .helpGroup(REQUESTS)
    .summary("accept a request: queue a delist of this node's listings of the address for its next batch")
    .description(
      "Accepts an open request: a delist of every prefix covering the address that this node lists (or of the address itself) is queued " +
        'for its next batch, published on the schedule or by "spamx publish". Listings by partner centres stay theirs.',
    )
    .addOption(dataOption())
    .argument('<ID>', 'the request, as "spamx requests list" shows it')
    .option('--note <TEXT>', 'why; also the reason of the delist (default: "removal request ID")')
    .action(s.action(async () => (await import('./commands/requests.js')).requestsAccept));
  requests
    .command('reject')
    .helpGroup(REQUESTS)
    .summary('reject a request: nothing is delisted')
    .addOption(dataOption())
    .argument('<ID>', 'the request, as "spamx requests list" shows it')
    .option('--note <TEXT>', 'why, kept with the request')
    .action(s.action(async () => (await import('./commands/requests.js')).requestsReject));
}
