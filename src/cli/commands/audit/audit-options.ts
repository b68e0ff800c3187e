import { parseDescriptor } from '../../../config/descriptor.js';
import { SpamxError } from '../../../core/errors.js';
import type { VerifierKey } from '../../../core/signed-note.js';
import { publisherCheckpointKeys } from '../../../verify/checkpoint-note.js';
import { parseWitnessKey } from '../../../verify/cosigners.js';
import type { PinnedKeySet } from '../../../verify/pinned-keys.js';
import { intOption, UsageError } from '../../args.js';
import { readJson, readText } from '../input-files.js';
import type { WitnessTarget } from './audit-witnesses.js';

export const TRANSPARENCY_OPTIONS = {
  'checkpoint-key': { type: 'string' },
  witness: { type: 'string', multiple: true },
  'witness-key': { type: 'string', multiple: true },
  quorum: { type: 'string' },
  since: { type: 'string' },
  save: { type: 'string' },
} as const;

export interface TransparencyValues {
  readonly 'checkpoint-key'?: string | undefined;
  readonly witness?: string[] | undefined;
  readonly 'witness-key'?: string[] | undefined;
  readonly quorum?: string | undefined;
  readonly since?: string | undefined;
  readonly save?: string | undefined;
}

/** What the audit checks beyond the batches, once the options are read and their files parsed. */
export interface TransparencyOptions {
  readonly checkpointKeys: readonly VerifierKey[];
  readonly witnesses: readonly WitnessTarget[];
  readonly quorum: number;
  readonly since: { readonly file: string; readonly text: string } | undefined;
  readonly save: string | undefined;
}

/**
 * The transparency part of `spamx audit`, or undefined for the plain form (any of these options
 * turns it on). `--quorum` defaults to every witness named; `--witness URL=VKEY` splits at the
 * first `=`, since a verifier key's base64 may end in `=`.
 */
export function transparencyOptions(values: TransparencyValues, publisher: string, keys: PinnedKeySet): TransparencyOptions | undefined {
  if (Object.keys(TRANSPARENCY_OPTIONS).every((k) => values[k as keyof TransparencyValues] === undefined)) return undefined;
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
  if (!URL.canParse(text) || !/^https?:$/.test(new URL(text).protocol)) throw new UsageError(`${where}: "${text}" is not an http(s) URL`);
  return text.replace(/\/+$/, '');
}
