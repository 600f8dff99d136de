import { Injectable } from '@nestjs/common';

/** Stands for an outside system; the spec replaces it with `overrideProvider`. */
@Injectable()
export class MailerService {
  readonly sent: string[] = [];

  send(orderId: string): Promise<void> {
    this.sent.push(orderId);
    return Promise.resolve();
  }
}
