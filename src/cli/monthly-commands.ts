import type { Command } from 'commander';
import type { Session } from './session.js';
import { dataOption, neededOption } from './synopsis.js';

const REPORTS = 'Reports for partners:';

/** `spamx monthly`: a month's charts and tables as one self-contained HTML file (src/serve/monthly/). */
export function defineMonthlyCommands(program: Command, s: Session): void {
  program
    .command('monthly')
    .helpGroup(REPORTS)
    .summary("a month's charts and tables as one self-contained HTML file to send to partners, or as JSON")
    .description(
      "A month's figures: listings started and ended per source centre, the merged list's size, listings by origin country " +
        "(with the share in this centre's own country) and network, refusals by reason, and the months before. " +
        'Written as one HTML file that needs nothing beside it (charts drawn with the uPlot inlined; every figure also in a table), or printed as JSON.',
    )
    .addOption(dataOption())
    .addOption(neededOption('--month <YYYY-MM>', 'the UTC month reported; the month in progress gives the month so far'))
    .option('--html <FILE>', 'write the report to FILE (written whole, then renamed into place); - for standard output')
    .option('--json', 'print the figures as JSON (RFC 3339 times)')
    .action(s.action(async () => (await import('./commands/monthly.js')).monthlyCommand));
}
