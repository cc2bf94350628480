/**
 * Sidebar benchmark (issue 14): the first screen of the staff sidebar on the demo brand, in Chromium on the
 * phone viewport (390×844), measured from the simulated WeCom client opening a chat to the customer card
 * painted with its tags, latest orders and recommended scripts. Each open is complete: the chat page, the
 * sidebar opened from its toolbar, WeCom's OAuth (authorize → code → getuserinfo → session), config and
 * agentConfig (tickets cached by Siyu), getContext, getCurExternalContact, then the card's API calls.
 * Prints p50 / p95 / max over --opens opens (one warm-up first), each on another of the member's customers.
 *
 *   npm run bench:sidebar                          # starts `siyu start` with the demo brand (minutes)
 *   npm run bench:sidebar -- --base http://127.0.0.1:4800 --sim http://127.0.0.1:4810   # a running one
 *   npm run bench:sidebar -- --fixture     # the small test brand in process (21 customers of one member)
 */

import type { AddressInfo } from 'node:net';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import type { Frame } from 'playwright-core';
import { saveConnection } from '../src/platform/wecom-links.ts';
import { createServer, WEB_DIST } from '../src/server.ts';
import { startSimulator } from '../src/simulator/server.ts';
import { openTestDatabase } from '../src/testing/db.ts';
import { pii, seedFixture, TEST_KEY } from '../src/testing/fixture.ts';
import { SIM_CORP } from '../src/testing/linked.ts';
import { launchChromium, type SiyuServer, startSiyu } from '../test/e2e/harness.ts';

const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    sim: { type: 'string' },
    member: { type: 'string', default: 'wangfang' },
    opens: { type: 'string', default: '20' },
    fixture: { type: 'boolean', default: false },
  },
});
const opens = Number(values.opens);
let member = values.member!;
let brandName = '禾木茶饮';

let server: SiyuServer | null = null;
let simUrl = values.sim;
let closeFixture: (() => Promise<void>) | null = null;
if (values.fixture) {
  // the test brand (src/testing/fixture.ts) linked to a simulator, in this process: 张丽 (sh1a) with 21 customers
  const database = await openTestDatabase();
  const fx = await seedFixture(database.db);
  const simulator = await startSimulator({ port: 0 });
  const app = await createServer({ database, secretKey: TEST_KEY, logger: false, webDir: WEB_DIST });
  await app.listen({ port: 0, host: '127.0.0.1' });
  app.allowOrigin(simulator.url);
  const siyuUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  await app.runtime.start();
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${simulator.url}/sim/corps${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${await res.text()}`);
    return res.json();
  };
  await call('POST', '', { ...SIM_CORP, callback_url: `${siyuUrl}/wecom/callback/acme` });
  const corp = `/${SIM_CORP.corpid}`;
  await call('POST', `${corp}/departments`, { id: 3, name: '上海一店', parentid: 1 });
  await call('POST', `${corp}/members`, { userid: 'sh1a', name: '张丽', department: [3], position: '导购' });
  await saveConnection(database.db, pii, 'acme', {
    wecomCorpId: SIM_CORP.corpid,
    agentId: String(SIM_CORP.agentid),
    apiBaseUrl: simulator.url,
    secret: SIM_CORP.secret,
    callbackToken: SIM_CORP.token,
    encodingAesKey: SIM_CORP.encoding_aes_key,
    simulated: true,
  });
  for (let i = 0; i < 21; i++) {
    const ext = (await call('POST', `${corp}/customers`, { name: `顾客${i + 1}`, gender: 2 }))
      .external_userid;
    await call('POST', `${corp}/scenarios/member-adds-customer`, { userid: 'sh1a', external_userid: ext });
  }
  await simulator.sim.idle();
  await app.runtime.drain();
  const now = new Date();
  await database.db
    .insertInto('content_items')
    .values(
      ['新客欢迎', '周末活动', '新品上市', '会员日'].map((title) => ({
        corp_id: 'acme',
        unit_id: fx.units.hq,
        kind: 'trust' as const,
        script: true,
        title,
        text: `{{customer_name}}您好，${title}`,
        stages: ['new'],
        attachments: '[]',
        created_at: now,
        updated_at: now,
      })),
    )
    .execute();
  simUrl = simulator.url;
  member = 'sh1a';
  brandName = SIM_CORP.name;
  closeFixture = async () => {
    await app.close();
    await simulator.close();
    await database.close();
  };
} else if (!values.base || !simUrl) {
  console.log('starting siyu with the demo brand (this builds it: minutes)…');
  server = await startSiyu({ name: 'bench-sidebar', readyTimeoutMs: 900_000 });
  simUrl = /bundled simulator at (http:\/\/[^\s]+)/.exec(server.output())?.[1];
  if (!simUrl) throw new Error('no simulator URL in the output of siyu start');
}
const corps = (await (await fetch(`${simUrl}/sim/corps`)).json()) as {
  corps: { corpid: string; name: string }[];
};
const corpid = corps.corps.find((c) => c.name === brandName)!.corpid;

const browser = await launchChromium();
const context = await browser.newContext({
  viewport: { width: 390, height: 844 },
  isMobile: true,
  locale: 'zh-CN',
});
const page = await context.newPage();
await page.goto(`${simUrl}/sim/client?corpid=${corpid}&userid=${member}`);
const chats = await page.$$eval('a.chat-link[data-kind="single"]', (as) =>
  as.map((a) => a.getAttribute('data-external-userid') ?? ''),
);
if (chats.length === 0) throw new Error(`${member} has no customers`);

async function openOnce(externalUserid: string): Promise<number> {
  const t0 = performance.timeOrigin + performance.now(); // epoch ms, the browser's clock too
  await page.goto(`${simUrl}/sim/client?corpid=${corpid}&userid=${member}&chat=${externalUserid}`);
  // the member's tap on the toolbar: a DOM click, without Playwright's actionability round trips (~90 ms)
  await page.evaluate(() => document.querySelector<HTMLElement>('#open-sidebar')!.click());
  const frame = await (await page.waitForSelector('#sidebar')).contentFrame();
  if (!frame) throw new Error('no sidebar frame');
  await frame.waitForSelector('[data-testid="sidebar-orders"][data-loaded="true"]', { timeout: 30_000 });
  await frame.waitForSelector(
    '[data-testid="sidebar-recommendation"], [data-testid="sidebar-recommendations"] .ant-empty',
  );
  await frame.waitForSelector('[data-testid="sidebar-tags"]');
  // painted: the sidebar marks the frame after its card (customer, tags, orders, tasks, scripts) is in the
  // DOM; read on the browser's clock, so that Playwright's polling above does not count
  const paintedAt = await frame.evaluate(async () => {
    while (performance.getEntriesByName('siyu:sidebar-card-painted').length === 0)
      await new Promise((r) => requestAnimationFrame(r));
    return performance.timeOrigin + performance.getEntriesByName('siyu:sidebar-card-painted')[0]!.startTime;
  });
  record(await milestones(frame, paintedAt));
  return paintedAt - t0;
}

/**
 * Where an open's time goes: each milestone in ms from the client page's navigation start (the browser's
 * clocks; the open's total also counts the page.goto before it). The sidebar's own requests come from
 * its frame's resource timing, the JS-SDK calls (each a round trip to the simulator) from the client page's.
 */
async function milestones(frame: Frame, paintedAt: number): Promise<Record<string, number>> {
  const client = await page.evaluate(() => ({
    origin: performance.timeOrigin,
    loaded: performance.getEntriesByType('navigation')[0]?.duration ?? 0,
    invokes: (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
      .filter((e) => e.name.includes('/sim/client/invoke'))
      .map((e) => [e.startTime, e.responseEnd] as const),
  }));
  const side = await frame.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    return {
      origin: performance.timeOrigin,
      documentAt: nav.responseEnd,
      domReadyAt: nav.domContentLoadedEventEnd,
      resources: (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).map((e) => ({
        name: e.name,
        start: e.startTime,
        end: e.responseEnd,
      })),
    };
  });
  const inFrame = (ms: number) => side.origin - client.origin + ms;
  const end = (pattern: RegExp) => {
    const hits = side.resources.filter((r) => pattern.test(r.name));
    return hits.length ? inFrame(Math.max(...hits.map((r) => r.end))) : Number.NaN;
  };
  const firstInvoke = client.invokes[0]?.[0] ?? Number.NaN;
  const lastInvoke = client.invokes.at(-1)?.[1] ?? Number.NaN;
  return {
    'client page loaded': client.loaded,
    'sidebar navigation starts (click)': inFrame(0),
    'sidebar document (after OAuth redirects)': inFrame(side.documentAt),
    'console scripts run (DOMContentLoaded)': inFrame(side.domReadyAt),
    '/auth/me answered': end(/\/api\/v1\/auth\/me/),
    '/sidebar/jssdk answered': end(/\/api\/v1\/sidebar\/jssdk/),
    'JS-SDK script loaded': end(/jweixin|\/sim\/client\/wx/),
    'first JS-SDK call sent': firstInvoke,
    'last JS-SDK call answered': lastInvoke,
    'contact card answered': end(/\/api\/v1\/sidebar\/contacts\//),
    ...Object.fromEntries(
      side.resources
        .filter((r) => /\/api\/v1\/(?!auth\/me|sidebar\/(jssdk|contacts))/.test(r.name))
        .map((r) => [
          `  then ${new URL(r.name).pathname.replace(/\/\d+/g, '/:id')} answered`,
          inFrame(r.end),
        ]),
    ),
    'card painted': paintedAt - client.origin,
  };
}

const steps = new Map<string, number[]>();
function record(m: Record<string, number>) {
  for (const [k, v] of Object.entries(m)) steps.set(k, [...(steps.get(k) ?? []), v]);
}

await openOnce(chats[0]!); // warm-up (the console bundle into the cache, tickets fetched)
steps.clear();
const times: number[] = [];
for (let i = 0; i < opens; i++) times.push(await openOnce(chats[(i + 1) % chats.length]!));
times.sort((a, b) => a - b);
const q = (p: number) => times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)]!;
console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GB, load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ')}`,
);
console.log(`sidebar first screen (${opens} opens of ${member}'s chats, 390×844 Chromium):`);
console.log(
  `  p50 ${q(50).toFixed(0)} ms   p95 ${q(95).toFixed(0)} ms   max ${times.at(-1)!.toFixed(0)} ms   (target p95 < 1000 ms)`,
);
console.log('  where the time goes (median ms from the client page’s navigation start):');
for (const [step, values] of steps) {
  const known = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const median = known.length ? known[Math.floor(known.length / 2)]!.toFixed(0) : '—';
  console.log(`    ${median.padStart(6)}  ${step}`);
}
await browser.close();
await server?.stop();
await closeFixture?.();
console.log(
  values.fixture ? 'brand: the test fixture (src/testing/fixture.ts), in process' : 'brand: the demo brand',
);
