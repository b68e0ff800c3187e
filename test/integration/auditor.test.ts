import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCheckpoint } from '../../src/core/checkpoint.js';
import { cosign } from '../../src/core/cosignature.js';
import { rawPublicKey } from '../../src/core/ed25519.js';
import { formatVerifierKey, signerFor, signNote, SIG_COSIGNATURE_V1 } from '../../src/core/signed-note.js';
import type { SpamxNode } from '../../src/daemon.js';
import { FakePeerServer } from '../helpers/fake-peer.js';
import { initTestNode, pinTestPeer, PUBLIC_FEEDS, startTestNode } from '../helpers/nodes.js';
import { runCli, type CliResult } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * Auditor tools against three real nodes on loopback that pin each other and witness each
 * other's logs: `spamx audit` end to end (batches, tree, checkpoint, --since, witnesses), and
 * evidence bundles made from a node's store and checked offline after every node is gone.
 */
const tmp = tempDir();
const file = (name: string) => join(tmp.path, name);
let jp: SpamxNode;
let cn: SpamxNode;
let hk: SpamxNode;
let running = false;
const jpKey = () => join(jp.config.paths.dir, 'keys', 'ed25519.public.jwk');
const cnKey = () => join(cn.config.paths.dir, 'keys', 'ed25519.public.jwk');
const witness = (n: SpamxNode) => `${n.url}=${n.checkpointKey}`;
const audit = (...args: string[]) => runCli(['audit', jp.url, 'jp-dekyo', '--key', jpKey(), ...args]);
const oneLine = (r: CliResult) => {
  expect(r.code, r.stdout).toBe(1);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  return r.stderr;
};

/** Publishes on jp and lets both partners pull and cosign, twice so each collects the other's view. */
async function publishAndWitness(lines: string): Promise<void> {
  jp.reportText(lines);
  await jp.publish();
  for (const n of [cn, hk, cn, hk]) expect((await n.pull('jp-dekyo'))?.witness).toMatchObject({ status: 'cosigned' });
}

/** A checkpoint note signed with jp's real key: a lie only the tree can expose. */
function signedByJp(body: string): string {
  return signNote(body, [signerFor(jp.config.origin, jp.identity.signingKey)]);
}

beforeAll(async () => {
  [jp, cn, hk] = (await Promise.all(['jp-dekyo', 'cn-isc', 'hk-ofta'].map(async (id) => startTestNode(await initTestNode(tmp.path, { id, config: PUBLIC_FEEDS }))))) as [
    SpamxNode,
    SpamxNode,
    SpamxNode,
  ];
  running = true;
  for (const a of [jp, cn, hk]) for (const b of [jp, cn, hk]) if (a !== b) await pinTestPeer(a, b);
  for (let i = 1; i <= 5; i++) {
    jp.reportText(`61.4.${i}.7\n61.5.${i}.0/24\n`);
    await jp.publish();
  }
  await publishAndWitness('61.4.12.0/24\n');
  writeFileSync(file('hk.json'), JSON.stringify({ ...hk.descriptor(), url: hk.url }));
});

afterAll(async () => {
  if (running) await Promise.all([jp, cn, hk].map((n) => n.destroy()));
  tmp.cleanup();
});

describe('spamx audit', () => {
  it('keeps the plain form as it was: batches only', async () => {
    const r = await audit();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^jp-dekyo at .*: 6 batches verified, 11 entries\n  head leaf hash: .*\n  issued .*\n  every signature, header, seq and prev link checks out with key\(s\) \S+\n$/);
  });

  it('stops at the first bad batch served, naming its seq and reason', async () => {
    const page = (await (await fetch(`${jp.url}/v1/feeds/jp-dekyo/batches?after=0`)).json()) as { batches: { seq: number; jws: string }[] };
    const jws = page.batches.map((b) => b.jws);
    const flip = (j: string) => j.slice(0, -2) + (j.at(-2) === 'A' ? 'B' : 'A') + j.at(-1);
    const fake = new FakePeerServer();
    const url = await fake.listen();
    try {
      for (const [batches, expected] of [
        [[jws[0], jws[1], flip(jws[2]!), jws[3]], /seq 3 \(served as 3\) is bad: JWS_BAD_SIGNATURE: /],
        [[jws[0], jws[2], flip(jws[3]!)], /seq 2 \(served as 2\) is bad: BATCH_SEQ_GAP: batch has seq 3 where 2 comes next/],
      ] as const) {
        fake.routes.set('/v1/feeds/jp-dekyo/batches', (_req, res) =>
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ publisher: 'jp-dekyo', batches: batches.map((j, i) => ({ seq: i + 1, jws: j })), next: null })),
        );
        const r = await runCli(['audit', url, 'jp-dekyo', '--key', jpKey()]);
        expect(oneLine(r)).toMatch(expected);
        expect(r.stdout).toBe('');
      }
    } finally {
      await fake.close();
    }
  });

  it('verifies batches, tree, checkpoint and a quorum of two witnesses, saves the checkpoint, then checks consistency with it', async () => {
    const first = await audit('--witness', witness(cn), '--witness-key', file('hk.json'), '--quorum', '2', '--save', file('cp.txt'));
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/checkpoint: ok: size 6, root \S+, signed by spamx\/jp-dekyo/);
    expect(first.stdout).toMatch(/witnesses: ok: 2 of 2 cosigned a consistent checkpoint \(quorum 2\)/);
    expect(readFileSync(file('cp.txt'), 'utf8')).toMatch(/^spamx\/jp-dekyo\n6\n/);

    await publishAndWitness('61.4.13.7\n');
    const next = await audit('--since', file('cp.txt'), '--witness', witness(cn), '--witness', witness(hk), '--save', file('cp.txt'));
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toMatch(/since: ok: the checkpoint saved in .* \(size 6\) is a prefix of the current tree/);
    expect(readFileSync(file('cp.txt'), 'utf8')).toMatch(/^spamx\/jp-dekyo\n7\n/);
  });

  it('fails on a --since checkpoint that was altered or that the log does not extend', async () => {
    const saved = readFileSync(file('cp.txt'), 'utf8');
    const [origin, size, root] = saved.split('\n') as [string, string, string];
    const otherRoot = Buffer.alloc(32, 9).toString('base64');
    writeFileSync(file('tampered.txt'), saved.replace(root, otherRoot));
    expect(oneLine(await audit('--since', file('tampered.txt')))).toMatch(/since: .*signature by spamx\/jp-dekyo does not verify/);
    writeFileSync(file('fork.txt'), signedByJp(`${origin}\n${size}\n${otherRoot}\n`));
    expect(oneLine(await audit('--since', file('fork.txt')))).toMatch(/since: the log no longer extends the checkpoint .* size 7 has root /);
    writeFileSync(file('ahead.txt'), signedByJp(`${origin}\n99\n${otherRoot}\n`));
    expect(oneLine(await audit('--since', file('ahead.txt')))).toMatch(/size 99 is beyond the 7 batches served/);
  });

  it('fails when a named witness has not cosigned and the quorum is not reached', async () => {
    const stranger = formatVerifierKey('spamx/tw-ncc', rawPublicKey(generateKeyPairSync('ed25519').privateKey), SIG_COSIGNATURE_V1);
    const r = await audit('--witness', witness(cn), '--witness', `${cn.url}=${stranger}`, '--witness', `${hk.url}=${cn.checkpointKey}`, '--quorum', '2');
    expect(oneLine(r)).toMatch(/witnesses: 1 of 3 cosigned a consistent checkpoint; quorum 2 not reached/);
    expect(r.stdout).toMatch(/spamx\/tw-ncc at .*: has not cosigned/);
    expect(r.stdout).toMatch(/spamx\/cn-isc at .*: size 7, cosigned /);
  });

  it('fails on a tampered checkpoint, whether its signature breaks or a signed root contradicts the batches', async () => {
    const served = await (await fetch(`${jp.url}/v1/feeds/jp-dekyo/checkpoint`)).text();
    const [origin, size, root] = served.split('\n') as [string, string, string];
    const insert = jp.store.prepare('INSERT INTO checkpoints (publisher, size, root, note, received_at) VALUES (?, ?, ?, ?, 0)');
    const lie = Buffer.alloc(32, 7).toString('base64');
    try {
      insert.run('jp-dekyo', Number(size), lie, served.replace(root, lie));
      expect(oneLine(await audit('--save', file('never.txt')))).toMatch(/checkpoint: served checkpoint: signature by spamx\/jp-dekyo does not verify/);
      insert.run('jp-dekyo', Number(size), lie, signedByJp(`${origin}\n${size}\n${lie}\n`));
      expect(oneLine(await audit('--save', file('never.txt')))).toMatch(/checkpoint: signed by spamx\/jp-dekyo, but size 7 has root \S+ where the batches give /);
      for (const [what, body] of [
        ['leading zeros', `${origin}\n0${size}\n${root}\n`],
        ['huge size', `${origin}\n99999999999999999999\n${root}\n`],
        ['short root', `${origin}\n${size}\n${Buffer.alloc(31).toString('base64')}\n`],
        ['bad base64', `${origin}\n${size}\n${root.replace(/.$/, '!')}\n`],
      ] as const) {
        insert.run('jp-dekyo', Number(size), root, signedByJp(body));
        expect(oneLine(await audit('--checkpoint-key', jp.checkpointKey)), what).toMatch(/checkpoint: served checkpoint: malformed checkpoint: /);
      }
    } finally {
      jp.store.prepare("DELETE FROM checkpoints WHERE publisher = 'jp-dekyo' AND received_at = 0").run();
    }
    expect(() => readFileSync(file('never.txt'))).toThrow();
  });

  it('names a witness holding a signed checkpoint the batches contradict (a split view)', async () => {
    const body = formatCheckpoint({ origin: jp.config.origin, size: 7, root: Buffer.alloc(32, 3), extensions: [] });
    const note = signedByJp(body) + cosign(body, cn.config.origin, cn.identity.signingKey, 4_000_000_000);
    cn.store.prepare("INSERT INTO cosignatures (publisher, witness, size, root, timestamp, note) VALUES ('jp-dekyo', ?, 7, 'x', 4000000000, ?)").run(cn.config.origin, note);
    try {
      const r = await audit('--witness', witness(cn), '--witness', witness(hk), '--quorum', '1');
      expect(oneLine(r)).toMatch(/split view: spamx\/cn-isc at .* serves a checkpoint signed by the publisher that the batches contradict/);
    } finally {
      cn.store.prepare('DELETE FROM cosignatures WHERE timestamp = 4000000000').run();
    }
  });

  it('rejects malformed witness arguments and --since files with one line', async () => {
    expect(oneLine(await audit('--witness', `${cn.url}=spamx/cn-isc+0000zzzz+AAAA`))).toMatch(/witness key .*malformed/);
    expect((await audit('--witness', 'no-equals-sign')).code).toBe(2);
    expect((await audit('--witness', witness(cn), '--quorum', '2')).code).toBe(2);
    for (const body of ['', 'garbage', 'spamx/jp-dekyo\n7\nAAAA\n\n\u2014 spamx/jp-dekyo !!!!\n']) {
      writeFileSync(file('bad-since.txt'), body);
      expect(oneLine(await audit('--since', file('bad-since.txt')))).toMatch(/since: .*malformed/);
    }
  });
});

describe('evidence bundles, verified offline', () => {
  const bundle = () => JSON.parse(readFileSync(file('bundle.json'), 'utf8')) as Record<string, any>;
  const verify = (path: string, ...args: string[]) => runCli(['verify-evidence', path, ...args]);
  /** Writes a changed copy of the bundle and verifies it. */
  const verifyChanged = (change: (b: Record<string, any>) => void, ...args: string[]) => {
    const b = bundle();
    change(b);
    writeFileSync(file('changed.json'), JSON.stringify(b));
    return verify(file('changed.json'), ...args);
  };
  const flipByte = (b64: string) => {
    const bytes = Buffer.from(b64, 'base64');
    bytes[bytes.length - 5]! ^= 1;
    return bytes.toString('base64');
  };

  beforeAll(async () => {
    // Pulling its partners, jp collects their cosignatures of its own log.
    for (const id of ['cn-isc', 'hk-ofta']) expect((await jp.pull(id))?.ok).toBe(true);
    for (const [dir, ip, out] of [
      [cn.config.paths.dir, '61.4.12.99', 'bundle.json'],
      [jp.config.paths.dir, '61.4.12.99', 'own.json'],
    ] as const) {
      const r = await runCli(['evidence', '--data', dir, ip]);
      expect(r.code, r.stderr).toBe(0);
      writeFileSync(file(out), r.stdout);
    }
    expect((await runCli(['evidence', '--data', cn.config.paths.dir, '61.200.1.1'])).code).toBe(1);
    running = false;
    await Promise.all([jp, cn, hk].map((n) => n.destroy()));
  });

  it('verifies with no server running: batch, entry, leaf, inclusion, checkpoint and two cosignatures', async () => {
    const b = bundle();
    expect(b.listings).toHaveLength(1);
    expect(b.listings[0]).toMatchObject({ publisher: 'jp-dekyo', prefix: '61.4.12.0/24', seq: 6, inclusion: { leafIndex: 5, treeSize: 7 } });
    // The maker's origin data is named, so two centres can tell whether they route alike.
    expect(b.origin).toMatchObject({ country: expect.any(String), dataset: { id: expect.stringMatching(/^[0-9a-f]{16}$/) } });
    expect(b.origin.dataset.sets.map((d: { name: string }) => d.name).join(' ')).toMatch(/asn-country/);
    for (const args of [[], ['--key', jpKey(), '--quorum', '2'], ['--witness', cn.checkpointKey, '--witness', hk.checkpointKey, '--quorum', '2', '--checkpoint-key', jp.checkpointKey]]) {
      const r = await verify(file('bundle.json'), ...args);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(r.stdout).toMatch(/cosignatures: ok: 2 valid, quorum .*spamx\/cn-isc.*spamx\/hk-ofta/);
      expect(r.stdout).toMatch(/VERIFIED: 61\.4\.12\.99 is listed by jp-dekyo \(61\.4\.12\.0\/24\)/);
    }
  });

  it('a node proving its own listing offers the cosignatures its partners made of its log', async () => {
    const r = await verify(file('own.json'), '--quorum', '2');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/cosignatures: ok: 2 valid, quorum .*spamx\/cn-isc.*spamx\/hk-ofta/);
  });

  it('fails after any part is tampered with, naming the check', async () => {
    const cases: [string, (b: Record<string, any>) => void, RegExp, string[]?][] = [
      ['batch byte', (b) => (b.listings[0].batch = b.listings[0].batch.replace(/\.(.)/, (_: string, c: string) => `.${c === 'e' ? 'f' : 'e'}`)), /batch signature: .*(signature|JSON|malformed)/],
      ['proof hash', (b) => (b.listings[0].inclusion.proof[0] = flipByte(b.listings[0].inclusion.proof[0])), /inclusion proof: the proof does not lead/],
      ['leaf hash', (b) => (b.listings[0].leafHash = flipByte(b.listings[0].leafHash)), /leaf hash: the batch hashes to/],
      ['prefix', (b) => (b.listings[0].prefix = '61.4.0.0/16'), /entry: the batch has no entry for 61\.4\.0\.0\/16/],
      ['checkpoint origin line', (b) => (b.feeds['jp-dekyo'].checkpoint = b.feeds['jp-dekyo'].checkpoint.replace('spamx/jp-dekyo\n', 'spamx/jp-dekyx\n')), /checkpoint: .*does not verify/],
      ['checkpoint root line', (b) => (b.feeds['jp-dekyo'].checkpoint = b.feeds['jp-dekyo'].checkpoint.replace(/^(.*\n.*\n)(.*)\n/, (_: string, h: string, r: string) => `${h}${flipByte(r)}\n`)), /inclusion proof: the proof does not lead/],
      ['cosignature', (b) => (b.feeds['jp-dekyo'].checkpoint = b.feeds['jp-dekyo'].checkpoint.replace(/(\u2014 spamx\/hk-ofta )(\S+)/, (_: string, h: string, s: string) => h + flipByte(s))), /cosignatures: cosignature by spamx\/hk-ofta does not verify/],
      ['wrong --key', () => undefined, /batch signature: JWS_UNKNOWN_KID|is not a pinned key/, ['--key', cnKey()]],
      ['bundle key differs from --key', (b) => (b.feeds['jp-dekyo'].keys = { keys: [JSON.parse(readFileSync(cnKey(), 'utf8'))] }), /do not include/, ['--key', jpKey()]],
      ['checkpoint key of another centre', (b) => (b.feeds['jp-dekyo'].checkpointKey = cn.checkpointKey), /checkpoint: the bundle's checkpoint key spamx\/cn-isc is not one of the publisher's keys/],
      ['witness key not among cosigners', () => undefined, /cosignatures: 1 valid .* quorum 2 not reached/, ['--witness', cn.checkpointKey, '--witness', jp.checkpointKey, '--quorum', '2']],
    ];
    for (const [what, change, message, args] of cases) {
      const r = await verifyChanged(change, ...(args ?? []));
      expect(r.code, what).toBe(1);
      expect(r.stderr, what).toMatch(message);
      expect(r.stderr.trim().split('\n'), what).toHaveLength(1);
    }
  });

  it('rejects malformed bundles with one line', async () => {
    const cases: [string, (b: Record<string, any>) => void, RegExp][] = [
      ['bad base64 hash', (b) => (b.listings[0].inclusion.proof[0] = 'not*base64'), /inclusion proof hash 0 is not canonical base64 of 32 bytes/],
      ['short hash', (b) => (b.listings[0].inclusion.proof[0] = Buffer.alloc(31).toString('base64')), /not canonical base64 of 32 bytes/],
      ['huge size', (b) => (b.listings[0].inclusion.treeSize = 1e20), /bundle listings\.0\.inclusion\.treeSize: /],
      ['negative index', (b) => (b.listings[0].inclusion.leafIndex = -1), /bundle listings\.0\.inclusion\.leafIndex: /],
      ['leading zeros in the checkpoint size', (b) => (b.feeds['jp-dekyo'].checkpoint = b.feeds['jp-dekyo'].checkpoint.replace('\n7\n', '\n07\n')), /malformed checkpoint: tree size "07"/],
      ['cosignature of the wrong length', (b) => (b.feeds['jp-dekyo'].checkpoint = b.feeds['jp-dekyo'].checkpoint.replace(/(\u2014 spamx\/hk-ofta )(\S+)/, (_: string, h: string, s: string) => h + Buffer.from(s, 'base64').subarray(0, 70).toString('base64'))), /cosignature by spamx\/hk-ofta has the wrong length/],
      ['unknown member', (b) => (b.extra = 1), /bundle \(top level\): /],
      ['no listings', (b) => (b.listings = []), /bundle listings: /],
    ];
    for (const [what, change, message] of cases) {
      const r = await verifyChanged(change);
      expect(r.stderr, what).toMatch(message);
      expect(r.code, what).toBe(1);
      expect(r.stderr.trim().split('\n'), what).toHaveLength(1);
    }
    for (const [what, text] of [['not JSON', '{"format":'], ['duplicate member', `{"format":"a","format":"b"}`]] as const) {
      writeFileSync(file('raw.json'), text);
      expect(oneLine(await verify(file('raw.json'))), what).toMatch(/bundle (is not JSON|repeats member name "format")/);
    }
    expect(oneLine(await verify(file('bundle.json'), '--witness', 'nonsense'))).toMatch(/witness key "nonsense"/);
  });
});

describe('evidence after a key rotation', () => {
  it('carries the retired key that signed an old listing, so the bundle still verifies', async () => {
    const dir = await initTestNode(tmp.path, { id: 'tw-ncc' });
    const withNode = async (fn: (n: SpamxNode) => Promise<unknown>) => {
      const n = await startTestNode(dir);
      await fn(n).finally(() => n.destroy());
    };
    await withNode(async (n) => (n.reportText('61.6.1.0/24\n'), n.publish()));
    expect((await runCli(['key', 'rotate', '--data', dir])).code).toBe(0);
    await withNode(async (n) => (n.reportText('61.6.2.0/24\n'), n.publish()));
    const made = await runCli(['evidence', '--data', dir, '61.6.1.1']);
    expect(made.code, made.stderr).toBe(0);
    expect(JSON.parse(made.stdout).feeds['tw-ncc'].keys.keys).toHaveLength(2);
    writeFileSync(file('rotated.json'), made.stdout);
    const r = await runCli(['verify-evidence', file('rotated.json'), '--quorum', '0']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/VERIFIED: 61\.6\.1\.1 is listed by tw-ncc/);
  });
});
