import Database from 'better-sqlite3';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect, type Socket } from 'node:net';

/**
 * Clients that ask and then stop reading, as a stranger stalling a node does, and what the test
 * reads of the node meanwhile: its memory, its sockets, its WAL.
 */

export interface StalledClient {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** The body of a refusal (read whole); what arrived of a 200 before the client stopped reading. */
  readonly body: string;
  readonly socket: Socket;
}

/**
 * Sends `METHOD path` from `localAddress` (any of 127.0.0.0/8, so the node sees many client
 * addresses) and reads the response head; a 200 is then left unread, a refusal is read whole.
 */
export function stalledRequest(
  url: string,
  path: string,
  options: { localAddress?: string; headers?: Record<string, string>; method?: string } = {},
): Promise<StalledClient> {
  const { hostname, port } = new URL(url);
  const lines = [`${options.method ?? 'GET'} ${path} HTTP/1.1`, `host: ${hostname}:${port}`, ...Object.entries(options.headers ?? {}).map(([k, v]) => `${k}: ${v}`)];
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), localAddress: options.localAddress });
    let received = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`${path}: closed before a response head (${received.length} bytes)`)));
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine, ...fields] = received.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(statusLine!.split(' ')[1]);
      const headers = Object.fromEntries(fields.map((f) => [f.slice(0, f.indexOf(':')).toLowerCase(), f.slice(f.indexOf(':') + 1).trim()]));
      const body = received.subarray(end + 4);
      if (status !== 200 && body.length < Number(headers['content-length'] ?? 0)) return;
      socket.removeAllListeners('data');
      socket.removeAllListeners('close');
      socket.removeAllListeners('error');
      socket.on('error', () => {});
      if (status === 200) socket.pause();
      resolve({ status, headers, body: body.toString('latin1'), socket });
    });
  });
}

/** Resident memory of a process, in MB (VmRSS of /proc/PID/status). */
export function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

/** How many sockets a process holds open (its fds that are sockets). */
export function socketCount(pid: number): number {
  return socketInodes(pid).size;
}

/**
 * Whether process `pid` still holds open its end of the IPv4 TCP connection whose other end is
 * local port `peerPort` (as /proc/net/tcp lists it, by socket inode). Unlike a count of its
 * sockets, other connections opening and closing meanwhile do not change the answer.
 */
export function holdsConnection(pid: number, peerPort: number): boolean {
  const inodes = socketInodes(pid);
  const port = peerPort.toString(16).toUpperCase().padStart(4, '0');
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .some((line) => {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …
      const fields = line.trim().split(/\s+/);
      return fields[2]?.endsWith(`:${port}`) === true && inodes.has(fields[9]!);
    });
}

/** The inodes of the sockets a process holds open (`socket:[INODE]` in /proc/PID/fd). */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // closed while listed
    }
  }
  return inodes;
}

/**
 * A PASSIVE checkpoint from the test's own connection: `log` frames in the WAL, `checkpointed`
 * of them copied. A read snapshot that some connection keeps open stops the copy at its frame.
 */
export function walCheckpoint(dbPath: string): { busy: number; log: number; checkpointed: number } {
  const db = new Database(dbPath);
  try {
    db.pragma('busy_timeout = 5000');
    return (db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[])[0]!;
  } finally {
    db.close();
  }
}

/** Milliseconds `GET url` takes to answer, with its status. */
export async function timed(url: string): Promise<{ ms: number; status: number }> {
  const start = performance.now();
  const res = await fetch(url);
  await res.arrayBuffer();
  return { ms: performance.now() - start, status: res.status };
}
