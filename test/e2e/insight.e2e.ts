import { mkdirSync, readFileSync } from 'node:fs';
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

// 经营杠杆 on the demo brand (禾木茶饮): CAC and ROI (a spend entered updates the table), the four-force
// scorecard, pilots (one created, the demo's running pilot's effect shown), the product ladder; and a store
// manager reading her scorecard on a phone (390×844) without sideways scrolling.

const STORE_MANAGER = 'sh-jingan@demo';
const PHONE = { width: 390, height: 844 };

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(resultsDir, `e2e-insight-${name}.png`), fullPage: true });
const dropdown = '.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option';

describe('console: 经营杠杆 on the demo brand', () => {
  let server: SiyuServer;
  let browser: Browser;
  let admin: BrowserContext;
  let page: Page;
  let failed = false;

  beforeAll(async () => {
    mkdirSync(resultsDir, { recursive: true });
    server = await demoServer('e2e-insight');
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
        .screenshot({ path: join(resultsDir, `e2e-insight-failure-${step}.png`), fullPage: true })
        .catch(() => {});
    });
  }

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
    if (failed && server) console.error(`--- siyu start output (tail) ---\n${tail(server.output(), 40)}`);
  });

  test('CAC 与 ROI: the window is stated, the demo spend is there, and a spend entered shows in the table', async (ctx) => {
    onFailure(ctx, 'roi');
    await page.goto('/levers?tab=roi');
    expect(await page.getByTestId('roi-window').textContent()).toContain('归因窗口');
    const rows = page.getByTestId('roi-table').locator('tbody tr.ant-table-row');
    await rows.first().waitFor({ state: 'visible', timeout: 30_000 });
    const before = await page.getByTestId('spend-table').locator('tbody tr.ant-table-row').count();

    await page.getByTestId('spend-add').click();
    // the targets load after the dialog opens: pick until the Select shows the choice
    for (let i = 0; i < 5; i++) {
      await page.getByTestId('spend-target').click();
      await page.locator(dropdown).first().click();
      const chosen = page.locator('[data-testid="spend-target"] .ant-select-selection-item');
      if (await chosen.isVisible()) break;
    }
    await page
      .locator('input[data-testid="spend-amount"], [data-testid="spend-amount"] input')
      .first()
      .fill('4321');
    await page.getByTestId('spend-save').click();
    await page.getByText('已录入花费').first().waitFor({ timeout: 15_000 });
    await page.getByTestId('roi-table').getByText('¥4,321').first().waitFor({ timeout: 15_000 });
    // the entry is listed (the table may be a full page of the demo's entries already)
    await page.getByTestId('spend-table').getByText('¥4,321').first().waitFor({ timeout: 15_000 });
    expect(
      await page.getByTestId('spend-table').locator('tbody tr.ant-table-row').count(),
    ).toBeGreaterThanOrEqual(before);
    await shot(page, 'roi');
  });

  test('四力评分: every store with its four forces, their product and the weakest highlighted', async (ctx) => {
    onFailure(ctx, 'scorecard');
    await page.goto('/levers?tab=scorecard');
    const cards = page.getByTestId('scorecard-unit');
    await cards.first().waitFor({ state: 'visible', timeout: 30_000 });
    expect(await cards.count()).toBeGreaterThan(1);
    const text = (await cards.first().textContent()) ?? '';
    for (const force of ['组织力', '运营力', '商品力', '产品力', '四力之积']) expect(text).toContain(force);
    expect(await page.getByTestId('scorecard-weakest').count()).toBeGreaterThan(0);
    await page.getByTestId('scorecard-definitions').getByText('指标、公式与权重').click();
    await page
      .getByTestId('scorecard-definitions')
      .getByText('权重 50%')
      .first()
      .waitFor({ timeout: 10_000 });
    await shot(page, 'scorecard');
  });

  test('试点: the running pilot shows its effect with intervals, and a new pilot is created', async (ctx) => {
    onFailure(ctx, 'pilots');
    await page.goto('/levers?tab=pilots');
    await page.getByTestId('pilot-item').first().waitFor({ state: 'visible', timeout: 30_000 });
    await page.getByTestId('did-gmvFen').waitFor({ state: 'visible', timeout: 30_000 });
    expect(await page.getByTestId('pilot-effect').textContent()).toContain('95% 置信区间');
    const verdicts = await page.getByTestId('did-verdict').allTextContents();
    expect(verdicts.length).toBe(5);
    for (const v of verdicts) expect(['显著', '尚不显著']).toContain(v);

    const count = await page.getByTestId('pilot-item').count();
    await page.getByTestId('pilot-add').click();
    await page.getByTestId('pilot-name').fill('e2e 门店联动试点');
    await page.getByTestId('pilot-units').click();
    await page.locator(dropdown).first().click();
    await page.keyboard.press('Escape');
    await page.getByTestId('pilot-starts').fill('2026-11-01');
    await page.getByTestId('pilot-note').fill('下单后 2 小时内由门店店员跟进');
    await page.getByTestId('pilot-save').click();
    await page.getByText('已创建试点「e2e 门店联动试点」').waitFor({ timeout: 15_000 });
    await page.getByTestId('pilot-item').nth(count).waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('pilot-effect').textContent()).toContain('e2e 门店联动试点');
    await shot(page, 'pilots');
  });

  test('商品阶梯: products with their roles, cohorts up the ladder, and the next product by stage', async (ctx) => {
    onFailure(ctx, 'ladder');
    await page.goto('/levers?tab=ladder');
    const rows = page.getByTestId('product-table').locator('tbody tr.ant-table-row');
    await rows.first().waitFor({ state: 'visible', timeout: 30_000 });
    expect(await rows.count()).toBeGreaterThan(5);
    await page
      .getByTestId('ladder-cohorts')
      .locator('tbody tr.ant-table-row')
      .first()
      .waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('ladder-recommendations').textContent()).toContain('引流品');
    await rows.first().locator('button').first().click();
    await page.getByTestId('product-page').waitFor({ state: 'visible', timeout: 15_000 });
    await shot(page, 'ladder');
  });

  test('point 9: a figure drills down to its customers and saves them as a segment; the tables export', async (ctx) => {
    onFailure(ctx, 'drill');
    await page.goto('/levers?tab=roi');
    // the demo's channels have new customers (the history's printed codes count for them)
    const drill = page.getByTestId('roi-drill').first();
    await drill.waitFor({ state: 'visible', timeout: 30_000 });
    await drill.click();
    const list = page.getByTestId('insight-drill');
    await list.locator('.ant-list-item').first().waitFor({ state: 'visible', timeout: 15_000 });
    await page.getByTestId('insight-drill-segment').click();
    await page.waitForURL((url) => url.pathname === '/segments/new', { timeout: 15_000 });
    const name = page.locator('#segment-name');
    await name.waitFor({ state: 'visible', timeout: 15_000 });
    expect(await name.inputValue()).toMatch(/\d{4}-\d{2}$/);
    // the builder starts from the figure's rule: the channel and month the customers were acquired in
    await page.getByText('获客渠道').first().waitFor({ timeout: 15_000 });
    await page.getByText('获客月份').first().waitFor({ timeout: 15_000 });
    await shot(page, 'drill-segment');

    await page.goto('/levers?tab=roi');
    await page
      .getByTestId('roi-table')
      .locator('tbody tr.ant-table-row')
      .first()
      .waitFor({ timeout: 30_000 });
    await page.getByTestId('roi-export').click();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('menuitem', { name: '导出 CSV' }).click(),
    ]);
    expect(readFileSync(await download.path()).toString('utf8')).toContain('获客成本(元)');

    await page.goto('/levers?tab=ladder');
    const flagged = page.getByTestId('product-drill-D10');
    await flagged.waitFor({ state: 'visible', timeout: 30_000 });
    await flagged.click();
    await list.locator('.ant-list-item').first().waitFor({ state: 'visible', timeout: 15_000 });
    await page.keyboard.press('Escape');
    await page.getByTestId('products-export').click();
    const [products] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('menuitem', { name: '导出 CSV' }).click(),
    ]);
    // the 芋泥波波 is flagged: its buyers complain more (the demo's 投诉 tags)
    const row = readFileSync(await products.path())
      .toString('utf8')
      .split('\r\n')
      .find((l) => l.startsWith('D10,'));
    expect(row).toContain('complaints');
  });

  test('a store manager reads her scorecard at 390×844 without sideways scrolling', async (ctx) => {
    const phone = await browser.newContext({
      baseURL: server.baseUrl,
      locale: 'zh-CN',
      viewport: PHONE,
      isMobile: true,
      hasTouch: true,
    });
    const p = await phone.newPage();
    onFailure(ctx, 'phone-scorecard', () => p);
    await signIn(p, STORE_MANAGER);
    await p.goto('/levers');
    const cards = p.getByTestId('scorecard-unit');
    await cards.first().waitFor({ state: 'visible', timeout: 30_000 });
    expect(await cards.count()).toBe(1);
    expect(await cards.first().textContent()).toContain('上海静安店');
    const width = await p.evaluate(() => document.scrollingElement?.scrollWidth ?? 0);
    expect(width, 'horizontal scroll on a 390 px screen').toBeLessThanOrEqual(PHONE.width);
    await shot(p, 'phone-scorecard');
    await phone.close();
  });
});
