import { Agent, errors, request } from 'undici';
import { SpamxError, type BatchRejectionCode } from '../core/errors.js';

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
 * with a transport code naming what went wrong.
 */
export class PeerHttpClient {
  private readonly agent: Agent;

  constructor(private readonly limits: HttpLimits) {
    this.agent = new Agent({
      connect: { timeout: limits.connectTimeoutMs },
      headersTimeout: limits.headersTimeoutMs,
      bodyTimeout: limits.bodyTimeoutMs,
    });
  }

  /** GETs a URL and parses its JSON body. */
  async getJson(url: string, signal?: AbortSignal): Promise<unknown> {
    const text = await this.getText(url, 'application/json', signal);
    try {
      return JSON.parse(text);
    } catch {
      throw new SpamxError('PEER_BAD_RESPONSE', `${url} did not answer JSON`);
    }
  }

  async getText(url: string, accept: string, signal?: AbortSignal): Promise<string> {
    const deadline = AbortSignal.timeout(this.limits.deadlineMs);
    const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
    try {
      const res = await request(url, { method: 'GET', dispatcher: this.agent, signal: combined, headers: { accept } });
      if (res.statusCode !== 200) {
        await res.body.dump().catch(() => undefined);
        throw new SpamxError('PEER_HTTP_ERROR', `${url} answered HTTP ${res.statusCode}`, { status: res.statusCode });
      }
      const declared = Number(res.headers['content-length'] ?? NaN);
      if (declared > this.limits.maxBodyBytes) {
        res.body.destroy();
        throw tooLarge(url, this.limits.maxBodyBytes);
      }
      const chunks: Buffer[] = [];
      let received = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        received += chunk.length;
        if (received > this.limits.maxBodyBytes) {
          res.body.destroy();
          throw tooLarge(url, this.limits.maxBodyBytes);
        }
        chunks.push(chunk);
      }
      return Buffer.concat(chunks, received).toString('utf8');
    } catch (err) {
      throw transportError(err, url, deadline.aborted, signal?.aborted ?? false);
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

function tooLarge(url: string, max: number): SpamxError {
  return new SpamxError('PEER_BODY_TOO_LARGE', `${url} sent more than ${max} bytes`);
}

function transportError(err: unknown, url: string, deadlinePassed: boolean, cancelled: boolean): SpamxError {
  if (err instanceof SpamxError) return err;
  const fail = (code: BatchRejectionCode, what: string) => new SpamxError(code, `${url}: ${what}`);
  if (cancelled) return fail('PEER_UNREACHABLE', 'pull cancelled (node shutting down)');
  if (deadlinePassed) return fail('PEER_DEADLINE_EXCEEDED', 'request did not complete within the deadline');
  if (err instanceof errors.HeadersTimeoutError) return fail('PEER_HEADERS_TIMEOUT', 'no response headers in time');
  if (err instanceof errors.BodyTimeoutError) return fail('PEER_BODY_TIMEOUT', 'response body stalled');
  if (err instanceof errors.ConnectTimeoutError) return fail('PEER_UNREACHABLE', 'connect timed out');
  const cause = (err as { cause?: { code?: string } }).cause;
  const code = (err as { code?: string }).code ?? cause?.code ?? '';
  return fail('PEER_UNREACHABLE', `${code ? `${code}: ` : ''}${(err as Error).message ?? String(err)}`);
}
