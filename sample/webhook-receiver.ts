import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook, WebhookVerificationError } from '../lib/index.js';

/** A stand-in for a partner system: accepts webhooks only with a valid signature. */
export class WebhookReceiver {
  readonly received: Array<{ id: string; type: string }> = [];
  private server: Server | undefined;

  constructor(private readonly secret: string) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        try {
          const id = verifyWebhook(body, req.headers, this.secret).id ?? 'unknown';
          const event = JSON.parse(body.toString('utf8')) as { type: string };
          this.received.push({ id, type: event.type });
          console.log(`[partner] verified webhook ${event.type} (${id})`);
          res.writeHead(204).end();
        } catch (error) {
          const reason = error instanceof WebhookVerificationError ? error.message : 'bad request';
          console.log(`[partner] rejected webhook: ${reason}`);
          res.writeHead(401).end();
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhooks`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }
}
