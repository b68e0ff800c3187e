/** How much of a refused line or prefix text is kept: enough to recognise it. */
export const CLIPPED_CHARS = 200;

/**
 * The first `max` characters of `text` and a mark saying how long it was, or `text` itself when
 * no longer. What a stranger sends is stored and shown only this far: a 10 MB report line once
 * became a 20 MB refusal row (the text, and the reason quoting it).
 */
export function clipText(text: string, max = CLIPPED_CHARS): string {
  if (text.length <= max) return text;
  // Never cut a surrogate pair in two.
  const end = isHighSurrogate(text.charCodeAt(max - 1)) ? max - 1 : max;
  return `${text.slice(0, end)}… [truncated, ${text.length} characters]`;
}

/**
 * A reason that quotes `quoted` (parsePrefix's `"…" is not an IPv4 dotted quad`) with the quote
 * clipped, then the whole reason clipped at a larger bound, so it still says why.
 */
export function clipReason(reason: string, quoted: string | null, max = 4 * CLIPPED_CHARS): string {
  let text = reason;
  if (quoted !== null && quoted.length > CLIPPED_CHARS && reason.length > max) {
    const clipped = clipText(quoted);
    text = reason.split(quoted).join(clipped);
  }
  return clipText(text, max);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
