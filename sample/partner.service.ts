import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import {
  InjectSignalBus,
  Signal,
  verifyWebhook,
  WebhookVerificationError,
  type DispatchConfig,
  type SignalBus,
} from '../lib/index.js';

// Standard Webhooks secret shared with the partner ("whsec_" + base64 of the key).
const WEBHOOK_SECRET = 'whsec_c2FtcGxlLXNlY3JldC1mb3ItdGhlLW9yZGVycy1hcHA=';

/** Signal types forwarded to the partner: one bus subscription with the webhook adapter each. */
export const PARTNER_PATTERNS = ['order.*', 'payment.*'] as const;

export interface PartnerDelivery {
  /** `webhook-id` header (the signal id). */
  webhookId: string;
  type: string;
  subject?: string;
  /** Always true: unverified requests are answered 401 and not recorded. */
  verified: true;
  receivedAt: string;
}

/**
 * A stand-in for a partner system on 127.0.0.1 (random port): it accepts `POST /webhooks`
 * only with a valid Standard Webhooks signature, checked with `verifyWebhook` against the raw
 * body. The app forwards `order.*` and `payment.*` to it through bus subscriptions whose
 * dispatch config is the `webhook` adapter (signed, retried, circuit-broken).
 */
@Injectable()
export class PartnerService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Partner');
  readonly received: PartnerDelivery[] = [];
  rejected = 0;
  private server: Server | undefined;
  private url = '';

  constructor(@InjectSignalBus() private readonly bus: SignalBus) {}

  /** The dispatch config of the partner webhook (also checked by `/health`). */
  get target(): DispatchConfig {
    return { adapter: 'webhook', url: this.url, secret: WEBHOOK_SECRET };
  }

  async onModuleInit(): Promise<void> {
    this.url = await this.listen();
    for (const pattern of PARTNER_PATTERNS) {
      await this.bus.subscribe(pattern, {
        subscriptionId: `partner-webhook:${pattern}`,
        dispatch: this.target,
      });
    }
  }

  /** After the buses drained (`beforeApplicationShutdown`): stop the partner server. */
  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async listen(): Promise<string> {
    const server = createServer((req, res) => {
      if (req.method !== 'POST') return void res.writeHead(204).end(); // health probe (HEAD)
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        try {
          const { id } = verifyWebhook(body, req.headers, WEBHOOK_SECRET);
          const signal = Signal.fromJSON(body);
          this.received.push({
            webhookId: id ?? signal.id,
            type: signal.type,
            ...(signal.subject === undefined ? {} : { subject: signal.subject }),
            verified: true,
            receivedAt: new Date().toISOString(),
          });
          this.logger.log(`verified webhook ${signal.type} (${id})`);
          res.writeHead(204).end();
        } catch (error) {
          this.rejected++;
          const reason = error instanceof WebhookVerificationError ? error.message : 'bad request';
          this.logger.warn(`rejected webhook: ${reason}`);
          res.writeHead(error instanceof WebhookVerificationError ? 401 : 400).end();
        }
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`;
  }
}
