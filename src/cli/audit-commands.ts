import type { Command } from 'commander';
import type { Session } from './session.js';
import { dataOption, neededOption, repeatableOption } from './synopsis.js';

const AUDIT = 'Auditing:';

/** `spamx audit`, `evidence`, `verify-evidence`, and `demo`. */
export function defineAuditCommands(program: Command, s: Session): void {
  program
    .command('audit')
    .helpGroup(AUDIT)
    .summary("verify a publisher's whole feed as served by any node; with the transparency flags also its checkpoint and witnesses")
    .description(
      'Fetches the whole feed of PUBLISHER from the node at URL and verifies every batch (signature, header, seq, prev) with --key, ' +
        "following the publisher's key statements; stops at the first bad batch. Any of --checkpoint-key, --witness, --witness-key, " +
        "--quorum, --since or --save also checks the node's signed checkpoint against the tree recomputed from the batches, " +
        'a checkpoint saved earlier, and the witnesses\' cosigned views.',
    )
    .argument('<URL>', 'the node serving the feed')
    .argument('<PUBLISHER>', "the feed's publisher id")
    .addOption(neededOption('--key <FILE>', "the publisher's key: a JWK, a JWKS or a descriptor file"))
    .option('--data <DIR>', "take the HTTP limits from this node's config")
    .option('--checkpoint-key <VKEY>', "the publisher's checkpoint verifier key (default: spamx/PUBLISHER over --key)")
    .addOption(repeatableOption('--witness <URL=VKEY>', "a witness's URL and cosigning key; repeatable"))
    .addOption(repeatableOption('--witness-key <FILE>', "a witness's descriptor file (`spamx descriptor --url URL`); repeatable"))
    .option('--quorum <K>', 'witnesses that must vouch (default: every one named)')
    .option('--since <FILE>', 'a checkpoint saved by an earlier audit: the log must extend it')
    .option('--save <FILE>', 'save the checkpoint when every check passes, for the next --since')
    .option('--json', 'print the result as JSON')
    .option('--quiet', 'no progress bar (there is none unless stderr is a terminal, nor with --json)')
    .addHelpText('after', '\nExit status: 0 every check passed, 1 a batch or check failed (one line on stderr each), 2 bad arguments.')
    .action(s.action(async () => (await import('./commands/audit.js')).audit));

  program
    .command('evidence')
    .helpGroup(AUDIT)
    .summary("an offline-verifiable proof of this node's listing of IP, on stdout")
    .description(
      "Prints a self-contained bundle proving this node's listing of IP (each listing's batch, inclusion proof, checkpoint, keys " +
        'and witnesses), for `spamx verify-evidence` to check offline. Listings that cannot be proven are named on stderr.',
    )
    .addOption(dataOption())
    .argument('<IP>', 'the address')
    .option('--quiet', 'no progress bar (there is none unless stderr is a terminal)')
    .addHelpText('after', '\nExit status: 0 a bundle was printed, 1 the address is not listed or no listing can be proven yet, 2 bad arguments.')
    .action(s.action(async () => (await import('./commands/evidence.js')).evidence));

  program
    .command('verify-evidence')
    .helpGroup(AUDIT)
    .summary('check an evidence bundle offline, listing by listing')
    .description(
      "Checks an evidence bundle with no network: each listing's batch signature, entry, leaf hash, inclusion proof, checkpoint " +
        'signature and cosignatures. What is not given is taken from the bundle, and the summary says which.',
    )
    .argument('<BUNDLE>', 'the bundle file (from `spamx evidence`)')
    .option('--key <FILE>', "the publisher's key: a JWK, a JWKS or a descriptor file")
    .option('--checkpoint-key <VKEY>', "the publisher's checkpoint verifier key")
    .addOption(repeatableOption('--witness <VKEY>', "a witness's cosigning key; repeatable"))
    .option('--quorum <K>', 'valid cosignatures needed (default: 1)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExit status: 0 every listing holds, 1 a check failed (named on stderr) or the bundle is malformed, 2 bad arguments.')
    .action(s.action(async () => (await import('./commands/verify-evidence.js')).verifyEvidenceCommand));

  program
    .command('demo')
    .helpGroup('Running a node:')
    .summary("four centres on this machine, converging (npm run demo)")
    .description('Runs the demo centres of peers/ as real nodes on this machine, feeds them made-up reports and shows how their lists converge; runs until Ctrl-C.')
    .option('--once', 'exit 0 once they converge, 1 if they do not in 180 s (or set SPAMX_DEMO_ONCE=1)')
    .action(s.action(async () => (await import('../demo/demo.js')).demo));
}
