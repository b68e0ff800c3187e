import { readFileSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ListedSet } from '../../src/mirror/listed-set.js';
import { parseRbldnsdHead, prefixRows, rbldnsdEntries, renderRbldnsd, writeFileAtomic, type NodeMeta } from '../../src/mirror/rbldnsd-files.js';
import { SnapshotParser } from '../../src/mirror/snapshot-parser.js';
import { rbldnsd } from '../../src/serve/formats/rbldnsd.js';
import { tempDir } from '../helpers/temp-dir.js';

/** The pure parts of `spamx mirror`: its set, and its rbldnsd files read and written. */
const META: NodeMeta = { node: 'jp-dekyo', sources: ['cn-isc', 'jp-dekyo'], lookupUrl: 'https://spamx.dekyo.example.jp/lookup/', dnsblTtl: 600 };
const AS_OF = Date.parse('2026-11-01T12:00:00Z');

describe('ListedSet', () => {
  it('keeps pieces in the export order: IPv4 by start then length, IPv6 by key', () => {
    const set = new ListedSet();
    set.reset(['116.31.64.0/24', '61.4.12.7/32', '2400:cb00::/32', '61.4.0.0/16', '116.31.64.9/32', '2001:250::1/128', '1.0.0.0/8']);
    expect([...set.prefixes4()]).toEqual(['1.0.0.0/8', '61.4.0.0/16', '61.4.12.7/32', '116.31.64.0/24', '116.31.64.9/32']);
    expect([...set.prefixes6()]).toEqual(['2001:250::1/128', '2400:cb00::/32']);
    expect(set.size).toBe(7);
  });

  it('applies removals then additions and says which families changed', () => {
    const set = new ListedSet();
    set.reset(['61.4.12.7/32', '116.31.64.0/24', '2400:cb00::/32']);
    expect(set.apply(['202.12.27.0/24'], ['61.4.12.7/32'])).toEqual({ v4: true, v6: false });
    expect([...set.prefixes4()]).toEqual(['116.31.64.0/24', '202.12.27.0/24']);
    expect(set.apply(['2402:4e00::/32'], ['2400:cb00::/32'])).toEqual({ v4: false, v6: true });
    expect([...set.prefixes6()]).toEqual(['2402:4e00::/32']);
    // Replayed (a cursor written before a crash lost it): nothing changes.
    expect(set.apply(['202.12.27.0/24', '2402:4e00::/32'], ['61.4.12.7/32', '2400:cb00::/32'])).toEqual({ v4: false, v6: false });
    expect(set.apply([], [])).toEqual({ v4: false, v6: false });
    // Removed and added in one page: removals apply first, so it stays.
    expect(set.apply(['116.31.64.0/24'], ['116.31.64.0/24'])).toEqual({ v4: false, v6: false });
    expect([...set.prefixes4()]).toEqual(['116.31.64.0/24', '202.12.27.0/24']);
    // The same piece twice in one page, and extremes of the address space.
    set.apply(['255.255.255.255/32', '255.255.255.255/32', '0.0.0.0/0'], []);
    expect([...set.prefixes4()]).toEqual(['0.0.0.0/0', '116.31.64.0/24', '202.12.27.0/24', '255.255.255.255/32']);
  });

  it('refuses text that is not a canonical prefix', () => {
    expect(() => new ListedSet().apply(['61.4.12.7/24'], [])).toThrow(/canonical/);
    expect(() => new ListedSet().apply(['2400:cb00::zz'], [])).toThrow(/not a prefix/);
  });

  it('merges a thousand changes into a million pieces in a few milliseconds', () => {
    const set = new ListedSet();
    const million = Array.from({ length: 1_000_000 }, (_, i) => `${36 + (i >>> 20)}.${(i >>> 12) & 255}.${(i >>> 4) & 255}.${(i & 15) * 16}/28`);
    set.reset(million);
    expect(set.size4).toBe(1_000_000);
    const added = Array.from({ length: 500 }, (_, i) => `114.114.${i >>> 8}.${i & 255}/32`);
    const start = performance.now();
    set.apply(added, million.slice(0, 500));
    const ms = performance.now() - start;
    expect(set.size4).toBe(1_000_000);
    expect(ms).toBeLessThan(500);
  });
});

describe('rbldnsd files', () => {
  it("renders as the node's rbldnsd format, whose head it reads back", () => {
    const rows = ['61.4.12.7/32', '116.31.64.0/24'];
    const ours = [...renderRbldnsd(4, prefixRows(rows), META, AS_OF)].join('');
    const node = [...rbldnsd.render(rows.map((prefix) => ({ prefix })), { ...META, asOf: AS_OF, count: 2, aggregated: false, family: 4 })].join('');
    expect(ours).toBe(node);
    expect(parseRbldnsdHead(ours)).toEqual(META);
    expect(ours).toContain('\n61.4.12.7\n116.31.64.0/24\n');
    const v6 = [...renderRbldnsd(6, prefixRows(['2400:cb00::/32', '2401:3800::5/128']), META, AS_OF)].join('');
    expect(v6).toMatch(/ip6trie/);
    expect(parseRbldnsdHead(v6)).toEqual(META);
    expect(parseRbldnsdHead('61.4.12.7\n')).toBeUndefined();
  });

  it('reads the listed pieces back, leaving out the test point and the directives', () => {
    const v4 = [...renderRbldnsd(4, prefixRows(['61.4.12.7/32', '116.31.64.0/24']), META, AS_OF)].join('');
    const v6 = [...renderRbldnsd(6, prefixRows(['2400:cb00::/32', '2401:3800::5/128']), META, AS_OF)].join('');
    expect([...rbldnsdEntries(v4)]).toEqual(['61.4.12.7/32', '116.31.64.0/24']);
    expect([...rbldnsdEntries(v6)]).toEqual(['2400:cb00::/32', '2401:3800::5/128']);
    expect([...rbldnsdEntries([...renderRbldnsd(4, [], META, AS_OF)].join(''))]).toEqual([]);
  });

  it('writes a file whole, readable by others, with an mtime past the one it replaces', () => {
    const tmp = tempDir();
    try {
      writeFileAtomic(tmp.path, 'spamx.v4', ['a\n', 'b\n']);
      const first = statSync(join(tmp.path, 'spamx.v4'));
      writeFileAtomic(tmp.path, 'spamx.v4', ['c\n']);
      const second = statSync(join(tmp.path, 'spamx.v4'));
      expect(readFileSync(join(tmp.path, 'spamx.v4'), 'utf8')).toBe('c\n');
      expect(second.mode & 0o777).toBe(0o644);
      // rbldnsd compares mtimes in whole seconds: the second version must not look like the first.
      expect(Math.floor(second.mtimeMs / 1000)).toBeGreaterThan(Math.floor(first.mtimeMs / 1000));
      expect(readdirSync(tmp.path)).toEqual(['spamx.v4']);
    } finally {
      tmp.cleanup();
    }
  });
});

describe('SnapshotParser', () => {
  const text = '{"cursor":"Ab3_x.42","added":["61.4.12.7/32","116.31.64.0/24","2400:cb00::/32"],"removed":[]}\n';

  function parse(chunks: readonly string[]): { cursor: string; prefixes: string[] } {
    const prefixes: string[] = [];
    const parser = new SnapshotParser((p) => prefixes.push(...p));
    for (const c of chunks) parser.push(c);
    return { cursor: parser.end(), prefixes };
  }

  it('reads the cursor and every prefix wherever the chunks are cut', () => {
    const want = { cursor: 'Ab3_x.42', prefixes: ['61.4.12.7/32', '116.31.64.0/24', '2400:cb00::/32'] };
    expect(parse([text])).toEqual(want);
    for (let i = 0; i <= text.length; i++) expect(parse([text.slice(0, i), text.slice(i)])).toEqual(want);
    expect(parse([...text])).toEqual(want);
    expect(parse(['{"cursor":"e.0","added":[],"removed":[]}'])).toEqual({ cursor: 'e.0', prefixes: [] });
  });

  it('refuses what the node does not write', () => {
    expect(() => parse(['{"cursor":"e.1","added":["61.4.12.7/32"]'])).toThrow(/ends before/);
    expect(() => parse(['{"cursor":"e.1","added":["61.4.12.7/32" "1.0.0.0/8"],"removed":[]}'])).toThrow(/comma/);
    expect(() => parse(['{"cursor":"e.1","added":[1],"removed":[]}'])).toThrow(/other than a prefix/);
    expect(() => parse(['{"cursor":"e.1","added":["a\\"],"removed":[]}'])).toThrow(/escaped/);
    expect(() => parse(['{"error":{"message":"x"}}'])).toThrow(/does not start/);
    expect(() => parse(['<html>'])).toThrow(/does not start/);
    expect(() => parse(['{"cursor":"e.1","added":["1.0.0.0/8"],"removed":["x"]}'])).toThrow(/ends before/);
  });
});
