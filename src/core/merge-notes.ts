import { SpamxError } from './errors.js';
import { signatureLine, type Note } from './signed-note.js';

/**
 * One signed note carrying every signature line of several notes over the same text, each line
 * once (c2sp.org/signed-note lets a note carry any number of signatures, and c2sp.org/tlog-
 * cosignature adds witnesses' lines to the log's note the same way).
 */
export function mergeNotes(notes: readonly Note[]): Note {
  const text = notes[0]?.text;
  if (text === undefined) throw new RangeError('no notes to merge');
  if (notes.some((n) => n.text !== text)) throw new SpamxError('BAD_REQUEST', 'notes to merge sign different texts');
  const seen = new Set<string>();
  const signatures = notes.flatMap((n) => n.signatures).filter((s) => {
    const line = formatSignature(s);
    return !seen.has(line) && seen.add(line);
  });
  return { text, signatures };
}

/** The note's wire form: text, a blank line, one `— name base64(key ID ‖ signature)` line each. */
export function formatNote(note: Note): string {
  return `${note.text}\n${note.signatures.map(formatSignature).join('')}`;
}

function formatSignature(s: Note['signatures'][number]): string {
  return signatureLine(s.name, s.keyId, s.body);
}
