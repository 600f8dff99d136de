// The sample orders app on the in-memory default. `npm run sample` serves it on
// http://127.0.0.1:3000 until Ctrl-C; `npm run sample -- --once` runs a short demo and exits.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

const once = process.argv.includes('--once');
const port = Number(process.env.PORT ?? (once ? 0 : 3000));

async function demo(base: string): Promise<void> {
  const post = (body: unknown) =>
    fetch(`${base}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  for (const body of [
    { sku: 'book', quantity: 2 },
    { sku: 'pen', quantity: 5 },
    { sku: '', quantity: 0 },
  ]) {
    const res = await post(body);
    console.log(`POST /orders ${JSON.stringify(body)} → ${res.status} ${await res.text()}`);
  }
  for (const path of ['/stock', '/partner', '/signals?pattern=order.**', '/health']) {
    const res = await fetch(base + path);
    console.log(`GET ${path} → ${res.status} ${await res.text()}`);
  }
}

const app = await NestFactory.create(AppModule, { logger: ['log', 'warn', 'error'] });
app.enableShutdownHooks();
await app.listen(port, '127.0.0.1');
const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
console.log(`orders sample listening on ${base}`);

if (once) {
  await demo(base);
  await app.close();
} else {
  console.log(
    `try: curl -s -XPOST ${base}/orders -H 'content-type: application/json' -d '{"sku":"book","quantity":1}'`,
  );
  console.log(
    `     curl -s ${base}/signals?pattern=order.**   curl -s ${base}/stats   curl -s ${base}/health`,
  );
}
