import { afterEach, describe, expect, it } from 'vitest';
import { corpPath, newContactWay, seedCorp, startTestSim, type TestSim } from './testing.ts';

const sims: TestSim[] = [];
afterEach(async () => {
  for (const s of sims.splice(0)) await s.close();
});

async function seeded(): Promise<TestSim> {
  const sim = await startTestSim({ seed: 7 });
  sims.push(sim);
  await seedCorp(sim);
  await newContactWay(sim, { state: 'poster' });
  return sim;
}

describe('population', () => {
  it('is deterministic with a seed', async () => {
    const a = await seeded();
    const b = await seeded();
    const ra = await a.ok('POST', corpPath('/population/steps'), { count: 300, seed: 42 });
    const rb = await b.ok('POST', corpPath('/population/steps'), { count: 300, seed: 42 });
    expect(ra.counts).toEqual(rb.counts);
    expect(ra.done + ra.skipped).toBe(300);
    expect(ra.errors).toBe(0);
    expect(ra.counts.new_customer).toBeGreaterThan(50);
    expect(ra.counts.message).toBeGreaterThan(30);
    const names = async (s: TestSim) =>
      (await s.ok('GET', corpPath('/customers?limit=1000'))).customers.map((c: { name: string }) => c.name);
    expect(await names(a)).toEqual(await names(b));
    const corp = await a.ok('GET', corpPath());
    expect(corp.counts.groups).toBeGreaterThan(0);
    const counters = await a.ok('GET', corpPath('/counters'));
    expect(counters.events['change_external_contact/add_external_contact']).toBeGreaterThan(50);
    expect(counters.events['change_external_chat/update']).toBeGreaterThan(0);

    const other = await seeded();
    const rc = await other.ok('POST', corpPath('/population/steps'), { count: 300, seed: 43 });
    expect(rc.counts).not.toEqual(ra.counts);
  });

  it('runs in the background at a rate, reports progress, stops', async () => {
    const sim = await seeded();
    const started = await sim.ok('POST', corpPath('/population'), {
      rate_per_minute: 6000,
      duration_s: 0.5,
      seed: 1,
    });
    expect(started).toMatchObject({ status: 'running', rate_per_minute: 6000, seed: 1 });
    await new Promise((resolve) => setTimeout(resolve, 900));
    const progress = await sim.ok('GET', corpPath('/population'));
    expect(progress.status).toBe('finished');
    expect(progress.done + progress.skipped).toBe(50);
    expect(progress.counts.new_customer).toBeGreaterThan(0);

    await sim.ok('POST', corpPath('/population'), {
      rate_per_minute: 600,
      mix: { message: 0, new_customer: 1 },
    });
    const stopped = await sim.ok('DELETE', corpPath('/population'));
    expect(stopped.status).toBe('stopped');
    expect(stopped.mix).toMatchObject({ message: 0, new_customer: 1 });
    expect((await sim.control('POST', corpPath('/population'), { rate_per_minute: 0 })).status).toBe(400);
  });
});
