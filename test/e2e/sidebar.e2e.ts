import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchChromium, resultsDir, type SiyuServer, startSiyu, tail } from './harness.ts';

// A member of the demo brand (王芳, wangfang@demo) in the simulated WeCom client on a phone (390×844): she
// opens a chat with one of her customers and the sidebar beside it; it signs her in through WeCom's OAuth and
// agentConfig, shows that customer, edits a tag (it reaches WeCom's state), sends a recommended script (it
// appears in the chat), adds a follow-up note (on the timeline) and a quote (shown with the colleagues'). A wrong agentConfig signature and a reused
// OAuth code are refused in words; she sees only her own customers.

const MEMBER = 'wangfang';
const PHONE = { width: 390, height: 844 };

// biome-ignore lint/suspicious/noExplicitAny: the simulator's control answers are read field by field
type Json = any;

describe('sidebar: a member inside WeCom on a phone', () => {
  let server: SiyuServer | null = null;
  let baseUrl: string;
  let simUrl: string;
  let corpid: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let sidebar: Frame;
  let customer: { external_userid: string; name: string };
  const callbacks: string[] = [];

  const sim = async (path: string): Promise<Json> => {
    const res = await fetch(`${simUrl}${path}`);
    if (res.status !== 200) throw new Error(`GET ${path} → ${res.status}`);
    return res.json();
  };
  const shot = (name: string, p: Page = page) =>
    p.screenshot({ path: join(resultsDir, `sidebar-${name}.png`), fullPage: false });

  /** Opens the chat with `externalUserid` in the client and the sidebar beside it; waits for the card. */
  async function openChat(p: Page, externalUserid: string): Promise<Frame> {
    await p.goto(`${simUrl}/sim/client?corpid=${corpid}&userid=${MEMBER}&chat=${externalUserid}`);
    await p.click('#open-sidebar');
    const handle = await p.waitForSelector('#sidebar');
    const frame = await handle.contentFrame();
    if (!frame) throw new Error('no sidebar frame');
    await frame.waitForSelector('[data-testid="sidebar-customer-name"], [data-testid="sidebar-error"]', {
      timeout: 30_000,
    });
    return frame;
  }

  beforeAll(async () => {
    mkdirSync(resultsDir, { recursive: true });
    if (process.env.SIDEBAR_E2E_BASE && process.env.SIDEBAR_E2E_SIM) {
      // a running `siyu start` (while developing): its URL and its simulator's
      baseUrl = process.env.SIDEBAR_E2E_BASE;
      simUrl = process.env.SIDEBAR_E2E_SIM;
    } else {
      server = await startSiyu({ name: 'sidebar', readyTimeoutMs: 570_000 });
      baseUrl = server.baseUrl;
      const found = /bundled simulator at (http:\/\/[^\s]+)/.exec(server.output());
      if (!found) throw new Error(`no simulator URL in the output:\n${tail(server.output())}`);
      simUrl = found[1]!;
    }
    const corps = await sim('/sim/corps');
    corpid = corps.corps.find((c: Json) => c.name === '禾木茶饮').corpid;
    browser = await launchChromium();
    context = await browser.newContext({
      viewport: PHONE,
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      locale: 'zh-CN',
    });
    page = await context.newPage();
    // every page of the context (each sign-in sets the browser's state cookie anew)
    context.on('request', (r) => {
      if (r.url().includes('/api/v1/sidebar/oauth/callback')) callbacks.push(r.url());
    });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the client lists her chats; the sidebar signs her in and shows the customer of the chat', async () => {
    await page.goto(`${simUrl}/sim/client?corpid=${corpid}&userid=${MEMBER}`);
    const links = await page.$$eval('a.chat-link[data-kind="single"]', (as) =>
      as.map((a) => ({ id: a.getAttribute('data-external-userid') ?? '', text: a.textContent ?? '' })),
    );
    expect(links.length).toBeGreaterThan(0);
    await shot('client-chats');
    const view: Json = await sim(`/sim/corps/${corpid}/customers/${links[0]!.id}`);
    customer = { external_userid: links[0]!.id, name: view.customer.name };
    sidebar = await openChat(page, customer.external_userid);
    expect(await sidebar.textContent('[data-testid="sidebar-customer-name"]')).toBe(customer.name);
    // signed in through OAuth: one callback with a code
    expect(callbacks).toHaveLength(1);
    expect(new URL(callbacks[0]!).searchParams.get('code')).toBeTruthy();
    expect(sidebar.url()).toContain('/sidebar?brand=demo&signed_in=1');
    await sidebar.waitForSelector('[data-testid="sidebar-recommendation"]');
    await shot('customer');
  });

  test('a tag edited in the sidebar reaches WeCom (mark_tag)', async () => {
    const tagsInWecom = async (): Promise<string[]> => {
      const v = await sim(`/sim/corps/${corpid}/customers/${customer.external_userid}`);
      const follow = v.follows.find((f: Json) => f.userid === MEMBER);
      return (follow?.tags ?? []).map((t: Json) => t.tag_name);
    };
    const before = await tagsInWecom();
    await sidebar.click('[data-testid="edit-customer-tags"]');
    await sidebar.click('[data-testid="customer-tags-select"]');
    const option = await sidebar.waitForSelector(
      '.ant-select-item-option:not(.ant-select-item-option-selected)',
    );
    const tagName = (await option.getAttribute('title')) ?? (await option.textContent()) ?? '';
    await option.click();
    await sidebar.click('.ant-modal-title');
    await shot('tag-dialog');
    await sidebar.click('.ant-modal-footer .ant-btn-primary');
    await sidebar.waitForSelector(`[data-testid="sidebar-tags"] >> text=${tagName}`);
    await expect.poll(tagsInWecom, { timeout: 20_000, interval: 250 }).toContain(tagName);
    expect(before).not.toContain(tagName);
  });

  test('a recommended script is sent in one tap and appears in the chat and in WeCom’s record', async () => {
    const text = (await sidebar.textContent('[data-testid="sidebar-recommendation-text"]'))?.trim() ?? '';
    expect(text.length).toBeGreaterThan(0);
    await sidebar.click('[data-testid="sidebar-send"]');
    await page.waitForSelector('.msg.out >> nth=-1');
    await expect
      .poll(async () => page.$$eval('.msg.out span', (s) => s.map((x) => x.textContent ?? '')), {
        timeout: 10_000,
      })
      .toContainEqual(expect.stringContaining(text.replace(/…$/, '').slice(0, 10)));
    const { messages } = await sim(
      `/sim/corps/${corpid}/messages?external_userid=${customer.external_userid}&userid=${MEMBER}`,
    );
    expect(messages.at(-1)).toMatchObject({ direction: 'out', kind: 'chat' });
    // counted as a touch: on the timeline
    await sidebar.waitForSelector('[data-testid="sidebar-timeline"] >> text=聊天侧边栏话术');
    await shot('sent');
  });

  test('a follow-up note lands on the timeline', async () => {
    await sidebar.fill('[data-testid="sidebar-note"]', '想试试少糖的新品，周末到店');
    await sidebar.click('[data-testid="sidebar-add-note"]');
    await sidebar.waitForSelector(
      '[data-testid="sidebar-timeline"] >> text=跟进记录：想试试少糖的新品，周末到店',
    );
    await sidebar.$eval('[data-testid="sidebar-timeline"]', (el) => el.scrollIntoView());
    await shot('note');
  });

  test('a quote with a note is shown to the colleagues beside her price', async () => {
    await sidebar.fill('[data-testid="sidebar-quote-item"]', '团购 30 杯');
    // an item without a price is not saved
    expect(await sidebar.isDisabled('[data-testid="sidebar-add-note"]')).toBe(true);
    await sidebar.fill('input[data-testid="sidebar-quote-amount"]', '498');
    await sidebar.click('[data-testid="sidebar-add-note"]');
    await sidebar.waitForSelector('[data-testid="sidebar-timeline"] >> text=报价「团购 30 杯」¥498.00');
    const quote = await sidebar.waitForSelector('[data-testid="quote"] >> text=团购 30 杯');
    expect(await quote.textContent()).toContain('¥498');
    await quote.scrollIntoViewIfNeeded();
    await shot('quote');
  });

  test('a wrong agentConfig signature is refused with WeCom’s message', async () => {
    const other = await context.newPage();
    await other.route('**/api/v1/sidebar/jssdk**', async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      body.agentConfig.signature = '0'.repeat(40);
      await route.fulfill({ response: res, json: body });
    });
    const frame = await openChat(other, customer.external_userid);
    expect(await frame.textContent('[data-testid="sidebar-error"]')).toContain(
      'agentConfig:invalid signature',
    );
    await shot('wrong-signature', other);
    await other.close();
  });

  test('a reused OAuth code is refused with a clear message', async () => {
    // the latest sign-in's callback (its state is the browser's current one), its code already used
    const other = await context.newPage();
    await other.goto(callbacks.at(-1)!);
    await other.waitForSelector('[data-testid="sidebar-error"]');
    expect(other.url()).toContain('error=oauth_code');
    expect(await other.textContent('[data-testid="sidebar-error"]')).toContain('40029');
    await shot('reused-code', other);
    await other.close();
  });

  test('she sees only her own customers', async () => {
    const list: Json = await sim(`/sim/corps/${corpid}/customers?limit=500`);
    const stranger: string | undefined = list.customers.find(
      (c: Json) => c.follow_userids.length > 0 && !c.follow_userids.includes(MEMBER),
    )?.external_userid;
    expect(stranger).toBeTruthy();
    // her session (the sidebar's) asks the API: someone else's customer is not found, hers is
    expect((await page.request.get(`${baseUrl}/api/v1/sidebar/contacts/${stranger}`)).status()).toBe(404);
    expect(
      (await page.request.get(`${baseUrl}/api/v1/sidebar/contacts/${customer.external_userid}`)).status(),
    ).toBe(200);
    // and her client has no chat with them
    const res = await page.goto(`${simUrl}/sim/client?corpid=${corpid}&userid=${MEMBER}&chat=${stranger}`);
    expect(res?.status()).toBe(404);
  });

  test('two console pages at phone width (screenshots)', async () => {
    for (const path of ['customers', 'tasks']) {
      await page.goto(`${baseUrl}/${path}`);
      await page.waitForSelector('.ant-layout');
      await page.waitForLoadState('networkidle');
      await shot(`console-${path}`);
    }
  });
});
