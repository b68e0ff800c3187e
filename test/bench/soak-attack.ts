/**
 * The bad clients of the soak's attacked phase (issue 18), run as a process of their own
 * (`tsx soak-attack.ts PLAN-JSON`) so their work takes no time from the load generator's event
 * loop. Each kind comes from its own loopback address (127.0.0.2 and up; Linux routes all of
 * 127.0.0.0/8 to lo), as strangers would, so a per-address limit meets them and not the
 * legitimate load from 127.0.0.1. Every loop ends at the plan's deadline; then every socket is
 * closed and the counts are printed as JSON.
 */
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import dnsPacket from 'dns-packet';
import { Pool } from 'undici';

export interface AttackPlan {
  readonly url: string;
  readonly dnsblPort: number;
  readonly seconds: number;
  readonly ownFeed: string;
  readonly partnerFeed: string;
  readonly zone: string;
  /** Which kinds to run (soak-bench.ts ATTACK_KINDS), all when empty: to find which one costs what. */
  readonly kinds: readonly string[];
}

/**
 * How long a stalled client holds its connection before it drops it and opens another: longer
 * than the soak's bound on a checkpoint stall (three write rounds, 30 s), so a server that never
 * times a stalled stream out shows; each client holds a little longer than the one before, so
 * they never all let go at once.
 */
const HOLD_MS = 90_000;

const plan = JSON.parse(process.argv[2]!) as AttackPlan;
const target = new URL(plan.url);
const deadline = performance.now() + plan.seconds * 1000;
/** A timer may fire a little before performance.now() says it is due: loops stop 100 ms early, never racing it. */
const running = () => performance.now() < deadline - 100;
const sockets = new Set<Socket>();
const pools: Pool[] = [];
const counts: Record<string, number> = {};
const count = (kind: string, n = 1) => void (counts[kind] = (counts[kind] ?? 0) + n);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, Math.min(ms, deadline - performance.now()))));

function open(localAddress: string, port: number): Socket {
  const socket = connect({ host: '127.0.0.1', port, localAddress });
  socket.on('error', () => count('socket errors'));
  sockets.add(socket);
  socket.once('close', () => sockets.delete(socket));
  return socket;
}

/**
 * Sends one request and never reads the answer: the socket is paused before anything arrives,
 * so once Node's small buffer and the kernel's receive buffer are full the server's writes back
 * up. Held `holdMs`, then dropped for a new one, until the deadline.
 */
async function stalled(localAddress: string, path: string, holdMs: number): Promise<void> {
  while (running()) {
    const socket = open(localAddress, Number(target.port));
    socket.pause();
    socket.write(`GET ${path} HTTP/1.1\r\nHost: ${target.host}\r\n\r\n`);
    count(`stalled GET ${path.split('?')[0]}`);
    await sleep(holdMs);
    socket.destroy();
  }
}

/** Sends requests one after another from `localAddress` until the deadline, reading each answer. */
async function repeat(localAddress: string, kind: string, request: () => { method: 'GET' | 'HEAD'; path: string; headers?: Record<string, string> }, pauseMs = 0): Promise<void> {
  const pool = new Pool(target.origin, { connections: 1, localAddress, headersTimeout: 60_000, bodyTimeout: 60_000 });
  pools.push(pool);
  while (running()) {
    try {
      const res = await pool.request(request());
      await res.body.dump();
      count(`${kind} ${res.statusCode}`);
    } catch {
      count(`${kind} failed`);
    }
    await sleep(pauseMs);
  }
}

/** Malformed DNS messages (RFC 1035 §4.1), 100 a second over UDP until the deadline. */
async function malformedUdp(localAddress: string): Promise<void> {
  const udp = createSocket('udp4');
  await new Promise<void>((resolve) => udp.bind(0, localAddress, resolve));
  const header = (qdcount: number, flags = 0x0100) => Buffer.from([0x12, 0x34, flags >> 8, flags & 255, qdcount >> 8, qdcount & 255, 0, 0, 0, 0, 0, 0]);
  const tail = Buffer.from([0, 0, 1, 0, 1]);
  const labels = (...parts: string[]) => Buffer.concat(parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'latin1')])));
  const zone = labels(...plan.zone.split('.'));
  let seed = 1;
  const random = (n: number) => Buffer.from(Array.from({ length: n }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 255));
  const packets = [
    () => random(1 + (seed % 512)),
    () => header(1), // a question promised, none there
    () => Buffer.concat([header(1), Buffer.from([0xc0, 12]), tail.subarray(1)]), // a pointer to itself (§4.1.4)
    () => Buffer.concat([header(65535), labels('2', '0', '0', '127'), zone, tail]),
    () => Buffer.concat([header(1), labels('2.0', '0', '127'), zone, tail]), // a '.' inside a label
    () => Buffer.concat([header(1), Buffer.from([64]), random(64), zone, tail]), // label length 64: reserved bits
    () => Buffer.concat([header(1, 0x8180), labels('2', '0', '0', '127'), zone, tail]), // a response, not a query
    () => Buffer.concat([header(1), labels(...Array.from({ length: 150 }, () => 'a')), zone, tail]), // name over 255 octets
  ];
  try {
    for (let i = 0; running(); i++) {
      udp.send(packets[i % packets.length]!(), plan.dnsblPort, '127.0.0.1');
      count('malformed DNS over UDP');
      await sleep(10);
    }
  } finally {
    udp.close();
  }
}

/** Valid queries pipelined over DNS TCP (RFC 7766 §6.2.1.1) as fast as the socket takes them, up to 16 MB a connection, never reading a reply. */
async function pipelinedTcp(localAddress: string): Promise<void> {
  const query = dnsPacket.encode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name: `2.0.0.127.${plan.zone}`, class: 'IN' }] });
  const framed = Buffer.concat([Buffer.from([query.length >> 8, query.length & 255]), query]);
  const chunk = Buffer.concat(Array.from({ length: Math.floor(65_536 / framed.length) }, () => framed));
  while (running()) {
    const socket = open(localAddress, plan.dnsblPort);
    socket.pause();
    const started = performance.now();
    let closed = false;
    socket.once('close', () => (closed = true));
    for (let sent = 0; sent < 16 << 20 && !closed && performance.now() - started < HOLD_MS && running(); sent += chunk.length) {
      count('pipelined DNS bytes', chunk.length);
      if (!socket.write(chunk)) await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), sleep(HOLD_MS - (performance.now() - started))]);
    }
    await sleep(HOLD_MS - (performance.now() - started));
    socket.destroy();
  }
}

const ifNoneMatch = { 'if-none-match': `a${' '.repeat(15_000)}` };
const manySources = Array.from({ length: 100 }, (_, i) => `a${i}`).join(',');
const stalledPaths = [
  ...[1, 2].map(() => ['127.0.0.2', `/v1/feeds/${plan.ownFeed}/batches?after=0`] as const),
  ...[1, 2].map(() => ['127.0.0.2', `/v1/feeds/${plan.partnerFeed}/batches/1`] as const),
  ...[1, 2, 3].map(() => ['127.0.0.3', '/v1/blocklist'] as const),
  ...[1, 2].map(() => ['127.0.0.3', '/v1/blocklist/changes'] as const),
];
const wanted = (kind: string) => plan.kinds.length === 0 || plan.kinds.includes(kind);
const clients = [
  ...stalledPaths.filter(([from]) => wanted(from === '127.0.0.2' ? 'downloads' : 'streams')).map(([from, path], i) => stalled(from, path, HOLD_MS + i * 5_000)),
  ...(wanted('head') ? [repeat('127.0.0.4', 'HEAD /v1/blocklist', () => ({ method: 'HEAD', path: '/v1/blocklist' }), 30_000)] : []),
  // Paced (about 20 a second): quadratic parsing (200 ms each) would take the process whole at
  // that rate, linear parsing not; a flood at full speed would measure volume, not the parser.
  ...(wanted('if-none-match') ? [1, 2].map(() => repeat('127.0.0.5', 'If-None-Match of 15,000 spaces', () => ({ method: 'GET', path: `/v1/feeds/${plan.ownFeed}/batches/2`, headers: ifNoneMatch }), 100)) : []),
  ...(wanted('sources') ? [repeat('127.0.0.6', 'filter of 100 sources', () => ({ method: 'GET', path: `/v1/blocklist?source=${manySources}` }))] : []),
  ...(wanted('dns-udp') ? [malformedUdp('127.0.0.7')] : []),
  ...(wanted('dns-tcp') ? [1, 2].map(() => pipelinedTcp('127.0.0.8')) : []),
];

const finish = async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(pools.map((p) => p.destroy()));
  process.stdout.write(`${JSON.stringify(counts)}\n`);
  process.exit(0);
};
process.once('SIGTERM', () => void finish());
await Promise.all(clients);
await finish();
