import type { Command } from 'commander';
import type { Session } from './session.js';
import { dataOption } from './synopsis.js';

const ORIGIN_DATA = 'Origin data (where addresses are registered):';

/** `spamx origins import|show|lookup`. */
export function defineOriginCommands(program: Command, s: Session): void {
  const origins = program
    .command('origins')
    .helpGroup(ORIGIN_DATA)
    .summary('the origin data in use: RIR delegated-extended files, or the pinned packages')
    .description(
      'The data that says where addresses are registered (country, AS, registry): RIR delegated-extended files in DIR/origins/delegated (or as configured in origins.delegated), else the pinned @ip-location-db packages.',
    );
  origins
    .command('import')
    .helpGroup(ORIGIN_DATA)
    .summary('check a set of RIR delegated-extended files and install it atomically')
    .description(
      'Checks every row of every delegated-extended file in SRC (a file, or a directory of them) and installs the set as DIR/origins/delegated in one atomic swap. A malformed row exits 1 naming the file and line; the data in use stays. A running node picks the new set up when it re-reads its origin data.',
    )
    .addOption(dataOption())
    .argument('<SRC>', 'a delegated-extended file, or a directory of them (e.g. delegated-apnic-extended-latest)')
    .action(s.action(async () => (await import('./commands/origins.js')).originsImport));
  origins
    .command('show')
    .helpGroup(ORIGIN_DATA)
    .summary('the data sets in use (name, date, SHA-256), the files read and their rows')
    .addOption(dataOption())
    .option('--json', 'print it as JSON')
    .action(s.action(async () => (await import('./commands/origins.js')).originsShow));
  origins
    .command('lookup')
    .helpGroup(ORIGIN_DATA)
    .summary('where an address is registered: country, AS and its name, registry')
    .addOption(dataOption())
    .argument('<IP>', 'the address')
    .option('--json', 'print the origin as JSON')
    .action(s.action(async () => (await import('./commands/origins.js')).originsLookup));
}
