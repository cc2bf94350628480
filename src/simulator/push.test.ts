import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from './clock.ts';
import { Pusher, type PushTarget } from './push.ts';

const held: ServerResponse[] = [];
const server = createServer((_req, res) => held.push(res));
afterEach(() => {
  for (const res of held.splice(0)) res.end();
  server.close();
});

async function target(): Promise<PushTarget> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    corpid: 'wwpush',
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/cb`,
    token: 'token',
    encoding_aes_key: 'a'.repeat(43),
    agentid: 1,
  };
}

const event = { Event: 'change_external_contact', ChangeType: 'add_external_contact' };

describe('the pusher at full concurrency', () => {
  it('keeps 16 deliveries in flight without an abort listener each, and close() still cancels them', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const to = await target();
      const pusher = new Pusher(systemClock, { concurrency: 16, retryDelaysMs: [60_000] });
      const deliveries = Array.from({ length: 20 }, (_, i) => pusher.push(to, `customer-${i}`, event, 0));
      await expect.poll(() => held.length).toBe(16);
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);

      await pusher.close();
      expect(new Set(deliveries.map((d) => d.status))).toEqual(new Set(['cancelled']));
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('close() ends a delivery waiting for its retry at once', async () => {
    const to = await target();
    const pusher = new Pusher(systemClock, { timeoutMs: 50, retryDelaysMs: [60_000] });
    const delivery = pusher.push(to, 'customer', event, 0);
    await expect.poll(() => delivery.attempts.length).toBe(1);
    const started = Date.now();
    await pusher.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(delivery.status).toBe('cancelled');
  });
});
