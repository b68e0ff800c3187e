import dnsPacket, { type Answer, type DecodedPacket, type Packet, type Question } from 'dns-packet';
import { fastAnswer, UDP_EDNS, UDP_PLAIN } from './dnsbl-fast-path.js';
import { parseQueryName } from './dnsbl-name.js';
import { questionSection } from './dnsbl-question.js';
import { LISTED_A, listingOf, soaRecord, type DnsblZone, type Listing } from './dnsbl-zone.js';

const RCODE = { NOERROR: 0, FORMERR: 1, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const OPCODE_QUERY = 0;
const OPCODE_BITS = 0x7800;
const { AUTHORITATIVE_ANSWER: AA, RECURSION_DESIRED: RD, TRUNCATED_RESPONSE: TC, DNSSEC_OK: DO } = dnsPacket;

/**
 * Answers one DNS message as the authoritative server of a DNSBL zone, or returns undefined to
 * drop it: a message that does not parse, a response (answering those could loop two servers),
 * a name that is not plain ASCII (dns-packet would re-encode it longer than it came); a name
 * with a '.' inside a label is refused, its question echoed as it came. Over TCP a
 * message may take 65,535 bytes (RFC 1035 §4.2.2); over UDP a bigger answer is truncated.
 */
export function answerQuery(message: Buffer, zone: DnsblZone, transport: 'udp' | 'tcp'): Buffer | undefined {
  return fastAnswer(message, zone) ?? generalAnswer(message, zone, transport);
}

/** Any message, decoded and answered with dns-packet. */
export function generalAnswer(message: Buffer, zone: DnsblZone, transport: 'udp' | 'tcp'): Buffer | undefined {
  let request: DecodedPacket;
  try {
    request = dnsPacket.decode(message);
  } catch {
    return undefined;
  }
  if (request.flag_qr) return undefined;
  const questions = request.questions ?? [];
  if (questions.some((q) => Buffer.byteLength(q.name) !== q.name.length)) return undefined;
  const section = questionSection(message, questions.length);
  if (!section) return undefined;
  const opt = (request.additionals ?? []).find((a) => a.type === 'OPT');
  const reply: Reply = { rcode: RCODE.NOERROR, aa: false, answers: [], authorities: [] };
  const opcode = (request.flags ?? 0) & OPCODE_BITS;
  if (opt && opt.ednsVersion > 0) reply.badVersion = true; // RFC 6891 §6.1.3: BADVERS
  else if (opcode >> 11 !== OPCODE_QUERY) reply.rcode = RCODE.NOTIMP;
  else if (questions.length !== 1) reply.rcode = RCODE.FORMERR;
  // A label holding a '.' is a name (RFC 2181 §11) that dns-packet's text form would read as more
  // labels, asking about another name: 1.2.3.4 as one label would read as an address. The query
  // is well formed, so not FORMERR ("unable to interpret", RFC 1035 §4.1.1); no such name is in
  // the zone, and this server declines by policy to answer what it cannot name faithfully:
  // REFUSED, the question echoed as it came.
  else if (section.dottedLabel) reply.rcode = RCODE.REFUSED;
  else answer(questions[0]!, zone, reply);
  const rawQuestion = section.dottedLabel && questions.length === 1 ? message.subarray(12, section.end) : undefined;
  const response: Packet = {
    id: request.id ?? 0,
    type: 'response',
    // RFC 1035 §4.1.1: the opcode and RD are copied from the query.
    flags: opcode | ((request.flags ?? 0) & RD) | (reply.aa ? AA : 0) | reply.rcode,
    questions: questions.length === 1 && !rawQuestion ? questions : [],
    answers: reply.answers,
    authorities: reply.authorities,
    additionals: opt
      ? [
          // RFC 3225 §3: the DO bit is copied from the query.
          { type: 'OPT', name: '.', udpPayloadSize: UDP_EDNS, extendedRcode: reply.badVersion ? 1 : 0, ednsVersion: 0, flags: opt.flag_do ? DO : 0, flag_do: opt.flag_do, options: [] },
        ]
      : [],
  };
  const encoded = withQuestion(dnsPacket.encode(response), rawQuestion);
  const limit = transport === 'tcp' ? 65_535 : opt ? Math.max(UDP_PLAIN, Math.min(opt.udpPayloadSize, UDP_EDNS)) : UDP_PLAIN;
  if (encoded.length <= limit) return encoded;
  // RFC 2181 §9: too big for UDP, so say so with TC and let the client ask again over TCP.
  return withQuestion(dnsPacket.encode({ ...response, flags: (response.flags ?? 0) | TC, answers: [], authorities: [] }), rawQuestion);
}

/** A response encoded without a question, given the query's question as its bytes came. */
function withQuestion(encoded: Buffer, rawQuestion: Buffer | undefined): Buffer {
  if (!rawQuestion) return encoded;
  const response = Buffer.concat([encoded.subarray(0, 12), rawQuestion, encoded.subarray(12)]);
  response.writeUInt16BE(1, 4); // QDCOUNT
  return response;
}

interface Reply {
  rcode: number;
  aa: boolean;
  badVersion?: boolean;
  answers: Answer[];
  authorities: Answer[];
}

function answer(question: Question, zone: DnsblZone, reply: Reply): void {
  const qclass = question.class ?? 'IN';
  const target = parseQueryName(question.name, zone.zone);
  if (target.kind === 'outside' || (qclass !== 'IN' && qclass !== 'ANY')) {
    reply.rcode = RCODE.REFUSED;
    return;
  }
  reply.aa = true;
  const name = question.name;
  const qtype: string = question.type;
  const wants = (type: string) => qtype === type || qtype === 'ANY';
  if (target.kind === 'apex') {
    if (wants('SOA')) reply.answers.push(soaRecord(zone));
    if (wants('NS')) reply.answers.push({ type: 'NS', name: zone.zone, ttl: zone.ttl, data: zone.nameserver });
    if (reply.answers.length === 0) reply.authorities.push(soaRecord(zone));
    return;
  }
  const listed = target.kind === 'v4' || target.kind === 'v6' ? listingOf(target, zone.index) : undefined;
  if (!listed) {
    // RFC 2308 §3: the SOA lets resolvers cache the negative answer. A name above addresses
    // exists (an empty non-terminal): NODATA.
    if (target.kind !== 'ancestor') reply.rcode = RCODE.NXDOMAIN;
    reply.authorities.push(soaRecord(zone));
    return;
  }
  if (wants('A')) reply.answers.push({ type: 'A', name, ttl: zone.ttl, data: LISTED_A });
  if (wants('TXT')) reply.answers.push({ type: 'TXT', name, ttl: zone.ttl, data: txtStrings(txtFor(listed, zone)) });
  if (reply.answers.length === 0) reply.authorities.push(soaRecord(zone));
}

/** RFC 5782 §5: what the test point's TXT says (the zone a secondary takes says the same, zone-content.ts). */
export const TEST_POINT_TXT = 'spamx DNSBL test point (RFC 5782 section 5): always listed';

/** RFC 5782 §2.1: the TXT says why the address is listed; ours names the sources and a link. */
function txtFor(listed: Listing, zone: DnsblZone): string {
  if (listed.testPoint && listed.sources === undefined) return TEST_POINT_TXT;
  return `Listed by ${listed.sources}; see ${zone.publicUrl}/lookup/${listed.address()}`;
}

/** A TXT's character-strings hold at most 255 bytes each (RFC 1035 §3.3.14). */
export function txtStrings(text: string): Buffer[] {
  const bytes = Buffer.from(text);
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 255) parts.push(bytes.subarray(i, i + 255));
  return parts;
}
