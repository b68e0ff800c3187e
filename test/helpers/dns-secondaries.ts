import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Real DNS secondaries for the zone transfer tests and benchmark: Knot DNS (`knotd`) and NSD
 * (`nsd`), each run in the foreground (so the test owns the process and stops it) with a config
 * in a directory of its own, pulling a zone from a spamx DNSBL on loopback.
 */
export interface Secondary {
  readonly name: 'knot' | 'nsd';
  readonly address: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** What the daemon logged so far. */
  log(): string;
  stop(): Promise<void>;
}

export interface TsigConfig {
  readonly name: string;
  readonly secret: string;
}

export interface SecondaryOptions {
  readonly dir: string;
  readonly zone: string;
  /** The address and port it listens on (UDP and TCP). */
  readonly address: string;
  readonly port: number;
  /** The spamx DNSBL: its address and port. */
  readonly primary: { address: string; port: number };
  /** Sign transfer requests with this key (Knot); without, the secondary is allowed by address. */
  readonly tsig?: TsigConfig;
  /** Knot: serve the zone by AXFR to this address too (the zone benchmark's baseline). */
  readonly transferTo?: string;
}

function run(name: Secondary['name'], command: string, args: string[], logFile: string, address: string, port: number): Secondary {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return {
    name,
    address,
    port,
    child,
    log: () => output + (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** Knot DNS as a secondary: `knotd -c CONF` (no -d: foreground). */
export function startKnot(o: SecondaryOptions): Secondary {
  mkdirSync(join(o.dir, 'db'), { recursive: true });
  const conf = join(o.dir, 'knot.conf');
  const logFile = join(o.dir, 'knot.log');
  writeFileSync(
    conf,
    [
      'server:',
      `    rundir: "${o.dir}"`,
      `    listen: ${o.address}@${o.port}`,
      '    udp-workers: 1',
      '    tcp-workers: 1',
      '    background-workers: 1',
      'database:',
      `    storage: "${join(o.dir, 'db')}"`,
      'log:',
      `  - target: ${logFile}`,
      '    any: info',
      ...(o.tsig ? ['key:', `  - id: ${o.tsig.name}`, '    algorithm: hmac-sha256', `    secret: ${o.tsig.secret}`] : []),
      'remote:',
      '  - id: spamx',
      `    address: ${o.primary.address}@${o.primary.port}`,
      ...(o.tsig ? [`    key: ${o.tsig.name}`] : []),
      'acl:',
      '  - id: notify_from_spamx',
      `    address: ${o.primary.address}`,
      '    action: notify',
      ...(o.transferTo ? ['  - id: transfer_out', `    address: ${o.transferTo}`, '    action: transfer'] : []),
      'template:',
      '  - id: default',
      `    storage: "${o.dir}"`,
      // The zone lives in memory (the journal keeps only IXFR changes): nothing is written back as a file.
      '    zonefile-sync: -1',
      '    zonefile-load: none',
      '    journal-content: changes',
      '    semantic-checks: off',
      'zone:',
      `  - domain: ${o.zone}`,
      '    master: spamx',
      `    acl: ${o.transferTo ? '[notify_from_spamx, transfer_out]' : 'notify_from_spamx'}`,
      '',
    ].join('\n'),
  );
  return run('knot', 'knotd', ['-c', conf], logFile, o.address, o.port);
}

/** NSD as a secondary: `nsd -d -c CONF` (foreground). */
export function startNsd(o: SecondaryOptions): Secondary {
  const conf = join(o.dir, 'nsd.conf');
  const logFile = join(o.dir, 'nsd.log');
  writeFileSync(
    conf,
    [
      'server:',
      `    ip-address: ${o.address}@${o.port}`,
      `    port: ${o.port}`,
      '    username: ""',
      '    chroot: ""',
      `    zonesdir: "${o.dir}"`,
      '    database: ""',
      `    pidfile: "${join(o.dir, 'nsd.pid')}"`,
      `    xfrdfile: "${join(o.dir, 'xfrd.state')}"`,
      `    xfrdir: "${o.dir}"`,
      `    zonelistfile: "${join(o.dir, 'zone.list')}"`,
      `    logfile: "${logFile}"`,
      '    verbosity: 2',
      '    server-count: 1',
      '    xfrd-reload-timeout: 0',
      // Transfers and SOA checks go out from its own address, which spamx allows.
      'remote-control:',
      '    control-enable: no',
      ...(o.tsig ? ['key:', `    name: ${o.tsig.name}`, '    algorithm: hmac-sha256', `    secret: "${o.tsig.secret}"`] : []),
      'zone:',
      `    name: ${o.zone}`,
      `    outgoing-interface: ${o.address}`,
      `    request-xfr: ${o.primary.address}@${o.primary.port} ${o.tsig ? o.tsig.name : 'NOKEY'}`,
      `    allow-notify: ${o.primary.address} NOKEY`,
      '',
    ].join('\n'),
  );
  return run('nsd', 'nsd', ['-d', '-c', conf], logFile, o.address, o.port);
}

export interface Answer {
  readonly status: string;
  /** The answer section's data of the asked type, sorted. */
  readonly data: readonly string[];
}

/** Asks `dig` one question of the server at address:port over UDP (or TCP). */
export function ask(address: string, port: number, name: string, type: string, extra: readonly string[] = []): Promise<Answer> {
  const args = [`@${address}`, '-p', String(port), '+time=2', '+tries=3', '+noall', '+comments', '+answer', ...extra, name, type];
  return new Promise((resolve, reject) => {
    execFile('dig', args, { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`dig ${args.join(' ')}: ${err.message} ${stderr}`));
      const status = /status: ([A-Z]+)/.exec(stdout)?.[1];
      if (!status) return reject(new Error(`dig ${args.join(' ')}: no answer: ${stdout} ${stderr}`));
      const data = stdout
        .split('\n')
        .filter((line) => line && !line.startsWith(';'))
        .map((line) => line.split(/\s+/))
        .filter((parts) => parts[3] === type)
        .map((parts) => parts.slice(4).join(' '))
        .sort();
      resolve({ status, data });
    });
  });
}

/** The SOA serial a server answers for the zone, or undefined when it has none yet. */
export async function soaSerial(address: string, port: number, zone: string): Promise<number | undefined> {
  const answer = await ask(address, port, zone, 'SOA');
  const serial = answer.status === 'NOERROR' ? answer.data[0]?.split(' ')[2] : undefined;
  return serial === undefined ? undefined : Number(serial);
}

/** Runs a command, resolving its output whatever its exit code. */
export function runTool(command: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, [...args], { timeout: 120_000, maxBuffer: 1 << 30 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
