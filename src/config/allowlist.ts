import { readFileSync } from 'node:fs';
import { SpamxError } from '../core/errors.js';
import { parsePrefix, type Prefix } from '../core/prefix.js';
import { PrefixSet } from '../core/prefix-set.js';

/**
 * Reads the allowlist: one address or prefix per line, `#` comments. A missing file is an empty
 * allowlist; a bad line is an error naming the line's number, so a typo never silently allows
 * nothing.
 */
export function loadAllowlist(file: string): PrefixSet {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new PrefixSet([]);
    throw new SpamxError('CONFIG_INVALID', `cannot read allowlist ${file}: ${(err as Error).message}`);
  }
  const prefixes: Prefix[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const parsed = parsePrefix(line);
    // The line is named by number, never quoted: allowlistFile may point at a file that is no
    // allowlist (a key, /etc/shadow), and the error is logged and printed.
    if (!parsed.ok) throw new SpamxError('CONFIG_INVALID', `${file}: line ${i + 1} is not an address or prefix (${parsed.code})`);
    prefixes.push(parsed.prefix);
  });
  return new PrefixSet(prefixes);
}
