const HEADER = 12;
/** A name of 255 bytes has at most 127 labels, so this many pointers means a loop. */
const MAX_JUMPS = 127;

/** Where a message's question section ends, and whether a label in it holds a '.' byte. */
export interface QuestionSection {
  readonly end: number;
  readonly dottedLabel: boolean;
}

/**
 * Walks the `count` questions that follow the header, as the bytes came: a label may hold any
 * octet, '.' too (RFC 2181 §11), which no dotted text form of the name keeps apart from the
 * label boundaries. Undefined when a name runs past the end, uses a reserved label type, or
 * points forward, into the header, or in a loop (RFC 1035 §4.1.4: a pointer names an earlier
 * occurrence of a name).
 */
export function questionSection(message: Buffer, count: number): QuestionSection | undefined {
  let offset = HEADER;
  let dottedLabel = false;
  for (let q = 0; q < count; q++) {
    let at = offset;
    let end: number | undefined;
    for (let jumps = 0; ; ) {
      const length = message[at];
      if (length === undefined) return undefined;
      if (length === 0) {
        end ??= at + 1;
        break;
      }
      if ((length & 0xc0) === 0xc0) {
        if (at + 2 > message.length || ++jumps > MAX_JUMPS) return undefined;
        const target = message.readUInt16BE(at) & 0x3fff;
        if (target < HEADER || target >= at) return undefined;
        end ??= at + 2;
        at = target;
        continue;
      }
      if (length > 63 || at + 1 + length > message.length) return undefined;
      if (message.subarray(at + 1, at + 1 + length).includes(0x2e)) dottedLabel = true;
      at += 1 + length;
    }
    offset = end + 4; // QTYPE, QCLASS
    if (offset > message.length) return undefined;
  }
  return { end: offset, dottedLabel };
}
