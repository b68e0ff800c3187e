export const USAGE = `spamx — exchange signed spam-origin IP batches between anti-spam centres

Usage:
  spamx init --data DIR --id ID [--name NAME] [--country CC] [--port N] [--host H] [--public-url URL]
             [--public] [--dnsbl-port N] [--dnsbl-zone ZONE]
  spamx serve --data DIR [--port N] [--host H] [--dnsbl-port N] [--dnsbl-zone ZONE]
  spamx descriptor --data DIR              print this node's descriptor, for partners to pin
  spamx peer add --data DIR URL [--schedule CRON] [--mirror URL]... [--quota N]
  spamx peer add --data DIR --file FILE [--schedule CRON] [--mirror URL]...
  spamx peer list --data DIR
  spamx peer remove --data DIR ID
  spamx key rotate --data DIR [--revoke-old]   switch to a new signing key (README "Key rotation")
  spamx key revoke --data DIR KID --after-seq N
  spamx key list --data DIR [--publisher ID] [--json]
  spamx peer unfreeze --data DIR ID          resume a feed frozen after equivocation
  spamx report --data DIR FILE|-           queue reports (plain lines or CSV)
  spamx delist --data DIR PREFIX... [--reason TEXT]
  spamx publish --data DIR                 cut batches from the queue now
  spamx pull --data DIR [PEER]             pull one peer, or all of them, now
  spamx status --data DIR [--json]
  spamx refusals --data DIR [--publisher ID] [--code CODE] [--limit N] [--json]
  spamx export --data DIR [--format F] [--family 4|6] [--min-sources N] [--source ID]... [--since T] [--aggregate]
  spamx lookup --data DIR IP [--json]
  spamx subscriber add --data DIR NAME     create an API key (printed once, on the last line)
  spamx subscriber list --data DIR | spamx subscriber revoke --data DIR NAME|ID
  spamx audit URL PUBLISHER --key JWK-FILE
             [--checkpoint-key VKEY] [--witness URL=VKEY]... [--witness-key FILE]... [--quorum K]
             [--since FILE] [--save FILE]    also the signed checkpoint, witnesses, consistency
  spamx evidence --data DIR IP > bundle.json  an offline-verifiable proof of this node's listing of IP
  spamx verify-evidence BUNDLE [--key FILE] [--checkpoint-key VKEY] [--witness VKEY]... [--quorum K]
  spamx demo [--once]                      four centres on this machine (npm run demo);
                                           --once exits 0 when they converge

--data may be replaced by the SPAMX_DATA environment variable.
Exit status: 0 success, 1 failure (one line on stderr says why), 2 bad arguments.
`;
