import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIRequestContext, Browser, BrowserContext, Page } from 'playwright-core';

import { afterAll, beforeAll, describe, expect, type TestContext, test } from 'vitest';
import { decodePng, readQr } from '../../src/testing/qr.ts';
import { launchChromium, resultsDir, type SiyuServer, startSiyu, tail } from './harness.ts';

// A store manager of the demo brand signs in to the console, sees only her store's customers (checked
// through the API as the same browser session, against what the HQ admin sees), and opens a profile.

const PASSWORD = 'siyu1234';
const STORE_MANAGER = 'sh-jingan@demo';
const ADMIN = 'admin@demo';
const OWN_STORE = '上海静安店';
const OTHER_STORE = '深圳南山店';

interface Me {
  account: { id: number; role: string; unitId: number; unitName: string; corpId: number };
  csrfToken: string;
}
interface Unit {
  id: number;
  parentId: number | null;
  kind: string;
  name: string;
  code: string | null;
}
interface CustomerRow {
  id: number;
  name: string;
  owners: { staffId: number; staffName: string }[];
}
interface Follow {
  id: number;
  staff: { id: number; name: string; unitId: number; unitName: string };
  status: string;
}
interface CustomerDetail {
  customer: { id: number; name: string };
  follows: Follow[];
}

async function getJson<T>(api: APIRequestContext, path: string): Promise<T> {
  const res = await api.get(path);
  if (res.status() !== 200) {
    throw new Error(`GET ${path} answered ${res.status()}: ${(await res.text()).slice(0, 500)}`);
  }
  return (await res.json()) as T;
}

/** Every customer the session can list, following nextCursor (bounded, so a loop cannot spin). */
async function listAll(api: APIRequestContext, query: string): Promise<CustomerRow[]> {
  const all: CustomerRow[] = [];
  let cursor: string | null = null;
  for (let pageNo = 0; pageNo < 50; pageNo++) {
    const sep = query ? '&' : '';
    const path: string = `/api/v1/customers?${query}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const batch: { items: CustomerRow[]; nextCursor: string | null } = await getJson(api, path);
    all.push(...batch.items);
    if (!batch.nextCursor) return all;
    cursor = batch.nextCursor;
  }
  throw new Error(`more than 50 pages of customers for "${query}"`);
}

describe('console: a store manager sees only her store', () => {
  let server: SiyuServer;
  let browser: Browser;
  let managerContext: BrowserContext;
  let adminContext: BrowserContext;
  let page: Page;
  let failed = false;
  /** What the browser refused under the Content-Security-Policy, on any page of either session. */
  const cspViolations: string[] = [];

  // Filled by the first tests, used by the later ones (Vitest runs the tests of a file in order).
  let me: Me;
  let listedNames: string[] = [];
  let visible: CustomerRow[] = [];

  beforeAll(async () => {
    mkdirSync(resultsDir, { recursive: true });
    // On a copy of the demo brand the global setup built (months of orders, journeys, 群发, tasks, the
    // library: minutes on a busy 2-core machine), so this start is a restart of a seeded folder.
    server = await startSiyu({ name: 'e2e-console', readyTimeoutMs: 570_000 });
    browser = await launchChromium();
    const options = { baseURL: server.baseUrl, locale: 'zh-CN', viewport: { width: 1366, height: 900 } };
    managerContext = await browser.newContext(options);
    adminContext = await browser.newContext(options);
    for (const context of [managerContext, adminContext])
      context.on('console', (msg) => {
        if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
      });
    page = await managerContext.newPage();
  }, 600_000);

  /** On failure: a screenshot of the page as it was (test-results/e2e-failure-<step>.png), and the server log. */
  function onFailure(ctx: TestContext, step: string) {
    ctx.onTestFailed(async () => {
      failed = true;
      await page
        ?.screenshot({ path: join(resultsDir, `e2e-failure-${step}.png`), fullPage: true })
        .catch(() => {});
    });
  }

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
    if (failed && server) console.error(`--- siyu start output (tail) ---\n${tail(server.output(), 40)}`);
  });

  test('the store manager signs in, lands on 工作台, and opens the customer list', async (ctx) => {
    onFailure(ctx, 'login');
    const loginPage = await page.goto('/login');
    expect(loginPage?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.locator('#login').fill(STORE_MANAGER);
    await page.locator('#password').fill(PASSWORD);
    await page.locator('button[type=submit]').click();
    await page.waitForURL((url) => url.pathname === '/home', { timeout: 30_000 });
    await page.getByTestId('home').waitFor({ state: 'visible', timeout: 30_000 });
    await page.goto('/customers');

    const rows = page.getByTestId('customer-row');
    await rows.first().waitFor({ state: 'visible', timeout: 30_000 });
    listedNames = (await rows.allTextContents()).map((t) => t.trim());
    expect(listedNames.length).toBeGreaterThan(0);
    // Avatars come from Siyu (drawn initials) or are inline: nothing from an outside host, nothing over http.
    const avatars = await rows
      .locator('img')
      .evaluateAll((imgs) => imgs.map((i) => i.getAttribute('src') ?? ''));
    expect(avatars.length).toBeGreaterThan(0);
    for (const src of avatars) expect(src).toMatch(/^(\/avatars\/[0-7]\/|data:image\/svg\+xml)/);
    const drawn = avatars.find((src) => src.startsWith('/avatars/'));
    if (drawn) expect((await page.request.get(drawn)).headers()['content-type']).toContain('image/svg+xml');

    me = await getJson<Me>(page.request, '/api/v1/auth/me');
    expect(me.account.role).toBe('store_manager');
    expect(me.account.unitName).toBe(OWN_STORE);
    expect(me.csrfToken).toBeTruthy();
  });

  test('every customer the session can see follows a staff member of the store', async (ctx) => {
    onFailure(ctx, 'scope');
    visible = await listAll(page.request, '');
    expect(visible.length).toBeGreaterThan(0);

    // The rows on screen are customers the API lists for this session.
    const visibleNames = visible.map((c) => c.name);
    for (const rowText of listedNames) {
      expect(
        visibleNames.some((name) => rowText.includes(name)),
        `row "${rowText}" is none of the session's customers`,
      ).toBe(true);
    }

    for (const row of visible) {
      const detail = await getJson<CustomerDetail>(page.request, `/api/v1/customers/${row.id}`);
      expect(detail.customer.id).toBe(row.id);
      const ownFollows = detail.follows.filter(
        (f) => f.staff.unitId === me.account.unitId && f.staff.unitName === OWN_STORE,
      );
      expect(
        ownFollows.length,
        `customer ${row.id} ${row.name} has no follow by ${OWN_STORE}: ${JSON.stringify(detail.follows.map((f) => f.staff))}`,
      ).toBeGreaterThan(0);
    }
  });

  test('a customer only of another store is invisible to the store manager', async (ctx) => {
    onFailure(ctx, 'stranger');
    const admin = adminContext.request;
    const login = await admin.post('/api/v1/auth/login', { data: { login: ADMIN, password: PASSWORD } });
    expect(login.status(), await login.text()).toBe(200);

    const { items: units } = await getJson<{ items: Unit[] }>(admin, '/api/v1/org/units');
    const other = units.find((u) => u.name === OTHER_STORE);
    expect(other, `${OTHER_STORE} is not among the admin's units`).toBeDefined();

    // A customer of the other store that no staff member of the manager's store follows.
    const candidates = await listAll(admin, `unitId=${other!.id}`);
    expect(candidates.length).toBeGreaterThan(0);
    let stranger: CustomerDetail | undefined;
    for (const row of candidates) {
      const detail = await getJson<CustomerDetail>(admin, `/api/v1/customers/${row.id}`);
      if (detail.follows.length > 0 && detail.follows.every((f) => f.staff.unitName !== OWN_STORE)) {
        stranger = detail;
        break;
      }
    }
    expect(stranger, `every customer of ${OTHER_STORE} is also followed by ${OWN_STORE}`).toBeDefined();
    const { id, name } = stranger!.customer;
    expect(stranger!.follows.some((f) => f.staff.unitName === OTHER_STORE)).toBe(true);
    expect(visible.some((c) => c.id === id)).toBe(false);

    // The search finds the customer by exact name for the admin, so its silence below means something.
    const q = `q=${encodeURIComponent(name)}`;
    expect((await listAll(admin, q)).some((c) => c.id === id)).toBe(true);

    const direct = await page.request.get(`/api/v1/customers/${id}`);
    expect(direct.status()).toBe(404);
    expect((await listAll(page.request, q)).some((c) => c.id === id)).toBe(false);

    // And the store manager's own search works: it finds one of her customers by name.
    const own = visible[0]!;
    const ownHits = await listAll(page.request, `q=${encodeURIComponent(own.name)}`);
    expect(ownHits.some((c) => c.id === own.id)).toBe(true);
  });

  test('clicking the first customer opens its profile with its follows', async (ctx) => {
    onFailure(ctx, 'profile');
    const firstRow = page.getByTestId('customer-row').first();
    const rowText = ((await firstRow.textContent()) ?? '').trim();
    await firstRow.click();

    const profile = page.getByTestId('customer-profile');
    await profile.waitFor({ state: 'visible', timeout: 30_000 });
    const match = /\/customers\/(\d+)/.exec(new URL(page.url()).pathname);
    expect(match, `the profile's URL ${page.url()} names no customer id`).not.toBeNull();
    const detail = await getJson<CustomerDetail>(page.request, `/api/v1/customers/${match![1]}`);

    expect(rowText).toContain(detail.customer.name);
    await expect
      .poll(async () => (await profile.textContent()) ?? '', { timeout: 15_000 })
      .toContain(detail.customer.name);
    expect(detail.follows.length).toBeGreaterThan(0);
    const profileText = (await profile.textContent()) ?? '';
    for (const follow of detail.follows) {
      expect(profileText, `the profile does not show the follow by ${follow.staff.name}`).toContain(
        follow.staff.name,
      );
    }
    // Where the customer came from: the channel and its bait, or a clear "not through a channel code".
    const { items: acquired } = await getJson<{ items: { channelName: string; bait: string }[] }>(
      page.request,
      `/api/v1/customers/${match![1]}/acquisition`,
    );
    const card = page.getByTestId('acquisition');
    const expected =
      acquired.length === 0 ? ['不是通过渠道活码添加的'] : acquired.flatMap((a) => [a.channelName, a.bait]);
    for (const text of expected.filter(Boolean)) {
      await expect.poll(async () => (await card.textContent()) ?? '', { timeout: 15_000 }).toContain(text);
    }

    await page.screenshot({ path: join(resultsDir, 'e2e-profile.png'), fullPage: true });
  });

  test('the profile speaks in words, in either language: channels by name, who acted, no raw ids', async (ctx) => {
    onFailure(ctx, 'profile-words');
    interface Entry {
      kind: string;
      text: { zh: string; en: string };
      actorName: string | null;
    }
    interface Detail {
      customer: { id: number; externalUserid: string };
      follows: { state: string | null; channel: { name: string } | null }[];
      timeline: Entry[];
    }
    let viaChannel: Detail | undefined;
    let taggedByHer: Detail | undefined;
    for (const row of visible) {
      if (viaChannel && taggedByHer) break;
      const d = await getJson<Detail>(page.request, `/api/v1/customers/${row.id}`);
      if (!viaChannel && d.follows.some((f) => f.channel)) viaChannel = d;
      const hers = (e: Entry) => e.kind === 'tag_added' && (e.actorName ?? '').includes('店长');
      if (!taggedByHer && d.timeline.some(hers)) taggedByHer = d;
    }
    expect(viaChannel, 'none of her customers came through a channel code').toBeDefined();
    expect(taggedByHer, 'she tagged none of her customers in the console').toBeDefined();

    await page.goto(`/customers/${viaChannel!.customer.id}`);
    const profile = page.getByTestId('customer-profile');
    const texts = page.getByTestId('timeline-text');
    await expect
      .poll(() => texts.allTextContents(), { timeout: 30_000 })
      .toEqual(viaChannel!.timeline.map((e) => e.text.zh));
    const shown = (await profile.textContent()) ?? '';
    for (const f of viaChannel!.follows) {
      if (f.channel) expect(shown).toContain(f.channel.name);
      if (f.state) expect(shown, `the code state ${f.state} is on the page`).not.toContain(f.state);
    }
    // the header shows the person; the WeCom id is among the identities (OneID), with what it is
    const header = (await page.getByTestId('profile-header').textContent()) ?? '';
    expect(header).not.toContain(viaChannel!.customer.externalUserid);
    await page.screenshot({ path: join(resultsDir, 'e2e-profile-words.png'), fullPage: true });

    // English: the timeline is rendered from its data, the acquisition card says "Bait:"
    await page.getByTestId('lang-en').click();
    await expect
      .poll(() => texts.allTextContents(), { timeout: 15_000 })
      .toEqual(viaChannel!.timeline.map((e) => e.text.en));
    const acquisition = (await page.getByTestId('acquisition').textContent()) ?? '';
    expect(acquisition).not.toContain('诱饵');
    if (/Bait/.test(acquisition)) expect(acquisition).toContain('Bait: ');
    await page.screenshot({ path: join(resultsDir, 'e2e-profile-en.png'), fullPage: true });
    await page.getByTestId('lang-zh').click();

    // A tag she put on in the console names her, not the member whose follow carries it.
    await page.goto(`/customers/${taggedByHer!.customer.id}`);
    const entry = taggedByHer!.timeline.find((e) => e.kind === 'tag_added' && e.actorName?.includes('店长'))!;
    const item = page
      .getByTestId('timeline')
      .locator('.ant-timeline-item')
      .filter({ hasText: entry.text.zh });
    await expect
      .poll(async () => (await item.first().textContent()) ?? '', { timeout: 15_000 })
      .toContain(`经办：${entry.actorName}`);
  });

  test('a customer who bought shows the orders and the identities that linked them', async (ctx) => {
    onFailure(ctx, 'orders');
    interface Order {
      channel: string;
      store: { name: string } | null;
      items: { productName: string }[];
    }
    const mine = await listAll(page.request, '');
    let found: { id: number; orders: Order[] } | null = null;
    for (const c of mine.slice(0, 60)) {
      const orders = await getJson<{ items: Order[] }>(
        page.request,
        `/api/v1/customers/${c.id}/orders?limit=10`,
      );
      if (orders.items.length >= 2) {
        found = { id: c.id, orders: orders.items };
        break;
      }
    }
    expect(found, 'none of her first 60 customers has two orders').not.toBeNull();
    const identities = await getJson<{ identities: { source: string }[] }>(
      page.request,
      `/api/v1/customers/${found!.id}/identities`,
    );
    await page.goto(`/customers/${found!.id}`);
    const rows = page.getByTestId('order');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(found!.orders.length);
    const first = (await rows.first().textContent()) ?? '';
    expect(first).toContain(found!.orders[0]!.items[0]!.productName);
    if (found!.orders[0]!.store) expect(first).toContain(found!.orders[0]!.store.name);
    const card = page.getByTestId('identities');
    await expect.poll(() => page.getByTestId('identity').count()).toBe(identities.identities.length);
    const text = (await card.textContent()) ?? '';
    if (identities.identities.some((i) => i.source === 'wecom')) expect(text).toContain('企业微信');
    // an integration's source in words, not its code name
    expect(text).not.toMatch(/(订单|会员) · (pos|miniprogram|tmall)\b/);
    expect((await rows.first().textContent()) ?? '').not.toMatch(/\b(pos|miniprogram|tmall) · /);
    await page.screenshot({ path: join(resultsDir, 'e2e-orders.png'), fullPage: true });
  });

  test('渠道活码 lists the channels with their funnel, the code of her store, and the methods compared', async (ctx) => {
    onFailure(ctx, 'channels');
    await page.goto('/channels');
    const table = page.getByTestId('channels-table');
    await table.waitFor({ state: 'visible', timeout: 30_000 });
    const from = new Date(Date.now() - 30 * 86_400_000).toISOString();
    const api = await getJson<{ items: { id: number; name: string; adds: number; method: string }[] }>(
      page.request,
      `/api/v1/channels?from=${encodeURIComponent(from)}`,
    );
    expect(api.items.length).toBeGreaterThan(0);
    await expect
      .poll(async () => (await table.textContent()) ?? '', { timeout: 15_000 })
      .toContain(api.items[0]!.name);
    const text = (await table.textContent()) ?? '';
    for (const c of api.items) expect(text).toContain(c.name);
    expect(text).toContain('台卡');
    expect(text).toContain('欢迎语错过');

    // Expanding a store channel shows only this store's code, with whom it routes to.
    await table.locator('.ant-table-row-expand-icon').first().click();
    const codes = page.getByTestId('channel-codes');
    await codes.waitFor({ state: 'visible', timeout: 15_000 });
    await expect
      .poll(async () => (await codes.textContent()) ?? '', { timeout: 15_000 })
      .toContain(OWN_STORE);
    expect((await codes.textContent()) ?? '').toContain('当前接待');
    await page.screenshot({ path: join(resultsDir, 'e2e-channel-codes.png'), fullPage: true });

    // The table card downloads as a PNG whose QR leads to the code's landing page, which counts the scan.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      codes.getByTestId('material').getByRole('link', { name: /台卡/ }).first().click(),
    ]);
    const file = join(resultsDir, 'e2e-table-card.png');
    await download.saveAs(file);
    const png = decodePng(readFileSync(file));
    expect([png.width, png.height]).toEqual([1200, 900]);
    const qr = readQr(png);
    // a code of Siyu's (sy…) or one that kept the state of the brand's printed material (ch_<store>_<placement>)
    expect(qr).toMatch(new RegExp(`^${server.baseUrl}/c/demo/(sy[0-9a-f]{20}|ch_[a-z0-9_-]+)$`));
    const landing = await page.request.get(qr!);
    expect(landing.status()).toBe(200);
    expect(await landing.text()).toContain('长按识别二维码');

    await page.getByRole('tab', { name: '方式对比' }).click();
    const methods = page.getByTestId('method-comparison');
    await methods.waitFor({ state: 'visible', timeout: 15_000 });
    expect((await methods.textContent()) ?? '').toContain('台卡');
    await page.screenshot({ path: join(resultsDir, 'e2e-channels.png'), fullPage: true });
  });

  test('she creates a table-card channel, previewing the welcome as the customer will see it', async (ctx) => {
    onFailure(ctx, 'channel-create');
    await page.getByRole('tab', { name: '渠道' }).click();
    await page.getByTestId('channel-create').click();
    const drawer = page.locator('.ant-drawer');
    await drawer.waitFor({ state: 'visible', timeout: 15_000 });
    await drawer.locator('#name').fill('收银台新台卡');
    await drawer.locator('#scene').fill('收银台');
    await drawer.locator('#bait').fill('免费加料券');
    // Her unit, then the first of her staff as receiver.
    await drawer.locator('#unitId').click();
    await page.locator('.ant-select-tree-node-content-wrapper', { hasText: OWN_STORE }).first().click();
    // Her store's staff list loads for the unit just picked: the option is taken from the open dropdown
    // once it lists her store, and the preview's sender (the first receiver) proves the pick held.
    await drawer.locator('#staffIds').click();
    await page
      .locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: OWN_STORE })
      .first()
      .click();
    await page.keyboard.press('Escape');
    const preview = page.getByTestId('welcome-preview');
    const sender = preview.locator('.wechat-preview-title');
    await expect
      .poll(async () => (await preview.textContent()) ?? '', { timeout: 10_000 })
      .toContain('免费加料券');
    expect((await preview.textContent()) ?? '').toContain('林小满');
    await expect
      .poll(async () => (await sender.textContent()) ?? '', { timeout: 10_000 })
      .not.toBe('店长小禾');
    await page.screenshot({ path: join(resultsDir, 'e2e-channel-editor.png'), fullPage: true });
    await page.getByTestId('channel-save').click();
    await drawer.waitFor({ state: 'hidden', timeout: 15_000 });
    const table = page.getByTestId('channels-table');
    await expect
      .poll(async () => (await table.textContent()) ?? '', { timeout: 15_000 })
      .toContain('收银台新台卡');
  });

  test('she may edit and archive her store’s channels only: HQ’s are read-only; she archives hers', async (ctx) => {
    onFailure(ctx, 'channel-archive');
    const from = new Date(Date.now() - 30 * 86_400_000).toISOString();
    type Row = { id: number; name: string; editable: boolean; status: string };
    const { items } = await getJson<{ items: Row[] }>(
      page.request,
      `/api/v1/channels?from=${encodeURIComponent(from)}`,
    );
    const hq = items.filter((c) => !c.editable);
    expect(hq.length).toBeGreaterThan(0);
    const table = page.getByTestId('channels-table');
    const row = (name: string) => table.locator('tr.ant-table-row').filter({ hasText: name });
    for (const c of hq) {
      await row(c.name).first().waitFor({ state: 'visible', timeout: 15_000 });
      expect(await row(c.name).getByTestId('channel-actions').count(), c.name).toBe(0);
    }
    const mine = items.find((c) => c.name === '收银台新台卡')!;
    expect(mine).toMatchObject({ editable: true, status: 'active' });
    await row(mine.name).getByTestId('channel-archive').click();
    await page.locator('.ant-popconfirm').getByRole('button', { name: '归档' }).click();
    await expect
      .poll(async () => (await row(mine.name).textContent()) ?? '', { timeout: 15_000 })
      .toContain('已归档');
    expect(await row(mine.name).getByTestId('channel-actions').count()).toBe(0);
    const after = await getJson<Row>(page.request, `/api/v1/channels/${mine.id}`);
    expect(after.status).toBe('archived');
  });

  test('she sets her store to friend-only linkage', async (ctx) => {
    onFailure(ctx, 'linkage');
    await page.getByRole('tab', { name: '链接方式' }).click();
    const card = page.getByTestId('linkage-settings').filter({ hasText: OWN_STORE });
    await card.waitFor({ state: 'visible', timeout: 15_000 });
    type Setting = { own: { linkage: string } | null; effective: string };
    const setting = () => getJson<Setting>(page.request, `/api/v1/acquisition-settings/${me.account.unitId}`);
    // the demo routes the east region's new friends into groups: her store has its own friend-then-group
    expect(await setting()).toMatchObject({
      own: { linkage: 'friend_then_group' },
      effective: 'friend_then_group',
    });
    expect((await card.textContent()) ?? '').toContain('本级设置');
    expect((await card.textContent()) ?? '').toContain('业态：茶饮');
    await card.getByRole('radio', { name: /仅加好友/ }).check();
    await card.getByRole('button', { name: '保存' }).click();
    await expect
      .poll(setting, { timeout: 10_000 })
      .toMatchObject({ own: { linkage: 'friend_only' }, effective: 'friend_only' });
  });

  test('she edits a member’s persona and name card in 员工: it reaches the card the customers see', async (ctx) => {
    onFailure(ctx, 'persona');
    await page.goto('/staff');
    const row = page.getByTestId('staff-row').first();
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    await row.click();
    const form = page.getByTestId('persona-form');
    await form.waitFor({ state: 'visible', timeout: 15_000 });
    const name = `门店顾问${Date.now() % 1000}`;
    await form.getByLabel('对客名称').fill(name);
    await form.getByLabel('自我介绍').fill('每天现做，有口味问题随时找我。');
    await form.getByLabel('商城入口链接（小程序或网页）').fill('not a link');
    await page.getByTestId('persona-save').click();
    await form.getByText('请输入以 http(s):// 开头的链接').waitFor({ state: 'visible' });
    await form.getByLabel('商城入口链接（小程序或网页）').fill('https://shop.example.com/store');
    await page.getByTestId('persona-save').click();
    await page.locator('.ant-message-success').waitFor({ state: 'visible', timeout: 15_000 });
    const { items } = await getJson<{ items: { id: number; personaName: string | null }[] }>(
      page.request,
      '/api/v1/staff?limit=50',
    );
    const edited = items.find((s) => s.personaName === name);
    expect(edited, JSON.stringify(items.map((s) => s.personaName))).toBeDefined();
    const card = await getJson<{ intro: string; mallUrl: string }>(
      page.request,
      `/api/v1/staff/${edited!.id}/persona`,
    );
    expect(card).toMatchObject({
      intro: '每天现做，有口味问题随时找我。',
      mallUrl: 'https://shop.example.com/store',
    });
  });

  test('the HQ admin builds a segment in 分群: the live count is the API preview of the same rule, and it saves', async (ctx) => {
    onFailure(ctx, 'segments');
    const adminPage = await adminContext.newPage();
    ctx.onTestFailed(async () => {
      await adminPage
        .screenshot({ path: join(resultsDir, 'e2e-failure-segments-admin.png'), fullPage: true })
        .catch(() => {});
    });
    const admin = adminContext.request;
    const login = await admin.post('/api/v1/auth/login', { data: { login: ADMIN, password: PASSWORD } });
    expect(login.status(), await login.text()).toBe(200);
    const { csrfToken } = (await login.json()) as Me;
    const preview = async (rule: unknown) => {
      const res = await admin.post('/api/v1/segments/preview', {
        data: { rule },
        headers: { 'x-csrf-token': csrfToken },
      });
      expect(res.status(), await res.text()).toBe(200);
      return (await res.json()) as { count: number; sample: { id: number; name: string }[] };
    };

    // The stage with the most customers, then a tag that narrows it (some but not all of them).
    type Field = {
      key: string;
      label: { zh: string };
      options?: { value: number | string; label: string }[];
    };
    const { fields } = await getJson<{ fields: Field[] }>(admin, '/api/v1/segment-fields');
    const stageField = fields.find((f) => f.key === 'stage')!;
    const tagField = fields.find((f) => f.key === 'tag')!;
    const stageRule = (value: string | number) => ({ field: 'stage', cmp: 'in', value: [value] });
    let stage = stageField.options![0]!;
    let stageCount = -1;
    for (const option of stageField.options!) {
      const { count } = await preview({ op: 'and', rules: [stageRule(option.value)] });
      if (count > stageCount) [stage, stageCount] = [option, count];
    }
    expect(stageCount).toBeGreaterThan(0);
    let tag: { value: number | string; label: string } | undefined;
    let rule: unknown;
    let expected: { count: number; sample: { id: number; name: string }[] } | undefined;
    for (const option of tagField.options!) {
      rule = {
        op: 'and',
        rules: [stageRule(stage.value), { field: 'tag', cmp: 'in', value: [option.value] }],
      };
      expected = await preview(rule);
      if (expected.count > 0 && expected.count < stageCount) {
        tag = option;
        break;
      }
    }
    expect(tag, 'no tag narrows the largest stage').toBeDefined();

    const option = (label: string) =>
      adminPage.locator(
        `.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option[title="${label}"]`,
      );
    const count = adminPage.getByTestId('audience-count');
    /** The count on screen once counting settled, as a number. */
    const settledCount = async () =>
      (await count.getAttribute('data-counting')) === 'false'
        ? Number(((await count.textContent()) ?? '').replace(/\D/g, '') || Number.NaN)
        : Number.NaN;

    await adminPage.goto('/customers');
    await adminPage.getByRole('link', { name: '分群', exact: true }).click();
    await adminPage.waitForURL((url) => url.pathname === '/segments', { timeout: 15_000 });
    await adminPage.getByTestId('segment-create').click();
    await adminPage.getByTestId('rule-builder').waitFor({ state: 'visible', timeout: 15_000 });

    // Lifecycle stage is <stage>: the count shows that stage's audience.
    const first = adminPage.getByTestId('rule-condition').first();
    await first.getByTestId('rule-field').click();
    await adminPage.keyboard.type(stageField.label.zh);
    await option(stageField.label.zh).click();
    await first.getByTestId('rule-value').click();
    await option(stage.label).click();
    await adminPage.keyboard.press('Escape');
    await expect.poll(settledCount, { timeout: 15_000 }).toBe(stageCount);

    // AND tag is <tag>: the count changes, live, to what the API's preview gives for the same rule.
    await adminPage.getByTestId('rule-add-condition').first().click();
    const second = adminPage.getByTestId('rule-condition').nth(1);
    await second.getByTestId('rule-field').click();
    await adminPage.keyboard.type(tagField.label.zh);
    await option(tagField.label.zh).click();
    await second.getByTestId('rule-value').click();
    await adminPage.keyboard.type(tag!.label);
    await option(tag!.label).click();
    await adminPage.keyboard.press('Escape');
    await expect.poll(settledCount, { timeout: 15_000 }).toBe(expected!.count);
    expect(expected!.count).not.toBe(stageCount);
    // The sample is the API's.
    const members = adminPage.getByTestId('audience-member');
    await expect.poll(() => members.count(), { timeout: 10_000 }).toBe(expected!.sample.length);
    expect(((await members.first().textContent()) ?? '').trim()).toContain(expected!.sample[0]!.name);

    const name = `${stage.label}·${tag!.label}`;
    await adminPage.locator('#segment-name').fill(name);
    await adminPage.screenshot({ path: join(resultsDir, 'e2e-segment-builder.png'), fullPage: true });
    await adminPage.getByTestId('segment-save').click();
    await adminPage.waitForURL((url) => url.pathname === '/segments', { timeout: 15_000 });
    const row = adminPage.getByTestId('segment-row').filter({ hasText: name });
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    expect(((await row.getByTestId('segment-count').textContent()) ?? '').replace(/\D/g, '')).toBe(
      String(expected!.count),
    );
    const saved = await getJson<{ items: { name: string; count: number; rule: unknown }[] }>(
      admin,
      '/api/v1/segments',
    );
    expect(saved.items.find((s) => s.name === name)).toMatchObject({ count: expected!.count, rule });
    await adminPage.screenshot({ path: join(resultsDir, 'e2e-segments.png'), fullPage: true });

    // Opened again, the saved rule counts the same; a member of the sample opens the customer's profile.
    await row.click();
    await adminPage.getByTestId('rule-builder').waitFor({ state: 'visible', timeout: 15_000 });
    expect(await adminPage.getByTestId('rule-condition').count()).toBe(2);
    await expect.poll(settledCount, { timeout: 15_000 }).toBe(expected!.count);
    await members.first().click();
    await adminPage.waitForURL((url) => url.pathname === `/customers/${expected!.sample[0]!.id}`, {
      timeout: 15_000,
    });
    await adminPage.getByTestId('customer-profile').waitFor({ state: 'visible', timeout: 15_000 });
    await adminPage.close();
  });

  test('HQ’s segments and layerings are read-only for the store manager: no live inputs, nothing to delete', async (ctx) => {
    onFailure(ctx, 'segments-read-only');
    type Saved = { id: number; name: string; editable: boolean };
    const { items: segments } = await getJson<{ items: Saved[] }>(page.request, '/api/v1/segments');
    const segment = segments.find((s) => !s.editable);
    expect(segment, 'the store manager sees no HQ segment').toBeDefined();
    await page.goto(`/segments/${segment!.id}`);
    const builder = page.getByTestId('rule-builder');
    await builder.waitFor({ state: 'visible', timeout: 15_000 });
    expect(await builder.getAttribute('data-readonly')).toBe('true');
    expect(await page.getByTestId('segment-name-text').textContent()).toBe(segment!.name);
    for (const id of ['rule-remove', 'rule-negate', 'rule-add-condition', 'rule-add-group', 'segment-save'])
      expect(await page.getByTestId(id).count(), id).toBe(0);
    expect(await page.locator('#segment-name').count()).toBe(0);
    expect(await builder.locator('.ant-select:not(.ant-select-disabled)').count()).toBe(0);
    expect(await page.locator('.anticon-delete').count()).toBe(0);
    await page.screenshot({ path: join(resultsDir, 'e2e-segment-read-only.png'), fullPage: true });

    const { items: layerings } = await getJson<{ items: Saved[] }>(
      page.request,
      '/api/v1/layerings?days=365',
    );
    const layering = layerings.find((l) => !l.editable);
    expect(layering, 'the store manager sees no HQ layering').toBeDefined();
    await page.goto(`/layers/${layering!.id}`);
    await page.getByTestId('layering-readonly').waitFor({ state: 'visible', timeout: 15_000 });
    expect(await page.getByTestId('layer-draft').count()).toBe(0);
    expect(await page.getByTestId('layer-add').count()).toBe(0);
    expect(await page.getByTestId('layering-save').count()).toBe(0);
    expect(await page.locator('.anticon-delete').count()).toBe(0);
    // a warning names two different operations, or one once
    const warnings = (await page.getByTestId('layering-warnings').allTextContents()).join(' ');
    expect(warnings).not.toMatch(/「([^」]+)」和「\1」/);
    await page.screenshot({ path: join(resultsDir, 'e2e-layering-read-only.png'), fullPage: true });
  });

  test('the HQ admin adds a tag group in 标签: it reaches WeCom, and the store manager, who follows customers, sees it', async (ctx) => {
    onFailure(ctx, 'tags');
    const adminPage = await adminContext.newPage();
    ctx.onTestFailed(async () => {
      await adminPage
        .screenshot({ path: join(resultsDir, 'e2e-failure-tags-admin.png'), fullPage: true })
        .catch(() => {});
    });
    const admin = adminContext.request;
    const login = await admin.post('/api/v1/auth/login', { data: { login: ADMIN, password: PASSWORD } });
    expect(login.status(), await login.text()).toBe(200);

    await adminPage.goto('/customers');
    await adminPage.getByRole('link', { name: '标签', exact: true }).click();
    await adminPage.waitForURL((url) => url.pathname === '/tags', { timeout: 15_000 });
    await adminPage.getByTestId('new-group').click();
    await adminPage.getByTestId('group-name').fill('E2E 甜度');
    await adminPage.getByTestId('group-tags').click();
    await adminPage.keyboard.type('半糖,全糖,');
    await adminPage.getByTestId('group-save').click();
    const card = adminPage.getByTestId('tag-group').filter({ hasText: 'E2E 甜度' });
    await card.waitFor({ state: 'visible', timeout: 15_000 });
    // On its way, then in WeCom: the page looks again by itself while anything is pending.
    await card
      .locator('.ant-card-head')
      .getByTestId('sync-synced')
      .waitFor({ state: 'visible', timeout: 30_000 });
    expect(await card.getByTestId('tag-chip').allTextContents()).toEqual(['半糖', '全糖']);
    type Group = { name: string; audience: string; sync: string; tags: { name: string; sync: string }[] };
    const { groups } = await getJson<{ groups: Group[] }>(admin, '/api/v1/tags');
    expect(groups.find((g) => g.name === 'E2E 甜度')).toMatchObject({
      audience: 'front_line',
      sync: 'synced',
      tags: [
        { name: '半糖', sync: 'synced' },
        { name: '全糖', sync: 'synced' },
      ],
    });

    // 自动打标签: the demo's rules, each with the customers it tagged, as the API counts them.
    await adminPage.getByRole('tab', { name: '自动打标签' }).click();
    const { rules } = await getJson<{ rules: { name: string; customersTagged: number }[] }>(
      admin,
      '/api/v1/tag-rules',
    );
    const top = rules.reduce((a, b) => (b.customersTagged > a.customersTagged ? b : a));
    expect(top.customersTagged).toBeGreaterThan(0);
    const row = adminPage.getByTestId('tag-rules').locator('tr').filter({ hasText: top.name });
    await expect
      .poll(async () => ((await row.textContent()) ?? '').replace(/,/g, ''), { timeout: 15_000 })
      .toContain(String(top.customersTagged));
    await adminPage.screenshot({ path: join(resultsDir, 'e2e-tag-rules.png'), fullPage: true });

    // 企业微信: what the simulator lets one try is what exists (no 群发 yet).
    await adminPage.goto('/wecom');
    await adminPage.getByText('当前连接的是 Siyu 自带的企业微信模拟器').waitFor({ timeout: 15_000 });
    expect((await adminPage.locator('main').textContent()) ?? '').not.toContain('群发');
    await adminPage.close();

    // The store manager follows customers too: she sees the front-line groups (the new one included) beside
    // those for everyone and for ops, not HQ's own (招商线索), and edits none.
    await page.goto('/tags');
    await page.getByTestId('tag-group').first().waitFor({ state: 'visible', timeout: 15_000 });
    const names = await page.getByTestId('tag-group').locator('.ant-card-head strong').allTextContents();
    expect(names).toEqual(expect.arrayContaining(['所属区域', '口味偏好', '消费等级', 'E2E 甜度']));
    expect(names).not.toContain('招商线索');
    expect(await page.getByTestId('new-group').count()).toBe(0);
    await page.screenshot({ path: join(resultsDir, 'e2e-tags-store-manager.png'), fullPage: true });
  });

  test('订单导入: she checks a file (a dry run that writes nothing), imports it, and only her store’s good order lands', async (ctx) => {
    onFailure(ctx, 'order-import');
    const file = join(resultsDir, 'e2e-orders.csv');
    writeFileSync(
      file,
      [
        '\uFEFF订单号,门店编码,渠道,下单时间,商品编码,商品名称,数量,单价(元),实付金额(元)',
        'E2E-1,sh-jingan,POS,2026-06-01 10:00,D01,杨枝甘露,2,18.5,37',
        'E2E-1,,,,D09,椰果,1,2,',
        'E2E-2,sz-nanshan,POS,2026-06-01 10:00,D01,杨枝甘露,1,18.5,18.5',
        'E2E-3,sh-jingan,POS,2026-06-01 10:00,D01,杨枝甘露,1,18.555,18.5',
      ].join('\r\n'),
    );
    await page.goto('/order-import');
    await page.getByTestId('import-upload').locator('input[type=file]').setInputFiles(file);
    const preview = page.getByTestId('import-preview');
    await preview.waitFor({ state: 'visible', timeout: 30_000 });
    expect(await page.getByTestId('count-would-create').textContent()).toContain('1');
    expect(await page.getByTestId('count-invalid').textContent()).toContain('2');
    const problems = (await page.getByTestId('import-preview-errors').textContent()) ?? '';
    expect(problems).toContain('不在你的管辖范围内');
    expect(problems).toContain('两位小数');
    const before = await getJson<{ items: { id: number }[] }>(page.request, '/api/v1/order-imports');
    expect(before.items).toEqual([]);
    await page.screenshot({ path: join(resultsDir, 'e2e-order-import-preview.png'), fullPage: true });

    await page.getByTestId('import-start').click();
    const result = page.getByTestId('import-result');
    await result.waitFor({ state: 'visible', timeout: 60_000 });
    const [job] = (
      await getJson<{ items: { id: number; status: string; created: number; invalid: number }[] }>(
        page.request,
        '/api/v1/order-imports',
      )
    ).items;
    expect(job).toMatchObject({ status: 'done', created: 1, invalid: 2 });
    expect(await page.getByTestId('import-result-errors').locator('tbody tr.ant-table-row').count()).toBe(2);
    const report = await page.request.get(`/api/v1/order-imports/${job!.id}/errors.csv`);
    expect(await report.text()).toContain('5,单价(元),E2E-3');
    await page.screenshot({ path: join(resultsDir, 'e2e-order-import-result.png'), fullPage: true });
  });

  test('超级用户: her store’s super users as the API lists them, key dates first; one opens a profile whose 客户价值 card agrees', async (ctx) => {
    onFailure(ctx, 'super-users');
    interface SuperUser {
      id: number;
      name: string;
      paidFen: number;
      rfm: { r: number; f: number; m: number };
      upcoming: boolean;
      keyDates: { inDays: number }[];
    }
    await page.goto('/super-users?days=90');
    const listed = await getJson<{ items: SuperUser[]; total: number; upcoming: number }>(
      page.request,
      '/api/v1/super-users?days=90',
    );
    // those with a key date in the window first, soonest first
    const upcoming = listed.items.filter((u) => u.upcoming);
    expect(listed.items.slice(0, upcoming.length)).toEqual(upcoming);
    const soonest = upcoming.map((u) => Math.min(...u.keyDates.map((k) => k.inDays)));
    expect(soonest).toEqual([...soonest].sort((a, b) => a - b));
    // every one of them is a customer of her store
    const own = new Set(visible.map((c) => c.id));
    for (const u of listed.items) expect(own.has(u.id), `${u.name} is not hers`).toBe(true);
    await expect
      .poll(() => page.getByTestId('super-users-total').textContent(), { timeout: 15_000 })
      .toContain(String(listed.total));
    if (listed.items.length === 0) {
      await page.getByText('范围内还没有超级用户').waitFor();
      return;
    }
    const rows = page.getByTestId('super-user-row');
    await rows.first().waitFor({ state: 'visible', timeout: 30_000 });
    expect(await page.getByTestId('super-user-name').allTextContents()).toEqual(
      listed.items.map((u) => u.name),
    );
    await page.screenshot({ path: join(resultsDir, 'e2e-super-users.png'), fullPage: true });

    const first = listed.items[0]!;
    await rows.first().click();
    await page.waitForURL((url) => url.pathname === `/customers/${first.id}`);
    const card = page.getByTestId('facts');
    await card.waitFor({ state: 'visible', timeout: 30_000 });
    const detail = await getJson<{ facts: { stage: string; paidFen: number } }>(
      page.request,
      `/api/v1/customers/${first.id}`,
    );
    expect(detail.facts).toMatchObject({ stage: 'super', paidFen: first.paidFen });
    await expect.poll(() => card.getByTestId('stage-tag').textContent()).toBe('超级用户');
    expect(await card.getByTestId('rfm').textContent()).toBe(`R${first.rfm.r}F${first.rfm.f}M${first.rfm.m}`);
  });

  test('企业微信 shows the HQ admin what the latest full sync recovered of the adds whose callbacks were missed', async (ctx) => {
    onFailure(ctx, 'wecom');
    const adminPage = await adminContext.newPage();
    ctx.onTestFailed(async () => {
      await adminPage
        .screenshot({ path: join(resultsDir, 'e2e-failure-wecom-admin.png'), fullPage: true })
        .catch(() => {});
    });
    const { sync } = await getJson<{ sync: { counts: Record<string, number> } }>(
      adminContext.request,
      '/api/v1/wecom/status',
    );
    expect(sync.counts.addsRecovered).toBeGreaterThan(0);
    expect(sync.counts.channelAddsRecovered).toBeGreaterThan(0);
    await adminPage.goto('/wecom');
    const counts = adminPage.getByTestId('wecom-sync-counts');
    await counts.waitFor({ state: 'visible', timeout: 30_000 });
    const statistic = (label: string) =>
      counts.locator('.ant-statistic').filter({ hasText: label }).locator('.ant-statistic-content');
    await expect
      .poll(() => statistic('补回的添加').textContent(), { timeout: 15_000 })
      .toBe(String(sync.counts.addsRecovered));
    expect(await statistic('其中归因到渠道').textContent()).toBe(String(sync.counts.channelAddsRecovered));
    await adminPage.screenshot({ path: join(resultsDir, 'e2e-wecom.png'), fullPage: true });
  });

  test('at 1280 wide the customer list shows her total, 导出 with both formats and 批量打标签 for a selection or the whole filter', async (ctx) => {
    onFailure(ctx, 'list-tools');
    await page.setViewportSize({ width: 1280, height: 800 });
    const { total } = await getJson<{ total: number }>(page.request, '/api/v1/customers?limit=1');
    expect(total).toBe(visible.length);
    await page.goto('/customers');
    const rows = page.getByTestId('customer-row');
    await rows.first().waitFor({ state: 'visible', timeout: 30_000 });
    await expect
      .poll(async () => ((await page.getByTestId('customer-total').textContent()) ?? '').replace(/\D/g, ''))
      .toBe(String(total));
    for (const id of ['customer-total', 'customer-export', 'bulk-tags']) {
      await expect.poll(() => page.getByTestId(id).isVisible(), { message: id }).toBe(true);
    }
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);

    await page.getByTestId('customer-export').click();
    for (const name of ['导出 Excel', '导出 CSV']) {
      await page.getByRole('menuitem', { name }).waitFor({ state: 'visible' });
    }
    await page.keyboard.press('Escape');

    // the page's rows picked at once by the header's checkbox
    await page.locator('.ant-table-thead .ant-checkbox-input').check();
    const onPage = await rows.count();
    expect(await page.getByTestId('customer-selected').textContent()).toContain(String(onPage));
    await page.getByTestId('bulk-tags').click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor({ state: 'visible' });
    expect(await dialog.textContent()).toContain(`选中的 ${onPage} 位客户`);
    expect(await dialog.textContent()).toContain(`当前筛选条件下的全部 ${total} 位客户`);
    await page.screenshot({ path: join(resultsDir, 'e2e-customers-bulk-tags.png') });
    await dialog
      .locator('.ant-modal-footer')
      .getByRole('button', { name: /关\s*闭/ })
      .click();
    await dialog.waitFor({ state: 'hidden' });
    await page.setViewportSize({ width: 1366, height: 900 });
  });

  test('at 390×844 she sees the total, tags two customers in bulk, exports the list and pages a segment’s members', async (ctx) => {
    const mobile = await browser.newContext({
      baseURL: server.baseUrl,
      locale: 'zh-CN',
      viewport: { width: 390, height: 844 },
      acceptDownloads: true,
    });
    mobile.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
    });
    const phone = await mobile.newPage();
    ctx.onTestFailed(async () => {
      failed = true;
      await phone
        .screenshot({ path: join(resultsDir, 'e2e-failure-mobile.png'), fullPage: true })
        .catch(() => {});
    });
    const login = await mobile.request.post('/api/v1/auth/login', {
      data: { login: STORE_MANAGER, password: PASSWORD },
    });
    expect(login.status(), await login.text()).toBe(200);
    const { total } = await getJson<{ total: number }>(mobile.request, '/api/v1/customers?limit=1');
    expect(total).toBe(visible.length);

    await phone.goto('/customers');
    const rows = phone.getByTestId('customer-row');
    await rows.first().waitFor({ state: 'visible', timeout: 30_000 });
    await expect
      .poll(async () => ((await phone.getByTestId('customer-total').textContent()) ?? '').replace(/\D/g, ''))
      .toBe(String(total));
    const pageWidth = await phone.evaluate(() => document.documentElement.scrollWidth);
    expect(pageWidth).toBeLessThanOrEqual(390);

    // a card per customer; two picked by their checkboxes (the card itself would open the profile)
    const picked = (
      await rows.evaluateAll((trs) => trs.slice(0, 2).map((tr) => tr.getAttribute('data-row-key')))
    ).map(Number);
    for (const i of [0, 1]) await rows.nth(i).locator('.ant-checkbox-input').check();
    // a tap that misses the box but lands in its cell stays on the list too
    await rows
      .nth(2)
      .locator('.row-select')
      .click({ position: { x: 3, y: 3 } });
    expect(new URL(phone.url()).pathname).toBe('/customers');
    expect(await phone.getByTestId('customer-selected').textContent()).toContain('2');
    await phone.screenshot({ path: join(resultsDir, 'e2e-mobile-customers.png'), fullPage: true });

    const { groups } = await getJson<{ groups: { tags: { id: number; name: string }[] }[] }>(
      mobile.request,
      '/api/v1/tags',
    );
    const tag = groups.flatMap((g) => g.tags)[0]!;
    await phone.getByTestId('bulk-tags').click();
    // the dialog zooms in: a picker opened meanwhile measures its list on a half-size box
    await expect
      .poll(() => phone.locator('.ant-modal').first().getAttribute('class'), { timeout: 10_000 })
      .not.toMatch(/zoom/);
    await phone.getByTestId('bulk-tags-add').click();
    await phone.keyboard.type(tag.name);
    await phone
      .locator(
        `.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option[title="${tag.name}"]`,
      )
      .click();
    await phone.keyboard.press('Escape');
    await phone.screenshot({ path: join(resultsDir, 'e2e-mobile-bulk-tags.png'), fullPage: true });
    await phone.getByTestId('bulk-tags-apply').click();
    await phone.locator('.ant-message-success').waitFor({ state: 'visible', timeout: 30_000 });
    for (const id of picked) {
      const detail = await getJson<{ tags: { id: number }[] }>(mobile.request, `/api/v1/customers/${id}`);
      expect(detail.tags.map((t) => t.id)).toContain(tag.id);
    }

    // the list as CSV: every customer of her scope, phones masked
    await phone.getByTestId('customer-export').click();
    const [download] = await Promise.all([
      phone.waitForEvent('download'),
      phone.getByRole('menuitem', { name: '导出 CSV' }).click(),
    ]);
    const file = readFileSync(await download.path());
    expect([...file.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = file.toString('utf8');
    expect(text.trim().split('\r\n')).toHaveLength(total + 1);
    expect(text).not.toMatch(/(?<!\d)1\d{10}(?!\d)/);

    // a segment HQ made, its members in her scope a page at a time
    const { items: segments } = await getJson<{ items: { id: number; count: number }[] }>(
      mobile.request,
      '/api/v1/segments',
    );
    const segment = segments.reduce((a, b) => (b.count > a.count ? b : a));
    expect(segment.count).toBeGreaterThan(0);
    await phone.goto(`/segments/${segment.id}`);
    const members = phone.getByTestId('segment-member');
    await expect.poll(() => members.count(), { timeout: 30_000 }).toBe(Math.min(20, segment.count));
    if (segment.count > 20) {
      const firstPage = await members.first().textContent();
      await phone
        .getByTestId('segment-members')
        .getByRole('button', { name: /下一页/ })
        .click();
      await expect.poll(() => members.first().textContent()).not.toBe(firstPage);
    }
    await phone.getByTestId('segment-members').scrollIntoViewIfNeeded();
    await phone.screenshot({ path: join(resultsDir, 'e2e-mobile-segment.png'), fullPage: true });

    // no side menu takes the phone's width: it opens as a drawer from the header and closes on a choice
    expect(await phone.locator('.ant-layout-sider').count()).toBe(0);
    await phone.getByTestId('menu-toggle').click();
    const drawer = phone.getByRole('dialog');
    await drawer.waitFor({ state: 'visible' });
    await phone.screenshot({ path: join(resultsDir, 'e2e-mobile-menu.png') });
    await drawer.getByRole('link', { name: '待办' }).click();
    await phone.waitForURL((url) => url.pathname === '/tasks');
    await drawer.waitFor({ state: 'hidden' });
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    // the tag groups' grid no longer asks for 400 px a column
    await phone.goto('/tags');
    await phone.locator('.tag-groups .ant-card').first().waitFor({ state: 'visible', timeout: 30_000 });
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    // lists become cards: her channels (each with its codes folded under 展开详情), her staff, HQ's journeys
    // and layerings she follows
    for (const [path, list] of [
      ['/channels', 'channels-table'],
      ['/staff', 'staff-table'],
      ['/journeys', 'journey-list'],
      ['/layers', 'layerings-table'],
    ] as const) {
      await phone.goto(path);
      const cards = phone.getByTestId(list).locator('.responsive-card');
      await cards.first().waitFor({ state: 'visible', timeout: 30_000 });
      expect(await phone.getByTestId(list).locator('.ant-table').count()).toBe(0);
      expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    }
    await phone.goto('/channels');
    const channel = phone.getByTestId('channels-table').locator('.responsive-card').first();
    await channel.getByText('展开详情').click();
    await channel.getByTestId('channel-codes').waitFor({ state: 'visible', timeout: 30_000 });
    await phone.screenshot({ path: join(resultsDir, 'e2e-mobile-channels.png'), fullPage: true });
    await mobile.close();
  });

  test('the HQ admin’s 审计日志 lists what people did: the demo’s days, and her export and bulk change just now', async (ctx) => {
    onFailure(ctx, 'audit');
    interface Entry {
      action: string;
      username: string | null;
      details: Record<string, unknown>;
    }
    const { items } = await getJson<{ items: Entry[] }>(adminContext.request, '/api/v1/audit?limit=30');
    // what the demo's people did while it was built
    expect(items.some((e) => e.username === 'wangfang' && e.action === 'customers.phone_search')).toBe(true);
    expect(items.some((e) => e.username === 'admin' && e.action === 'segments.export')).toBe(true);
    // and what the store manager did on her phone, newest first
    expect(items[0]).toMatchObject({
      username: 'sh-jingan',
      action: 'customers.export',
      details: { format: 'csv' },
    });
    expect(items.some((e) => e.username === 'sh-jingan' && e.action === 'customers.bulk_tags')).toBe(true);

    const adminPage = await adminContext.newPage();
    await adminPage.goto('/audit');
    const rows = adminPage.getByTestId('audit-row');
    await rows.first().waitFor({ state: 'visible', timeout: 30_000 });
    expect(await rows.count()).toBe(items.length);
    const newest = (await rows.first().textContent()) ?? '';
    for (const text of ['门店店长', OWN_STORE, '导出客户列表', 'CSV']) expect(newest).toContain(text);
    await adminPage.screenshot({ path: join(resultsDir, 'e2e-audit-log.png'), fullPage: true });
    await adminPage.close();
  });

  test('at 390×844 her 工作台 and 经营分析 show her store only, with believable figures, and export', async (ctx) => {
    const mobile = await browser.newContext({
      baseURL: server.baseUrl,
      locale: 'zh-CN',
      viewport: { width: 390, height: 844 },
      acceptDownloads: true,
    });
    mobile.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
    });
    const phone = await mobile.newPage();
    ctx.onTestFailed(async () => {
      failed = true;
      await phone
        .screenshot({ path: join(resultsDir, 'e2e-failure-insight.png'), fullPage: true })
        .catch(() => {});
    });
    const login = await mobile.request.post('/api/v1/auth/login', {
      data: { login: STORE_MANAGER, password: PASSWORD },
    });
    expect(login.status(), await login.text()).toBe(200);
    // the demo's rollups are built: a month of orders, customers in stages, figures of her store only
    type Gmv = { rows: { key: string; current: { customers: number; gmvFen: number } }[] };
    const home = await getJson<{
      customers: number;
      stages: Record<string, number>;
      gmv: { total: { current: { gmvFen: number } } };
    }>(mobile.request, '/api/v1/insight/home');
    expect(home.customers).toBeGreaterThan(0);
    expect(Object.values(home.stages).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    const month = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 7);
    const last = new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)) - 2, 1))
      .toISOString()
      .slice(0, 7);
    const byStore = await getJson<Gmv>(mobile.request, `/api/v1/insight/gmv?month=${last}&by=store`);
    expect(byStore.rows.map((r) => r.key)).toEqual([String(me.account.unitId)]);
    expect(byStore.rows[0]!.current.gmvFen).toBeGreaterThan(0);
    const forbidden = await mobile.request.get('/api/v1/insight/home?unitId=1');
    expect(forbidden.status()).toBe(403);

    await phone.goto('/home');
    await phone.getByTestId('home').waitFor({ state: 'visible', timeout: 30_000 });
    await phone
      .getByTestId('gmv-waterfall')
      .locator('canvas')
      .first()
      .waitFor({ state: 'visible', timeout: 30_000 });
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await phone.screenshot({ path: join(resultsDir, 'e2e-mobile-home.png'), fullPage: true });

    await phone.goto('/insight?tab=gmv');
    await phone.getByTestId('gmv-definitions').waitFor({ state: 'visible', timeout: 30_000 });
    expect(await phone.getByTestId('gmv-definitions').textContent()).toContain(
      'GMV = 私域客户数 × 转化率 × 复购次数 × 客单价',
    );
    await phone
      .getByTestId('gmv-table')
      .locator('.responsive-card')
      .first()
      .waitFor({ state: 'visible', timeout: 30_000 });
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await phone.screenshot({ path: join(resultsDir, 'e2e-mobile-insight-gmv.png'), fullPage: true });
    await phone.getByTestId('gmv-export').click();
    const [download] = await Promise.all([
      phone.waitForEvent('download'),
      phone.getByRole('menuitem', { name: '导出 CSV' }).click(),
    ]);
    const text = readFileSync(await download.path()).toString('utf8');
    expect(text).toContain('私域客户数');

    await phone.goto('/insight?tab=funnel');
    await phone
      .getByTestId('funnel-table')
      .locator('.responsive-card')
      .first()
      .waitFor({ state: 'visible', timeout: 30_000 });
    await phone
      .getByTestId('cohort-table')
      .locator('.responsive-card')
      .first()
      .waitFor({ state: 'visible', timeout: 30_000 });
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await phone.screenshot({ path: join(resultsDir, 'e2e-mobile-insight-funnel.png'), fullPage: true });
    await mobile.close();
  });

  test('no page broke the Content-Security-Policy', () => {
    expect(cspViolations).toEqual([]);
  });

  test('the server stops cleanly on SIGTERM', async (ctx) => {
    onFailure(ctx, 'shutdown');
    await browser.close();
    const exit = await server.stop();
    expect(exit).toEqual({ code: 0, signal: null, killed: false });
  });
});
