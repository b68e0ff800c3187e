import { clipText } from './clip-text.js';
import { canonicalAddress, parseMailDate } from './received-header.js';
import { refusal, type MailVerdict } from './mail-origin.js';
import { parseTimestamp } from './time.js';

/**
 * Abuse feedback: RFC 5965 ARF reports and X-ARF reports (https://www.x-arf.org, v0.2), read
 * from text already cut out of their MIME parts (core/mail-message.ts does the cutting).
 */

/** How much of a field's value a refusal quotes. */
const QUOTED_CHARS = 64;

/** An ARF report's machine-readable part (RFC 5965 §3.1: header-style fields), names lower case, values in order. */
export function feedbackFields(text: string): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  let name: string | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && name !== null) {
      const values = fields.get(name)!;
      values[values.length - 1] += ` ${line.trim()}`;
      continue;
    }
    const m = /^([!-9;-~]+):[ \t]*(.*)$/.exec(line);
    if (!m) {
      name = null;
      continue;
    }
    name = m[1]!.toLowerCase();
    const values = fields.get(name) ?? [];
    values.push(m[2]!.trim());
    fields.set(name, values);
  }
  return fields;
}

/**
 * The origin an ARF report names (RFC 5965 §3.2): only `Feedback-Type: abuse` is a spam report;
 * its `Source-IP` is the origin, dated by `Arrival-Date`. Without `Source-IP`, the caller finds
 * the origin hop of the enclosed message (`enclosed`, called only then).
 */
export function originOfArf(report: string, enclosed: () => MailVerdict | null): MailVerdict {
  const fields = feedbackFields(report);
  const type = fields.get('feedback-type')?.[0];
  if (type === undefined) return refusal('MAIL_MALFORMED', 'the ARF report has no Feedback-Type field (RFC 5965 §3.1)');
  if (type.toLowerCase() !== 'abuse') return refusal('MAIL_FEEDBACK_SKIPPED', `ARF Feedback-Type "${clipText(type, QUOTED_CHARS)}" is not abuse`);
  const arrival = fields.get('arrival-date')?.[0] ?? fields.get('received-date')?.[0];
  const at = arrival === undefined ? null : parseMailDate(arrival);
  const source = fields.get('source-ip')?.[0];
  if (source !== undefined) {
    const address = canonicalAddress(source.replace(/^\[|\]$/g, '').replace(/^IPv6:/i, ''));
    if (address === null) return refusal('MAIL_MALFORMED', `the ARF report's Source-IP "${clipText(source, QUOTED_CHARS)}" is not an address`);
    return { ok: true, address, at, via: 'arf', hop: 0 };
  }
  const found = enclosed();
  if (found === null) return refusal('MAIL_NO_ORIGIN', 'the ARF report has no Source-IP and encloses neither the message nor its header');
  if (!found.ok) return found;
  return { ...found, at: found.at ?? at, via: 'arf' };
}

/** An X-ARF report's YAML part: its top-level `Key: value` pairs, keys lower case (nothing nested is needed). */
export function xarfFields(yaml: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of yaml.split(/\r?\n/)) {
    const m = /^([A-Za-z][A-Za-z0-9_-]*)[ \t]*:(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2]!.trim();
    if (/^'.*'$|^".*"$/.test(value)) value = value.slice(1, -1);
    if (!fields.has(m[1]!.toLowerCase())) fields.set(m[1]!.toLowerCase(), value);
  }
  return fields;
}

/** The YAML part is the one naming the report's fields (X-ARF v0.2 §2: the second part, `report.txt`). */
export function looksLikeXarfYaml(text: string): boolean {
  return /^(Reported-From|Source-Type|Report-Type|Category)[ \t]*:/im.test(text);
}

/**
 * The origin an X-ARF report names: `Category: abuse` with `Report-Type: spam` (or none), and
 * `Source-Type: ip-address` with the address in `Source`. Any other category or type is
 * feedback of another kind, skipped with a reason.
 */
export function originOfXarf(yaml: string): MailVerdict {
  const f = xarfFields(yaml);
  const category = f.get('category');
  const type = f.get('report-type');
  if (category === undefined) return refusal('MAIL_MALFORMED', 'the X-ARF report has no Category');
  if (category.toLowerCase() !== 'abuse') return refusal('MAIL_FEEDBACK_SKIPPED', `X-ARF Category "${clipText(category, QUOTED_CHARS)}" is not abuse`);
  if (type !== undefined && type.toLowerCase() !== 'spam') return refusal('MAIL_FEEDBACK_SKIPPED', `X-ARF Report-Type "${clipText(type, QUOTED_CHARS)}" is not spam`);
  const sourceType = f.get('source-type');
  if (sourceType !== undefined && !/^(ip-address|ipv4|ipv6)$/i.test(sourceType)) {
    return refusal('MAIL_FEEDBACK_SKIPPED', `X-ARF Source-Type "${clipText(sourceType, QUOTED_CHARS)}" is not an address`);
  }
  const source = f.get('source');
  if (source === undefined) return refusal('MAIL_MALFORMED', 'the X-ARF report has no Source');
  const address = canonicalAddress(source);
  if (address === null) return refusal('MAIL_MALFORMED', `the X-ARF report's Source "${clipText(source, QUOTED_CHARS)}" is not an address`);
  const date = f.get('date');
  const at = date === undefined ? null : (parseMailDate(date) ?? parseTimestamp(date.replace(/[+-]00:?00$/, 'Z')) ?? null);
  return { ok: true, address, at, via: 'x-arf', hop: 0 };
}
