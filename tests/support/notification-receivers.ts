import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: any;
  /** For requests carrying `X-HarborGuard-Signature`: whether it is the HMAC of the raw body under the secret. */
  signatureValid: boolean | null;
  /** Wall-clock arrival (ms), for benchmarks. */
  receivedAt: number;
}

/**
 * An HTTP server on loopback standing in for webhook, Slack and PagerDuty receivers: it records
 * every request, checks signatures, and answers with what the test sets (200 by default), or
 * holds requests unanswered.
 */
export class HttpReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** Status answered per path prefix; 200 when none matches. */
  status = 200;
  /** While true, requests are recorded but not answered until `release()`. */
  hold = false;
  /** Requests to this path are held like that, the others answered. */
  holdPath: string | null = null;
  private held: (() => void)[] = [];
  private waiters: { count: number; resolve: () => void }[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly secret: string | undefined,
  ) {}

  static async start(secret?: string): Promise<HttpReceiver> {
    let receiver: HttpReceiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => receiver!.receive(req.url ?? '/', req.headers, Buffer.concat(chunks).toString('utf8'), (status) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ status: status < 300 ? 'success' : 'error' }))));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    receiver = new HttpReceiver(server, `http://127.0.0.1:${port}`, secret);
    return receiver;
  }

  on(path: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** Resolves once at least `count` requests arrived in all. */
  received(count: number): Promise<void> {
    if (this.requests.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  release(): void {
    this.hold = false;
    this.holdPath = null;
    for (const answer of this.held.splice(0)) answer();
  }

  async close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private receive(path: string, headers: IncomingHttpHeaders, raw: string, answer: (status: number) => void): void {
    const signature = headers['x-harborguard-signature'];
    let signatureValid: boolean | null = null;
    if (typeof signature === 'string' && this.secret) {
      const expected = Buffer.from(`sha256=${createHmac('sha256', this.secret).update(raw).digest('hex')}`);
      signatureValid = expected.length === signature.length && timingSafeEqual(expected, Buffer.from(signature));
    }
    this.requests.push({ path, headers, raw, body: JSON.parse(raw), signatureValid, receivedAt: Date.now() });
    for (const waiter of this.waiters.filter((w) => this.requests.length >= w.count)) waiter.resolve();
    this.waiters = this.waiters.filter((w) => this.requests.length < w.count);
    const status = this.status;
    if (this.hold || this.holdPath === path) this.held.push(() => answer(status));
    else answer(status);
  }
}

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  receivedAt: number;
}

/** An SMTP server on loopback (no TLS, no auth required) capturing every message. */
export class SmtpReceiver {
  readonly mails: ReceivedMail[] = [];

  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
  ) {}

  static async start(): Promise<SmtpReceiver> {
    let receiver: SmtpReceiver | undefined;
    const server = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      authOptional: true,
      logger: false,
      onAuth: (_auth, _session, callback) => callback(null, { user: 'hg' }),
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          receiver!.mails.push({ from: String(session.envelope.mailFrom && session.envelope.mailFrom.address), to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8'), receivedAt: Date.now() });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = (server as unknown as { server: Server }).server.address() as AddressInfo;
    receiver = new SmtpReceiver(server, port);
    return receiver;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
