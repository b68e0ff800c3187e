import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clipReason, clipText, CLIPPED_CHARS } from '../../src/core/clip-text.js';
import { FailureLimiter } from '../../src/core/failure-limiter.js';
import { printable } from '../../src/core/printable.js';
import { redactCredentials } from '../../src/core/redact-credentials.js';
import { parseReport } from '../../src/core/report.js';
import { policy, T0 } from './fixtures.js';

/** The pure helpers behind issue 18's "small ones": credentials, escapes, clipping, failure counts. */
describe('redactCredentials', () => {
  it('hides the userinfo of every URL in a text, and nothing else', () => {
    expect(redactCredentials('http://user:pw@127.0.0.1:9/x')).toBe('http://***@127.0.0.1:9/x');
    expect(redactCredentials('https://pw@h')).toBe('https://***@h');
    expect(redactCredentials('a http://u:p@h/ and https://v:q@k?x=1 b')).toBe('a http://***@h/ and https://***@k?x=1 b');
    // The authority's last "@" ends the userinfo, as the WHATWG parser reads it.
    expect(redactCredentials('http://a@b@host/p@q')).toBe('http://***@host/p@q');
    for (const plain of ['http://127.0.0.1:9/v1/feeds', 'mailto:a@b', 'no url', 'http://h/path@x', 'http://h?q@x', '']) {
      expect(redactCredentials(plain)).toBe(plain);
    }
  });

  it('never leaves a password of a URL it was given, and takes linear time', () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true }), fc.stringMatching(/^[a-z0-9]{6,12}$/), (url, pw) => {
        const withPw = url.replace('://', `://user:${pw}@`);
        expect(redactCredentials(`failed: ${withPw}: refused`)).not.toContain(`:${pw}@`);
      }),
    );
    const hostile = '://'.repeat(200_000) + 'a'.repeat(200_000);
    const started = performance.now();
    redactCredentials(hostile);
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('printable', () => {
  it('escapes control characters and bidirectional overrides, keeps the rest', () => {
    expect(printable('\x1b[31mred\x1b]0;title\x07')).toBe('\\x1b[31mred\\x1b]0;title\\x07');
    expect(printable('a\tb\nc\rd\x7f\x9b')).toBe('a\\x09b\\x0ac\\x0dd\\x7f\\x9b');
    expect(printable('abc\u202edcba\u2066')).toBe('abc\\u202edcba\\u2066');
    expect(printable('61.4.12.7 "ünïcödé" 東京 ✓')).toBe('61.4.12.7 "ünïcödé" 東京 ✓');
  });

  it('leaves no character a terminal acts on', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(printable(s)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
      }),
    );
  });
});

describe('clipText and clipReason', () => {
  it('keep short text, and clip long text with a mark giving its length', () => {
    expect(clipText('61.4.12.7')).toBe('61.4.12.7');
    const long = clipText('A'.repeat(10_000_000));
    expect(long.startsWith('A'.repeat(CLIPPED_CHARS))).toBe(true);
    expect(long).toMatch(/… \[truncated, 10000000 characters\]$/);
    expect(long.length).toBeLessThan(CLIPPED_CHARS + 50);
    // A surrogate pair is never cut in two.
    expect(clipText(`${'a'.repeat(CLIPPED_CHARS - 1)}😀tail`)).toMatch(new RegExp(`^a{${CLIPPED_CHARS - 1}}…`));
  });

  it('clip the quote inside a reason so that the reason still says why', () => {
    const quoted = 'B'.repeat(50_000);
    const reason = clipReason(`"${quoted}" is not an IPv4 dotted quad or IPv6 address`, quoted);
    expect(reason).toMatch(/truncated, 50000 characters\]" is not an IPv4 dotted quad/);
  });

  it('bound what a refused report line keeps', () => {
    // Past 64 KiB a line is refused for its length alone (core/report-lines.ts); below it, the
    // reason quotes the line clipped.
    for (const [length, why] of [[1_000_000, /longer than 65536 characters/], [60_000, /is not an IPv4 dotted quad/]] as const) {
      const { refused } = parseReport(`${'9'.repeat(length)}\n`, T0, policy());
      expect(refused).toHaveLength(1);
      const [r] = refused;
      expect(r!.text.length + r!.reason.length + (r!.prefixText?.length ?? 0)).toBeLessThan(1_500);
      expect(r!.reason).toMatch(why);
    }
  });
});

describe('FailureLimiter', () => {
  it('lets a burst of failures through, then asks the client to wait until a token refills', () => {
    const limiter = new FailureLimiter(10, 10, 100);
    for (let i = 0; i < 10; i++) {
      expect(limiter.retryAfter('a', 0)).toBe(0);
      limiter.fail('a', 0);
    }
    expect(limiter.retryAfter('a', 0)).toBe(6); // a token a minute / 10
    expect(limiter.retryAfter('b', 0)).toBe(0);
    expect(limiter.retryAfter('a', 6_000)).toBe(0);
  });

  it('holds at most maxClients, dropping the least recently failing', () => {
    const limiter = new FailureLimiter(1, 1, 1_000);
    for (let i = 0; i < 100_000; i++) limiter.fail(`10.0.${i >> 8}.${i & 255}`, i);
    expect(limiter.size).toBe(1_000);
    expect(limiter.retryAfter(`10.0.${99_999 >> 8}.${99_999 & 255}`, 100_000)).toBeGreaterThan(0);
    expect(limiter.retryAfter('10.0.0.0', 100_000)).toBe(0);
  });
});
