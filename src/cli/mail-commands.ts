import type { Command } from 'commander';
import type { Session } from './session.js';
import { dataOption } from './synopsis.js';

const MAIL = 'Daily reports by e-mail:';

/**
 * `spamx mail send`: the scoped subscribers' daily reports (src/serve/mail/mail-reports.ts) sent
 * or printed now. Not `spamx report send`: `spamx report FILE` queues observations.
 */
export function defineMailCommands(program: Command, s: Session): void {
  const mail = program
    .command('mail')
    .helpGroup(MAIL)
    .summary('the daily report mailed to each scoped subscriber with a contact (mail.smtp in config.json)')
    .description('The daily report mailed to each scoped subscriber with a contact, through the relay in mail.smtp of config.json.');
  mail
    .command('send')
    .helpGroup(MAIL)
    .summary("make the reports of a UTC day and send them now, whatever was sent before; or print them")
    .description(
      'Makes the reports of a UTC day (by default yesterday) for every active subscriber with a scope and a contact, and sends them ' +
        'through mail.smtp now, whatever was sent before: to test the relay. A day that has ended, once sent, is not sent again by the node.',
    )
    .addOption(dataOption())
    .option('--day <YYYY-MM-DD>', 'the UTC day reported (default: yesterday; today gives the day so far)')
    .option('--subscriber <NAME>', 'only the report of this subscriber')
    .option('--dry-run', 'print the reports instead of sending them')
    .action(s.action(async () => (await import('./commands/mail.js')).mailSend));
}
