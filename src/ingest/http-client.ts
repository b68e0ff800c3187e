import { Agent, errors, request } from 'undici';
import { SpamxError, type BatchRejectionCode } from '../core/errors.js';
import { redactCredentials } from '../core/redact-credentials.js';

/**
 * The headers that sign one request (RFC 9421 `Signature-Input` and `Signature`, see
 * request-signer.ts), or none: a node signs every request it makes to partners, an anonymous
 * auditor signs nothing.
 */
export type RequestSigner = (method: string, url: string) => Readonly<Record<string, string>>;

export interface HttpLimits {
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  /** Longest silence allowed between two body chunks. */
  readonly bodyTimeoutMs: number;
  /** Whole-request deadline: a body that trickles forever still ends. */
  readonly deadlineMs: number;
  readonly maxBodyBytes: number;
}

/**
 * The only way spamx talks to other nodes: bounded in time (connect, headers, body silence and
 * a whole-request deadline) and in bytes, so a hostile or broken peer costs at most
 * `maxBodyBytes` of memory and `deadlineMs` of one pull. Every failure becomes a SpamxError
 * with a transport code naming what went wrong, and naming the URL without its credentials
 * (errors are logged and stored in pull failures).
 */
export class PeerHttpClient {
  private readonly agent: Agent;

  constructor(
    private readonly limits: HttpLimits,
    private readonly sign: RequestSigner = () => ({}),
  ) {
    this.agent = new Agent({
      connect: { timeout: limits.connectTimeoutMs },
      headersTimeout: limits.headersTimeoutMs,
      bodyTimeout: limits.bodyTimeoutMs,
    });
  }

  /** GETs a URL and parses its JSON body. */
  async getJson(url: string, signal?: AbortSignal): Promise<unknown> {
    // The body's bytes become garbage as soon as they are text: a page of 48 MiB batches is
    // held twice at most while it is parsed, not three times.
    const text = (await this.getBytes(url, 'application/json', signal)).toString('utf8');
    try {
      return JSON.parse(text);
    } catch {
      throw new SpamxError('PEER_BAD_RESPONSE', `${redactCredentials(url)} did not answer JSON`);
    }
  }

  async getText(url: string, accept: string, signal?: AbortSignal): Promise<string> {
    return (await this.getBytes(url, accept, signal)).toString('utf8');
  }

  /**
   * The body's bytes, after `lead` zero bytes (a batch is fetched as 0x00 ‖ JWS, its leaf-hash
   * input, so that it is never copied to make one). With a Content-Length (which spamx nodes
   * send) they are read into one buffer of that size as they arrive, rather than kept as chunks
   * and joined at the end. `onChunk` sees each piece of the body as it arrives (the feed reader
   * hashes a batch while it downloads).
   */
  async getBytes(url: string, accept: string, signal?: AbortSignal, lead = 0, onChunk?: (chunk: Buffer) => void): Promise<Buffer> {
    const deadline = AbortSignal.timeout(this.limits.deadlineMs);
    const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
    try {
      const res = await request(url, { method: 'GET', dispatcher: this.agent, signal: combined, headers: { ...this.sign('GET', url), accept } });
      if (res.statusCode !== 200) {
        // A refused signed request (PROTOCOL "Partners only") names why: the operator needs the
        // code (an unpinned key is fixed on the other side, an expired one by the clock here).
        const refusal = res.statusCode === 401 || res.statusCode === 403 ? await refusalCode(res.body) : undefined;
        await res.body.dump().catch(() => undefined);
        throw new SpamxError('PEER_HTTP_ERROR', `${redactCredentials(url)} answered HTTP ${res.statusCode}${refusal ? ` ${refusal}` : ''}`, { status: res.statusCode });
      }
      const declared = Number(res.headers['content-length'] ?? NaN);
      if (declared > this.limits.maxBodyBytes) {
        res.body.destroy();
        throw tooLarge(url, this.limits.maxBodyBytes);
      }
      let sized = Number.isSafeInteger(declared) && declared >= 0 ? Buffer.allocUnsafe(lead + declared).fill(0, 0, lead) : undefined;
      const chunks: Buffer[] = lead > 0 && !sized ? [Buffer.alloc(lead)] : [];
      let received = 0;
      // 'data' events rather than async iteration: a 24 MB batch arrived in about 40 ms instead
      // of 75 over loopback (each iterated chunk costs promises and ticks).
      await new Promise<void>((resolve, reject) => {
        const body = res.body;
        body.on('data', (chunk: Buffer) => {
          if (received + chunk.length > this.limits.maxBodyBytes) {
            body.destroy();
            return reject(tooLarge(url, this.limits.maxBodyBytes));
          }
          if (sized && lead + received + chunk.length > sized.length) {
            // More than declared (undici reports the mismatch itself): fall back to chunks.
            chunks.push(sized.subarray(0, lead + received));
            sized = undefined;
          }
          if (sized) chunk.copy(sized, lead + received);
          else chunks.push(chunk);
          received += chunk.length;
          onChunk?.(chunk);
        });
        body.once('end', resolve);
        body.once('error', reject);
      });
      return sized ? sized.subarray(0, lead + received) : Buffer.concat(chunks, lead + received);
    } catch (err) {
      throw transportError(err, url, deadline.aborted, signal?.aborted ?? false);
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** The error code of a spamx error body (`{"error":{"code":…}}`), read from its first 4 KiB at most. */
async function refusalCode(body: AsyncIterable<Buffer>): Promise<string | undefined> {
  let text = '';
  try {
    for await (const chunk of body) {
      text += chunk.toString('utf8');
      if (text.length > 4096) break;
    }
    const code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' && /^[A-Z_]{1,40}$/.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

function tooLarge(url: string, max: number): SpamxError {
  return new SpamxError('PEER_BODY_TOO_LARGE', `${redactCredentials(url)} sent more than ${max} bytes`);
}

function transportError(err: unknown, url: string, deadlinePassed: boolean, cancelled: boolean): SpamxError {
  if (err instanceof SpamxError) return err;
  const fail = (code: BatchRejectionCode, what: string) => new SpamxError(code, `${redactCredentials(url)}: ${what}`);
  if (cancelled) return fail('PEER_UNREACHABLE', 'pull cancelled (node shutting down)');
  if (deadlinePassed) return fail('PEER_DEADLINE_EXCEEDED', 'request did not complete within the deadline');
  if (err instanceof errors.HeadersTimeoutError) return fail('PEER_HEADERS_TIMEOUT', 'no response headers in time');
  if (err instanceof errors.BodyTimeoutError) return fail('PEER_BODY_TIMEOUT', 'response body stalled');
  if (err instanceof errors.ConnectTimeoutError) return fail('PEER_UNREACHABLE', 'connect timed out');
  const cause = (err as { cause?: { code?: string } }).cause;
  const code = (err as { code?: string }).code ?? cause?.code ?? '';
  // undici's own message may quote the URL it was given.
  return fail('PEER_UNREACHABLE', redactCredentials(`${code ? `${code}: ` : ''}${(err as Error).message ?? String(err)}`));
}
