import { execFile } from 'node:child_process';
import ipaddr from 'ipaddr.js';

export interface DigRecord {
  readonly name: string;
  readonly ttl: number;
  readonly type: string;
  readonly data: string;
}

export interface DigResult {
  /** NOERROR, NXDOMAIN, REFUSED, … */
  readonly status: string;
  readonly flags: readonly string[];
  readonly answer: readonly DigRecord[];
  readonly authority: readonly DigRecord[];
}

/** Asks a DNS server on 127.0.0.1 one question with the real `dig`, over UDP or TCP. */
export function dig(port: number, name: string, type = 'A', { tcp = false } = {}): Promise<DigResult> {
  const args = ['@127.0.0.1', '-p', String(port), '+time=2', '+tries=3', '+noall', '+comments', '+answer', '+authority'];
  if (tcp) args.push('+tcp');
  return new Promise((resolve, reject) => {
    execFile('dig', [...args, name, type], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`dig ${name} ${type}: ${err.message} ${stdout} ${stderr}`));
      const status = /status: ([A-Z]+)/.exec(stdout)?.[1];
      if (!status) return reject(new Error(`dig ${name} ${type}: no answer: ${stdout} ${stderr}`));
      const flags = /flags: ([a-z ]*);/.exec(stdout)?.[1]?.trim().split(/\s+/) ?? [];
      const sections: Record<string, DigRecord[]> = { ANSWER: [], AUTHORITY: [] };
      let section = '';
      for (const line of stdout.split('\n')) {
        const header = /^;; ([A-Z]+) SECTION:/.exec(line);
        if (header) section = header[1]!;
        else if (line && !line.startsWith(';') && sections[section]) {
          const [owner, ttl, , rrtype, ...data] = line.split(/\s+/);
          sections[section]!.push({ name: owner!, ttl: Number(ttl), type: rrtype!, data: data.join(' ') });
        }
      }
      resolve({ status, flags, answer: sections.ANSWER!, authority: sections.AUTHORITY! });
    });
  });
}

/** The A answers' addresses, sorted (what `dig +short` prints for a DNSBL). */
export async function digA(port: number, name: string, options: { tcp?: boolean } = {}): Promise<string[]> {
  const result = await dig(port, name, 'A', options);
  return result.answer.filter((r) => r.type === 'A').map((r) => r.data).sort();
}

/** RFC 5782 §2.1: `d.c.b.a.<zone>`. */
export function v4Name(address: string, zone: string): string {
  return `${address.split('.').reverse().join('.')}.${zone}`;
}

/** RFC 5782 §2.4: 32 nibbles, least significant first. */
export function v6Name(address: string, zone: string): string {
  const hex = ipaddr.IPv6.parse(address).parts.map((p) => p.toString(16).padStart(4, '0')).join('');
  return `${[...hex].reverse().join('.')}.${zone}`;
}
