import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, type TestContext, test } from 'vitest';
import {
  DEMO_ADMIN as ADMIN,
  demoServer,
  launchChromium,
  resultsDir,
  type SiyuServer,
  signIn,
  tail,
} from './harness.ts';

// 朋友圈 on the demo brand (禾木茶饮): HQ's month calendar coloured by axis, a post planned in the composer
// with its members chosen by persona, a published post's members with their publishing, likes and comments;
// and a store manager using the calendar, a post and the composer on a phone (390×844) without sideways
// scrolling.

const STORE_MANAGER = 'sh-jingan@demo';
const PHONE = { width: 390, height: 844 };

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(resultsDir, `e2e-moments-${name}.png`), fullPage: true });
const dropdown = '.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option';
const overflowX = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

type Post = { id: number; status: string; title: string; likes: number; unitName: string };
async function posts(page: Page): Promise<Post[]> {
  const from = new Date(Date.now() - 30 * 86_400_000).toISOString();
  const to = new Date(Date.now() + 25 * 86_400_000).toISOString();
  const res = await page.request.get(`/api/v1/moments?from=${from}&to=${to}`);
  expect(res.status()).toBe(200);
  return (await res.json()).items;
}

describe('console: 朋友圈 on the demo brand', () => {
  let server: SiyuServer;
  let browser: Browser;
  let admin: BrowserContext;
  let page: Page;
  let failed = false;

  beforeAll(async () => {
    mkdirSync(resultsDir, { recursive: true });
    server = await demoServer('e2e-moments');
    browser = await launchChromium();
    admin = await browser.newContext({
      baseURL: server.baseUrl,
      locale: 'zh-CN',
      viewport: { width: 1366, height: 900 },
    });
    page = await admin.newPage();
    await signIn(page, ADMIN);
  }, 600_000);

  function onFailure(ctx: TestContext, step: string, p: () => Page = () => page) {
    ctx.onTestFailed(async () => {
      failed = true;
      await p()
        .screenshot({ path: join(resultsDir, `e2e-moments-failure-${step}.png`), fullPage: true })
        .catch(() => {});
    });
  }

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
    if (failed && server) console.error(`--- siyu start output (tail) ---\n${tail(server.output(), 40)}`);
  });

  test('the month calendar shows the posts by axis; a published post shows each member’s publishing and counts', async (ctx) => {
    onFailure(ctx, 'calendar');
    await page.goto('/moments');
    await page.getByTestId('moments-calendar').waitFor({ state: 'visible', timeout: 30_000 });
    await page
      .locator('[data-testid^="moment-chip-"]')
      .first()
      .waitFor({ state: 'visible', timeout: 30_000 });
    expect(await page.locator('[data-testid^="moment-chip-"]').count()).toBeGreaterThan(3);
    await shot(page, 'calendar');

    const published = (await posts(page)).filter((p) => p.status === 'published');
    const liked = published.reduce((a, p) => (p.likes > a.likes ? p : a));
    await page.goto(`/moments/${liked.id}`);
    await page.getByTestId('moment-members').waitFor({ state: 'visible', timeout: 30_000 });
    expect(await page.getByTestId('moment-status').textContent()).toBe('已下发');
    expect(await page.getByTestId('moment-members').textContent()).toContain('已发表');
    expect(await page.getByTestId('moment-stat-likes').textContent()).toContain(String(liked.likes));
    await shot(page, 'post');
  });

  test('HQ plans a text post for the regional experts, chosen by persona', async (ctx) => {
    onFailure(ctx, 'compose');
    await page.goto('/moments');
    await page.getByTestId('moment-new').click();
    await page.getByTestId('moment-title').fill('专家答疑：秋冬怎么喝茶');
    await page.getByTestId('moment-body').fill('这周六下午，茶饮顾问在线答疑，欢迎留言提问。');
    await page.locator('.ant-drawer .ant-segmented-item', { hasText: '纯文字' }).click();
    await page.getByTestId('moment-persona').click();
    await page.locator(dropdown, { hasText: '专家' }).click();
    await page.keyboard.press('Escape');
    await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden)').waitFor({ state: 'hidden' });
    expect(await page.getByTestId('moment-persona').textContent()).toContain('专家');
    await page.getByTestId('moment-select-all').click();
    await page.getByTestId('moment-save').click();
    await page.waitForURL(/\/moments\/\d+$/, { timeout: 30_000 });
    expect(await page.getByTestId('moment-status').textContent()).toBe('待发布');
    expect(await page.getByTestId('moment-body-text').textContent()).toContain('茶饮顾问在线答疑');
    const made = (await posts(page)).find((p) => p.title === '专家答疑：秋冬怎么喝茶');
    expect(made?.status).toBe('planned');
  });

  test('a store manager uses 朋友圈 on a phone: cards, a post and the composer fit 390 px', async (ctx) => {
    const phone = await browser.newContext({
      baseURL: server.baseUrl,
      locale: 'zh-CN',
      viewport: PHONE,
      isMobile: true,
      hasTouch: true,
    });
    const p = await phone.newPage();
    onFailure(ctx, 'phone', () => p);
    try {
      await signIn(p, STORE_MANAGER);
      await p.goto('/moments');
      const list = p.getByTestId('moments-list');
      await list.waitFor({ state: 'visible', timeout: 30_000 });
      const own = await posts(p);
      expect(own.length).toBeGreaterThan(0);
      expect(new Set(own.map((x) => x.unitName))).toEqual(new Set(['上海静安店']));
      expect(await overflowX(p)).toBeLessThanOrEqual(0);
      await shot(p, 'phone-calendar');
      await p.goto(`/moments/${own[0]!.id}`);
      await p.getByTestId('moment-status').waitFor({ state: 'visible', timeout: 30_000 });
      expect(await overflowX(p)).toBeLessThanOrEqual(0);
      await shot(p, 'phone-post');
      await p.goto('/moments');
      await p.getByTestId('moment-new').click();
      const drawer = p.locator('.ant-drawer-content-wrapper');
      await drawer.waitFor({ state: 'visible' });
      const box = await drawer.boundingBox();
      // a layout box is fractional (390.0000057 once): whole pixels are what a phone shows
      expect(Math.round(box!.width)).toBeLessThanOrEqual(PHONE.width);
      await shot(p, 'phone-composer');
    } finally {
      await phone.close();
    }
  });
});
