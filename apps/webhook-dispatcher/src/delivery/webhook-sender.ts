import { isIP } from 'node:net';
import { assertAllowedAddresses, guardedLookup, hostOf, parseWebhookUrl, WebhookTargetRefusedError, type WebhookTargetPolicy } from '@kb4/platform';
import { Webhook } from 'standardwebhooks';
import { Agent, request } from 'undici';

export interface SendResult {
  status: number | null;
  body: string | null;
  error: string | null;
  durationMs: number;
}

export interface WebhookSenderOptions {
  policy: WebhookTargetPolicy;
  timeoutMs: number;
  responseBodyLimit: number;
}

/**
 * One signed POST (Standard Webhooks headers). The target is checked again on every attempt — a literal address here,
 * a host name at connect time by the agent's lookup, so the socket goes to the address that passed. Redirects are not
 * followed; the response body is read up to a limit.
 */
export class WebhookSender {
  private readonly agent: Agent;

  constructor(private readonly options: WebhookSenderOptions) {
    this.agent = new Agent({
      connect: { lookup: guardedLookup(options.policy), timeout: options.timeoutMs },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      keepAliveTimeout: 4_000,
    });
  }

  async send(url: string, secret: string, messageId: string, body: string): Promise<SendResult> {
    const started = Date.now();
    const done = (result: Omit<SendResult, 'durationMs'>): SendResult => ({ ...result, durationMs: Date.now() - started });
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    try {
      const target = this.checkedTarget(url);
      const timestamp = new Date();
      const response = await request(target, {
        method: 'POST',
        dispatcher: this.agent,
        signal,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'kb4-directory-webhooks/1.0',
          'webhook-id': messageId,
          'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
          'webhook-signature': new Webhook(secret).sign(messageId, timestamp, body),
        },
        body,
      });
      const text = await this.readCapped(response.body);
      return done({ status: response.statusCode, body: text, error: null });
    } catch (error) {
      return done({ status: null, body: null, error: this.describe(error, signal) });
    }
  }

  async close(): Promise<void> {
    await this.agent.close().catch(() => undefined);
  }

  private checkedTarget(url: string): URL {
    const target = parseWebhookUrl(url, this.options.policy);
    const host = hostOf(target);
    const family = isIP(host);
    if (family !== 0) assertAllowedAddresses(host, [{ address: host, family }], this.options.policy);
    return target;
  }

  private async readCapped(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
    const limit = this.options.responseBodyLimit;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= limit) break;
    }
    body.destroy();
    return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
  }

  private describe(error: unknown, signal: AbortSignal): string {
    if (signal.aborted) return `no response within ${this.options.timeoutMs} ms`;
    if (error instanceof WebhookTargetRefusedError) return `target refused: url ${error.message}`;
    const cause = (error as { cause?: unknown }).cause;
    const message = error instanceof Error ? error.message : String(error);
    const detail = cause instanceof Error && cause.message !== message ? `: ${cause.message}` : '';
    return `${message}${detail}`.slice(0, 500);
  }
}
