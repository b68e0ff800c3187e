import type { TransparencyOptions } from '../../audit/audit-feed.js';
import type { WitnessTarget } from '../../audit/audit-witnesses.js';
import { parseDescriptor } from '../../config/descriptor.js';
import { SpamxError } from '../../core/errors.js';
import { redactCredentials } from '../../core/redact-credentials.js';
import { publisherCheckpointKeys } from '../../verify/checkpoint-note.js';
import { parseWitnessKey } from '../../verify/cosigners.js';
import type { PinnedKeySet } from '../../verify/pinned-keys.js';
import { intOption, UsageError } from '../args.js';
import { readJson, readText } from './input-files.js';

/** `spamx audit`'s transparency flags as given, by flag name; any of them turns the checks on. */
export interface TransparencyValues {
  readonly 'checkpoint-key'?: string | undefined;
  readonly witness?: string[] | undefined;
  readonly 'witness-key'?: string[] | undefined;
  readonly quorum?: string | undefined;
  readonly since?: string | undefined;
  readonly save?: string | undefined;
}

/** The audit's options (src/audit), plus where to save a checkpoint that verified. */
export type AuditOptions = TransparencyOptions & { readonly save: string | undefined };

const FLAGS = ['checkpoint-key', 'witness', 'witness-key', 'quorum', 'since', 'save'] as const;

/**
 * The transparency part of `spamx audit`, or undefined for the plain form (any of these options
 * turns it on). `--quorum` defaults to every witness named; `--witness URL=VKEY` splits at the
 * first `=`, since a verifier key's base64 may end in `=`.
 */
export function transparencyOptions(values: TransparencyValues, publisher: string, keys: PinnedKeySet): AuditOptions | undefined {
  if (FLAGS.every((k) => values[k] === undefined)) return undefined;
  const witnesses = [
    ...(values.witness ?? []).map((arg) => {
      const eq = arg.indexOf('=');
      if (eq < 0) throw new UsageError(`--witness takes URL=VKEY, got "${arg}"`);
      return { url: checkedUrl(arg.slice(0, eq), '--witness'), witness: parseWitnessKey(arg.slice(eq + 1)) };
    }),
    ...(values['witness-key'] ?? []).map(witnessFromDescriptor),
  ];
  if (values.quorum !== undefined && witnesses.length === 0) throw new UsageError('--quorum needs --witness or --witness-key');
  return {
    checkpointKeys: publisherCheckpointKeys(publisher, keys, values['checkpoint-key']),
    witnesses,
    quorum: intOption(values.quorum, '--quorum', 1, witnesses.length) ?? witnesses.length,
    since: values.since === undefined ? undefined : { file: values.since, text: readText(values.since) },
    save: values.save,
  };
}

/** A descriptor file (`spamx descriptor --url URL`): its checkpoint key is the witness's cosigning name and key. */
function witnessFromDescriptor(file: string): WitnessTarget {
  const d = parseDescriptor(readJson(file), file);
  if (!d.checkpointKey || !d.url) throw new SpamxError('BAD_REQUEST', `${file}: a witness descriptor needs "checkpointKey" and "url"`);
  return { url: checkedUrl(d.url, file), witness: parseWitnessKey(d.checkpointKey) };
}

function checkedUrl(text: string, where: string): string {
  if (!URL.canParse(text) || !/^https?:$/.test(new URL(text).protocol)) throw new UsageError(`${where}: "${redactCredentials(text)}" is not an http(s) URL`);
  return text.replace(/\/+$/, '');
}
