import type { Command } from 'commander';
import type { Session } from './session.js';
import { dataOption, repeatableOption } from './synopsis.js';

const ORIGINS = 'Origins: who must act on a listing:';

/** `spamx jurisdiction`, `spamx stats`. */
export function defineJurisdictionCommands(program: Command, s: Session): void {
  program
    .command('jurisdiction')
    .helpGroup(ORIGINS)
    .summary("what partners list inside this centre's own country, by network: the list for domestic ISPs")
    .addOption(dataOption())
    .option('--since <TIME>', 'only what is new since then (RFC 3339 UTC or epoch seconds): the last hand-over')
    .option('--format <F>', 'csv (one row per piece and source) or json (as GET /v1/jurisdiction)', 'csv')
    .action(s.action(async () => (await import('./commands/jurisdiction.js')).jurisdictionCommand));

  program
    .command('stats')
    .helpGroup(ORIGINS)
    .summary('the served list counted by origin country, AS, source centre or month')
    .addOption(dataOption())
    .option('--by <KEY>', 'country, asn, source or month', 'country')
    .addOption(repeatableOption('--source <ID>', 'only pieces this centre lists (repeatable)'))
    .addOption(repeatableOption('--country <CC>', 'only the parts inside this country (repeatable)'))
    .option('--since <TIME>', 'only pieces seen since then (RFC 3339 UTC or epoch seconds)')
    .option('--json', 'print the answer as GET /v1/stats does')
    .action(s.action(async () => (await import('./commands/stats.js')).statsCommand));
}
