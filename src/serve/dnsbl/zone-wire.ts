import dnsPacket, { type Answer, type Question } from 'dns-packet';

/** dns-packet's record codec, which its type declarations leave out. */
const answerCodec = (dnsPacket as unknown as { answer: { encode(record: Answer, buf: Buffer, offset: number): Buffer; encodingLength(record: Answer): number } }).answer;
const questionCodec = (dnsPacket as unknown as { question: { encode(q: Question, buf: Buffer, offset: number): Buffer; encodingLength(q: Question): number } }).question;

const TYPE_A = 1;
const TYPE_TXT = 16;
const CLASS_IN = 1;
const HEADER = 12;
/** RFC 1035 §4.1.4: a pointer to the question's name, the zone, right after the header. */
const ZONE_POINTER = 0xc000 | HEADER;
const AA = 0x0400;

/**
 * The messages of a zone transfer, written straight into one buffer. A transfer is two records
 * per name, a million names: dns-packet's general encoder (no name compression) took most of the
 * time and twice the bytes. So A and TXT records of names in the zone are written here, each
 * owner as its own labels and a pointer to the zone's name in the question (RFC 1035 §4.1.4;
 * every message carries the question, as RFC 5936 §2.2.1 allows), the TXT's owner as a pointer
 * to the A's just before it; anything else (SOA, NS) goes through dns-packet's record encoder.
 */
export class ZoneMessageWriter {
  private readonly buf: Buffer;
  private offset = 0;
  private count = 0;
  private readonly suffix: string;
  private lastOwner = '';
  private lastOwnerAt = -1;

  constructor(
    private readonly id: number,
    private readonly question: Question,
    zone: string,
    /** Stop adding past this many bytes (a record never crosses the 64 KB limit: the rest is headroom). */
    private readonly limit: number,
  ) {
    this.buf = Buffer.alloc(limit + 8_192);
    this.suffix = `.${zone}`;
    this.reset();
  }

  get full(): boolean {
    return this.offset >= this.limit;
  }

  get records(): number {
    return this.count;
  }

  private reset(): void {
    this.buf.writeUInt16BE(this.id, 0);
    this.buf.writeUInt16BE(0x8000 | AA, 2);
    this.buf.writeUInt16BE(1, 4);
    this.buf.writeUInt32BE(0, 6);
    this.buf.writeUInt16BE(0, 10);
    questionCodec.encode(this.question, this.buf, HEADER);
    this.offset = HEADER + questionCodec.encodingLength(this.question);
    this.count = 0;
    this.lastOwner = '';
    this.lastOwnerAt = -1;
  }

  add(record: Answer): void {
    const name = record.name;
    if ((record.type === 'A' || record.type === 'TXT') && name.endsWith(this.suffix) && record.ttl !== undefined) {
      this.writeOwner(name.slice(0, -this.suffix.length));
      const at = this.offset;
      this.buf.writeUInt16BE(record.type === 'A' ? TYPE_A : TYPE_TXT, at);
      this.buf.writeUInt16BE(CLASS_IN, at + 2);
      this.buf.writeUInt32BE(record.ttl, at + 4);
      let p = at + 10;
      if (record.type === 'A') {
        for (const part of (record.data as string).split('.')) this.buf[p++] = Number(part);
      } else {
        for (const chunk of record.data as Buffer[]) {
          this.buf[p++] = chunk.length;
          p += chunk.copy(this.buf, p);
        }
      }
      this.buf.writeUInt16BE(p - at - 10, at + 8);
      this.offset = p;
    } else {
      answerCodec.encode(record, this.buf, this.offset);
      this.offset += answerCodec.encodingLength(record);
      this.lastOwner = '';
    }
    this.count++;
  }

  /** The owner's labels and a pointer to the zone; the same owner as the record before, a pointer to it. */
  private writeOwner(relative: string): void {
    if (relative === this.lastOwner && this.lastOwnerAt >= 0) {
      this.buf.writeUInt16BE(0xc000 | this.lastOwnerAt, this.offset);
      this.offset += 2;
      return;
    }
    const start = this.offset;
    let p = start;
    for (const label of relative.split('.')) {
      const length = this.buf.write(label, p + 1, 'latin1');
      this.buf[p] = length;
      p += 1 + length;
    }
    this.buf.writeUInt16BE(ZONE_POINTER, p);
    this.offset = p + 2;
    // A pointer holds 14 bits of offset: names past that are not pointed to.
    if (start < 0x4000) {
      this.lastOwner = relative;
      this.lastOwnerAt = start;
    } else this.lastOwner = '';
  }

  /** The message so far (a copy), and a fresh start for the next. */
  take(): Buffer {
    this.buf.writeUInt16BE(this.count, 6);
    const message = Buffer.from(this.buf.subarray(0, this.offset));
    this.reset();
    return message;
  }
}
