import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpamxNode } from '../../src/daemon.js';
import { initTestNode, startTestNode } from '../helpers/nodes.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * The node's checkpoints and proofs, checked by the reference implementation: Go's
 * golang.org/x/mod/sumdb/note (signed notes) and sumdb/tlog (RFC 6962 proofs), via the small
 * checker in test/interop/checker.go.
 */
const tmp = tempDir();
const checker = join(tmp.path, 'checker');
let node: SpamxNode;

interface CheckResult {
  noteText: string;
  noteError: string;
  inclusion: string[] | null;
  consistency: string[] | null;
}

function check(job: unknown): CheckResult {
  const out = spawnSync(checker, { input: JSON.stringify(job), encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`checker failed: ${out.stderr}`);
  return JSON.parse(out.stdout) as CheckResult;
}

async function get<T>(path: string): Promise<T> {
  const res = await fetch(`${node.url}${path}`);
  expect(res.status, path).toBe(200);
  return (path.endsWith('/checkpoint') ? res.text() : res.json()) as Promise<T>;
}

beforeAll(async () => {
  execFileSync('go', ['build', '-o', checker, fileURLToPath(new URL('../interop/checker.go', import.meta.url))], {
    env: { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOCACHE: join(tmp.path, 'gocache'), GOFLAGS: '' },
    stdio: 'pipe',
  });
  node = await startTestNode(await initTestNode(tmp.path, { id: 'jp-dekyo' }));
});

afterAll(async () => {
  await node?.destroy();
  tmp.cleanup();
});

describe('Go sumdb/note and sumdb/tlog accept what the node serves', () => {
  it('checkpoints, inclusion proofs and consistency proofs at every size up to 23', async () => {
    const sizes: { size: number; root: string; note: string }[] = [];
    for (let seq = 1; seq <= 23; seq++) {
      node.reportText(`61.${seq}.0.1\n61.${seq}.0.2\n`);
      await node.publish();
      const note = await get<string>('/v1/feeds/jp-dekyo/checkpoint');
      const [origin, size, root] = note.split('\n');
      expect(origin).toBe('spamx/jp-dekyo');
      expect(Number(size)).toBe(seq);
      sizes.push({ size: seq, root: root!, note });
    }
    const descriptor = await get<{ checkpointKey: string }>('/.well-known/spamx');
    for (const { size, root, note } of sizes) {
      const inclusion = [];
      for (let seq = 1; seq <= size; seq++) {
        const p = await get<{ leafHash: string; proof: string[] }>(`/v1/feeds/jp-dekyo/proof/inclusion?seq=${seq}&size=${size}`);
        inclusion.push({ index: seq - 1, leafHash: p.leafHash, proof: p.proof });
      }
      const consistency = [];
      for (const earlier of sizes.filter((s) => s.size < size)) {
        const p = await get<{ proof: string[] }>(`/v1/feeds/jp-dekyo/proof/consistency?from=${earlier.size}&to=${size}`);
        consistency.push({ from: earlier.size, fromRoot: earlier.root, proof: p.proof });
      }
      const result = check({ verifierKey: descriptor.checkpointKey, note, size, root, inclusion, consistency });
      expect(result.noteError).toBe('');
      expect(result.noteText).toBe(note.slice(0, note.indexOf('\n\n') + 1));
      expect(result.inclusion ?? []).toEqual(inclusion.map(() => ''));
      expect(result.consistency ?? []).toEqual(consistency.map(() => ''));
    }
  });

  it('and reject tampered ones', async () => {
    const note = await get<string>('/v1/feeds/jp-dekyo/checkpoint');
    const [, sizeText, root] = note.split('\n');
    const size = Number(sizeText);
    const descriptor = await get<{ checkpointKey: string }>('/.well-known/spamx');
    const p = await get<{ leafHash: string; proof: string[] }>(`/v1/feeds/jp-dekyo/proof/inclusion?seq=3&size=${size}`);
    const c = await get<{ proof: string[] }>(`/v1/feeds/jp-dekyo/proof/consistency?from=5&to=${size}`);
    const flip = (h: string) => Buffer.from(Buffer.from(h, 'base64').map((b, i) => (i === 0 ? b ^ 1 : b))).toString('base64');
    const result = check({
      verifierKey: descriptor.checkpointKey,
      note: note.replace(`\n${size}\n`, `\n${size + 1}\n`),
      size,
      root,
      inclusion: [
        { index: 3, leafHash: p.leafHash, proof: p.proof }, // wrong index
        { index: 2, leafHash: flip(p.leafHash), proof: p.proof }, // wrong leaf
        { index: 2, leafHash: p.leafHash, proof: [...p.proof.slice(0, -1), flip(p.proof.at(-1)!)] }, // flipped hash
        { index: 2, leafHash: p.leafHash, proof: p.proof.slice(1) }, // missing hash
        { index: 2, leafHash: p.leafHash, proof: [...p.proof, p.leafHash] }, // extra hash
      ],
      consistency: [{ from: 5, fromRoot: root, proof: c.proof }], // wrong old root
    });
    expect(result.noteError).not.toBe('');
    expect(result.inclusion!.every((e) => e !== '')).toBe(true);
    expect(result.consistency!.every((e) => e !== '')).toBe(true);
  });
});
