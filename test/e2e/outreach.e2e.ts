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

// The outreach pages of the demo brand (禾木茶饮): 素材库, 群发, 待办 and 客户旅程. Each shows the demo's data
// and does one real thing: a content item is created, a mass send is planned (audience and touch budget) and
// scheduled, a member completes a task, a journey is opened with its live counts and dry-run on one customer.
// 群发 and 待办 are also used on a phone (390×844) without sideways scrolling. A 客户群 send is composed and
// its per-group results seen; the demo's weekly 会员日 shows its occurrences; 群统计 fits a phone.

const STAFF = 'wangfang@demo';
const PHONE = { width: 390, height: 844 };

/** The page scrolls no wider than the phone. */
async function expectNoSideScroll(page: Page) {
  const width = await page.evaluate(() => document.scrollingElement?.scrollWidth ?? 0);
  expect(width, 'horizontal scroll on a 390 px screen').toBeLessThanOrEqual(PHONE.width);
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(resultsDir, `e2e-outreach-${name}.png`), fullPage: true });

describe('console: 素材库, 群发, 待办 and 客户旅程 on the demo brand', () => {
  let server: SiyuServer;
  let browser: Browser;
  let admin: BrowserContext;
  let page: Page;
  let failed = false;

  beforeAll(async () => {
    mkdirSync(resultsDir, { recursive: true });
    server = await demoServer('e2e-outreach');
    browser = await launchChromium();
    admin = await browser.newContext({
      baseURL: server.baseUrl,
      locale: 'zh-CN',
      viewport: { width: 1366, height: 900 },
    });
    page = await admin.newPage();
    await signIn(page, ADMIN);
  }, 600_000);

  /** A phone (390×844) of its own, signed in as `login`. */
  async function phonePage(login: string): Promise<Page> {
    const phone = await browser.newContext({
      baseURL: server.baseUrl,
      locale: 'zh-CN',
      viewport: PHONE,
      isMobile: true,
      hasTouch: true,
    });
    const p = await phone.newPage();
    await signIn(p, login);
    return p;
  }

  function onFailure(ctx: TestContext, step: string, p: () => Page = () => page) {
    ctx.onTestFailed(async () => {
      failed = true;
      await p()
        .screenshot({ path: join(resultsDir, `e2e-outreach-failure-${step}.png`), fullPage: true })
        .catch(() => {});
    });
  }

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
    if (failed && server) console.error(`--- siyu start output (tail) ---\n${tail(server.output(), 40)}`);
  });

  test('素材库: the library shows the demo items, and a new item is created', async (ctx) => {
    onFailure(ctx, 'content');
    await page.goto('/content');
    const cards = page.getByTestId('content-card');
    await cards.first().waitFor({ state: 'visible', timeout: 30_000 });
    expect(await cards.count()).toBeGreaterThan(3);

    await page.getByTestId('content-create').click();
    await page.getByTestId('content-title').fill('e2e 新品试饮邀请');
    await page
      .getByTestId('content-text')
      .fill('{{customer_name}}你好，新品杨枝甘露上市，到店报暗号「试饮」免费尝一杯～');
    await page.getByTestId('content-save').click();
    await page.getByText('已保存「e2e 新品试饮邀请」').waitFor({ timeout: 15_000 });
    const search = page.getByTestId('content-search').locator('input');
    await search.fill('e2e 新品');
    await search.press('Enter');
    await page
      .getByTestId('content-card')
      .filter({ hasText: 'e2e 新品试饮邀请' })
      .first()
      .waitFor({ timeout: 15_000 });
    await shot(page, 'content');
  });

  test('群发: the list shows the demo sends; a send to a segment is planned and scheduled', async (ctx) => {
    onFailure(ctx, 'mass-send');
    await page.goto('/mass-sends');
    const rows = page.locator('.ant-table-row');
    await rows.first().waitFor({ state: 'visible', timeout: 30_000 });
    expect(await rows.count()).toBeGreaterThan(0);

    await page.goto('/mass-sends/new');
    await page.getByTestId('mass-send-name').fill('e2e 周末新品群发');
    await page.getByTestId('mass-send-text').fill('周末新品第二杯半价，等你来～');
    await page.getByTestId('mass-send-segment').click();
    await page
      .locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option')
      .first()
      .click();
    // Tomorrow, 10:00 (brand time is the browser's here: both Shanghai in the demo's words)
    await page.getByText('定时发送').click();
    const tomorrow = new Date(Date.now() + 86_400_000 + 8 * 3_600_000).toISOString().slice(0, 10);
    const picker = page.locator('.ant-picker input');
    await picker.click();
    await picker.fill(`${tomorrow} 10:00`);
    await picker.press('Enter');

    await page.getByTestId('mass-send-plan-button').click();
    const plan = page.getByTestId('mass-send-plan');
    await plan.waitFor({ state: 'visible', timeout: 60_000 });
    const numbers = await plan.locator('.ant-statistic-content-value').allTextContents();
    const [total, receiving] = numbers.map((n) => Number(n.replace(/[^\d]/g, '')));
    expect(total).toBeGreaterThan(0);
    expect(receiving).toBeGreaterThan(0);
    expect(receiving).toBeLessThanOrEqual(total!);
    await shot(page, 'mass-send-plan');

    await page.getByTestId('mass-send-submit').click();
    await page.waitForURL((url) => /\/mass-sends\/\d+$/.test(url.pathname), { timeout: 60_000 });
    await page.getByText('e2e 周末新品群发').first().waitFor({ timeout: 15_000 });
    await page.getByText('待发送').first().waitFor({ timeout: 15_000 });
    await shot(page, 'mass-send-detail');
  });

  test('群发 on a phone: the list and the composer fit 390 px', async (ctx) => {
    const p = await phonePage(ADMIN);
    onFailure(ctx, 'mass-send-phone', () => p);
    await p.goto('/mass-sends');
    // the list is cards at 390 px, not a table
    await p.locator('.responsive-card').first().waitFor({ state: 'visible', timeout: 30_000 });
    await expectNoSideScroll(p);
    await shot(p, 'mass-sends-phone');
    await p.goto('/mass-sends/new');
    await p.getByTestId('mass-send-text').waitFor({ state: 'visible', timeout: 30_000 });
    await expectNoSideScroll(p);
    await shot(p, 'mass-send-composer-phone');
    await p.context().close();
  });

  test('客户群群发: a send to the welfare groups is planned with its count and created; its groups show their results', async (ctx) => {
    onFailure(ctx, 'group-send');
    await page.goto('/mass-sends/new');
    await page.getByTestId('mass-send-name').fill('e2e 福利群周末活动');
    await page.getByTestId('mass-send-target').getByText('客户群').click();
    await page.getByTestId('group-audience').waitFor({ state: 'visible', timeout: 15_000 });
    await page.getByTestId('mass-send-text').fill('周末到店第二杯半价～');
    // a group variable is put into the text, and the preview shows a sample group's name
    await page.locator('.ant-tag-checkable').filter({ hasText: '群名称' }).click();
    expect(await page.getByTestId('mass-send-text').inputValue()).toContain('{{group_name}}');
    await page.getByTestId('group-audience-types').click();
    await page
      .locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option')
      .filter({ hasText: '福利群' })
      .first()
      .click();
    await page.keyboard.press('Escape');
    await page.getByTestId('mass-send-plan-button').click();
    const plan = page.getByTestId('group-plan');
    await plan.waitFor({ state: 'visible', timeout: 60_000 });
    const [total, receiving] = (await plan.locator('.ant-statistic-content-value').allTextContents()).map(
      (n) => Number(n.replace(/[^\d]/g, '')),
    );
    expect(total).toBeGreaterThan(0);
    expect(receiving).toBeGreaterThan(0);
    await shot(page, 'group-send-plan');

    await page.getByTestId('mass-send-submit').click();
    await page.waitForURL((url) => /\/mass-sends\/\d+$/.test(url.pathname), { timeout: 60_000 });
    const groups = page.getByTestId('group-send-groups').locator('.ant-table-row');
    await groups.first().waitFor({ state: 'visible', timeout: 30_000 });
    expect(await groups.count()).toBe(receiving);
    await page
      .getByTestId('group-send-owners')
      .locator('.ant-table-row')
      .first()
      .waitFor({ timeout: 15_000 });
    await shot(page, 'group-send-detail');
  });

  test('客户群群发: the weekly 会员日 lists its Wednesdays, each with its groups sent or not', async (ctx) => {
    onFailure(ctx, 'group-series');
    await page.goto('/mass-sends');
    await page.getByRole('link', { name: '周三会员日' }).first().click();
    const occurrences = page.getByTestId('group-occurrences').locator('.ant-table-row');
    await occurrences.first().waitFor({ state: 'visible', timeout: 30_000 });
    await page.getByTestId('group-series').getByText('每周三 10:00').waitFor({ timeout: 15_000 });
    await shot(page, 'group-series');
    await occurrences.first().locator('a').first().click();
    const rows = page.getByTestId('group-send-groups').locator('.ant-table-row');
    await rows.first().waitFor({ state: 'visible', timeout: 30_000 });
    await page.getByTestId('group-send-groups').getByText('已发送').first().waitFor({ timeout: 15_000 });
    await shot(page, 'group-occurrence');
  });

  test('群统计 and a group send on a phone: the chart per store and the results fit 390 px', async (ctx) => {
    const p = await phonePage(ADMIN);
    onFailure(ctx, 'group-stats-phone', () => p);
    await p.goto('/groups?tab=stats');
    await p.getByTestId('group-stats-chart').locator('canvas').waitFor({ state: 'visible', timeout: 30_000 });
    await p.getByTestId('group-stats-stores').locator('.ant-table-row').first().waitFor({ timeout: 30_000 });
    await p.getByTestId('group-stats-metric').getByText('消息数').click();
    await expectNoSideScroll(p);
    await shot(p, 'group-stats-phone');
    await p.goto('/mass-sends');
    await p.getByRole('link', { name: '周三会员日' }).first().click();
    await p.getByTestId('group-occurrences').locator('.ant-table-row').first().waitFor({ timeout: 30_000 });
    await expectNoSideScroll(p);
    await shot(p, 'group-series-phone');
    await p.context().close();
  });

  test('待办: a member sees her tasks on a phone and completes one', async (ctx) => {
    const p = await phonePage(STAFF);
    onFailure(ctx, 'tasks-phone', () => p);
    await p.goto('/tasks/mine');
    const cards = p.getByTestId('task-card');
    await cards.first().waitFor({ state: 'visible', timeout: 30_000 });
    await expectNoSideScroll(p);
    await shot(p, 'tasks-phone');
    // A task that sends nothing (a script to send may have to wait for the customer's touch budget).
    const call = cards
      .filter({ hasNotText: '发送话术' })
      .filter({ has: p.getByTestId('task-complete') })
      .first();
    const title = (await call.getByTestId('task-title').textContent())!.trim();
    await call.getByTestId('task-complete').click();
    await p.getByTestId('task-dialog-text').fill('已电话沟通，客户周末到店');
    await p.locator('.ant-modal-footer .ant-btn-primary').click();
    await p.getByText('已标记完成').waitFor({ timeout: 15_000 });
    await p.getByTestId('task-filter').getByText('已完成').click();
    await p.getByTestId('task-card').filter({ hasText: title }).first().waitFor({ timeout: 15_000 });
    await expectNoSideScroll(p);
    await p.context().close();
  });

  test('待办 for the manager: completion rates per store', async (ctx) => {
    onFailure(ctx, 'tasks');
    await page.goto('/tasks');
    await page.locator('.ant-table-row').first().waitFor({ state: 'visible', timeout: 30_000 });
    await page.getByTestId('task-card').first().waitFor({ state: 'visible', timeout: 30_000 });
    await shot(page, 'tasks');
  });

  test('客户旅程: the demo journeys, one opened with its live counts and dry-run on a customer', async (ctx) => {
    onFailure(ctx, 'journeys');
    await page.goto('/journeys');
    const list = page.getByTestId('journey-list');
    const row = list.locator('.ant-table-row').filter({ hasText: '新客 7 天欢迎旅程' });
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    expect(await list.locator('.ant-table-row').count()).toBeGreaterThanOrEqual(3);
    await shot(page, 'journeys');

    await row.getByRole('link').click();
    await page.getByTestId('journey-canvas').waitFor({ state: 'visible', timeout: 30_000 });
    await expect.poll(() => page.getByTestId('journey-status').textContent()).toBe('运行中');
    // Every step of the welcome series is on the canvas with its counts; customers have entered the first.
    const first = page.getByTestId('journey-node-day0');
    await first.waitFor({ state: 'visible', timeout: 15_000 });
    const entered = await first.getByTestId('node-counts').locator('b').first().textContent();
    expect(Number(entered)).toBeGreaterThan(0);
    expect(await page.getByTestId('node-counts').count()).toBeGreaterThanOrEqual(5);

    await page.getByTestId('journey-dry-run').click();
    await page.getByTestId('dry-run-customer').click();
    await page
      .locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option')
      .first()
      .click();
    await page.getByTestId('dry-run-go').click();
    const path = page.getByTestId('dry-run-path');
    await path.waitFor({ state: 'visible', timeout: 30_000 });
    await expect.poll(() => path.locator('.ant-timeline-item').count()).toBeGreaterThanOrEqual(4);
    // The path is marked on the canvas: the first step is step 1.
    await expect.poll(() => first.locator('.journey-node-step').textContent()).toBe('1');
    await shot(page, 'journey-dry-run');
  });

  test('客户旅程 canvas: drag from one step’s handle to another connects them, and the saved graph has the edge', async (ctx) => {
    onFailure(ctx, 'journey-connect');
    // a draft with a send step whose way out leads nowhere yet
    const { csrfToken } = (await (await page.request.get('/api/v1/auth/me')).json()) as { csrfToken: string };
    const created = await page.request.post('/api/v1/journeys', {
      headers: { 'x-csrf-token': csrfToken },
      data: {
        name: '拖拽连线测试',
        graph: {
          trigger: { kind: 'first_order' },
          reentry: false,
          start: 'send1',
          nodes: [
            { id: 'send1', kind: 'send', text: '{{name}}，感谢你的第一单！', position: { x: 0, y: 0 } },
          ],
        },
      },
    });
    expect(created.status(), await created.text()).toBe(201);
    const { id } = (await created.json()) as { id: number };
    await page.goto(`/journeys/${id}`);
    await page.getByTestId('journey-canvas').waitFor({ state: 'visible', timeout: 30_000 });
    await page.getByTestId('journey-node-send1').waitFor({ state: 'visible', timeout: 15_000 });
    const edges = page.locator('.react-flow__edge');
    const before = await edges.count();

    // an end step from the toolbar, then its inspector closed (a click on the empty canvas)
    await page.getByRole('button', { name: '添加节点' }).hover();
    await page.locator('.ant-dropdown-menu-item').filter({ hasText: '结束' }).click();
    const exit = page.getByTestId('journey-node-exit1');
    await exit.waitFor({ state: 'visible', timeout: 15_000 });
    await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    // the inspector slides away before the view is fitted, and the fitted view has settled before the
    // handles are measured (fitView waits for the new step to be measured)
    await page.getByTestId('node-inspector').waitFor({ state: 'hidden', timeout: 15_000 });
    await page.locator('.react-flow__controls-fitview').click();
    const fromHandle = page.getByTestId('journey-node-send1').locator('.react-flow__handle.source');
    const toHandle = exit.locator('.react-flow__handle.target');
    const boxes = async () => JSON.stringify([await fromHandle.boundingBox(), await toHandle.boundingBox()]);
    let last = '';
    await expect
      .poll(async () => {
        const now = await boxes();
        const settled = now === last;
        last = now;
        return settled;
      })
      .toBe(true);
    const [from, to] = JSON.parse(last) as ({ x: number; y: number; width: number; height: number } | null)[];
    expect(from && to).toBeTruthy();

    // drag from the send step's handle (bottom) to the end step's (top)
    await page.mouse.move(from!.x + from!.width / 2, from!.y + from!.height / 2);
    await page.mouse.down();
    await page.mouse.move(to!.x + to!.width / 2, to!.y + to!.height / 2, { steps: 12 });
    await page.mouse.up();
    await expect.poll(() => edges.count()).toBe(before + 1);

    await page.getByTestId('journey-save').click();
    await expect.poll(() => page.getByTestId('journey-save').isDisabled()).toBe(true);
    const saved = (await (await page.request.get(`/api/v1/journeys/${id}`)).json()) as {
      graph: { nodes: { id: string; kind: string; next?: string }[] };
    };
    expect(saved.graph.nodes.map((n) => [n.id, n.kind, n.next])).toEqual([
      ['send1', 'send', 'exit1'],
      ['exit1', 'exit', undefined],
    ]);
    await shot(page, 'journey-connect');
  });

  test('客户旅程 on a phone: read it and pause it', async (ctx) => {
    const p = await phonePage(ADMIN);
    onFailure(ctx, 'journeys-phone', () => p);
    await p.goto('/journeys');
    // the list is cards at 390 px, not a table
    const row = p
      .getByTestId('journey-list')
      .locator('.responsive-card')
      .filter({ hasText: '新客 7 天欢迎旅程' });
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    await expectNoSideScroll(p);
    await row.getByRole('link').click();
    await p.getByTestId('journey-canvas').waitFor({ state: 'visible', timeout: 30_000 });
    await p.getByTestId('journey-node-day0').waitFor({ state: 'visible', timeout: 15_000 });
    await expectNoSideScroll(p);
    await shot(p, 'journey-phone');
    await p.getByTestId('journey-pause').click();
    await expect.poll(() => p.getByTestId('journey-status').textContent()).toBe('已暂停');
    await p.getByTestId('journey-resume').click();
    await expect.poll(() => p.getByTestId('journey-status').textContent()).toBe('运行中');
    await p.context().close();
  });
});
