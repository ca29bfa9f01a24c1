// A webhook receiver for the notification tests: real HTTP on loopback, every request verified with the
// standardwebhooks library, each answered as the test's behaviour says (ok, fail, hang).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export type Answer = 'ok' | 'fail' | 'hang';

export interface Received {
  id: string;
  timestamp: number;
  signature: string;
  body: string;
  headers: IncomingHttpHeaders;
  /** Verified with each of the receiver's secrets on its own (all must pass); none given: not checked. */
  verified: boolean;
  answer: Answer;
  /** Real time of arrival (ms). */
  receivedAt: number;
}

export class Receiver {
  readonly requests: Received[] = [];
  /** webhook-id → how many 2xx responses were written out. */
  readonly acknowledged = new Map<string, number>();
  /** Requests held open right now ('hang'), and the most ever held at once: the sender's attempts in flight. */
  open = 0;
  maxOpen = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(options: {
    secrets?: string[];
    behaviour?: (request: { id: string; n: number; seenBefore: number }) => Answer;
  }): Promise<Receiver> {
    const behaviour = options.behaviour ?? (() => 'ok');
    let n = 0;
    // Created first so the handler can see it; the URL is known once it listens.
    const holder: { receiver?: Receiver } = {};
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const receiver = holder.receiver!;
        const body = Buffer.concat(chunks).toString('utf8');
        const id = String(req.headers['webhook-id'] ?? '');
        const seenBefore = receiver.requests.filter((r) => r.id === id).length;
        const answer = behaviour({ id, n: n++, seenBefore });
        const headers = Object.fromEntries(
          Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v ?? '')]),
        );
        let verified = (options.secrets ?? []).length > 0;
        for (const secret of options.secrets ?? []) {
          try {
            new Webhook(secret).verify(body, headers);
          } catch {
            verified = false;
          }
        }
        receiver.requests.push({
          id,
          timestamp: Number(req.headers['webhook-timestamp']),
          signature: String(req.headers['webhook-signature'] ?? ''),
          body,
          headers: req.headers,
          verified,
          answer,
          receivedAt: Date.now(),
        });
        if (answer === 'hang') {
          // Never answered: the sender's timeout (or the test's close) cuts it off.
          receiver.maxOpen = Math.max(receiver.maxOpen, ++receiver.open);
          res.on('close', () => receiver.open--);
          return;
        }
        res.statusCode = answer === 'ok' ? 200 : 503;
        // Counted only once the response really left: an aborted one acknowledges nothing.
        res.on('finish', () => {
          if (answer === 'ok') receiver.acknowledged.set(id, (receiver.acknowledged.get(id) ?? 0) + 1);
        });
        res.end(answer === 'ok' ? 'ok' : 'try again later');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const receiver = new Receiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`);
    holder.receiver = receiver;
    return receiver;
  }

  /** The parsed bodies of the requests answered ok, one per webhook-id. */
  delivered(): { id: string; event: { type: string; timestamp: string; data: Record<string, unknown> } }[] {
    return this.requests
      .filter((r) => r.answer === 'ok')
      .map((r) => ({
        id: r.id,
        event: JSON.parse(r.body) as { type: string; timestamp: string; data: Record<string, unknown> },
      }));
  }

  async waitFor(predicate: (r: Receiver) => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      if (Date.now() > deadline)
        throw new Error(
          `Timed out waiting for ${what}; received: ${this.requests.map((r) => `${r.answer} ${r.body.slice(0, 60)}`).join('\n')}`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
