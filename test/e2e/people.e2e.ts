import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, type TestContext, test } from 'vitest';
import {
  DEMO_ADMIN as ADMIN,
  demoServer,
  launchChromium,
  DEMO_PASSWORD as PASSWORD,
  resultsDir,
  type SiyuServer,
  signIn,
  tail,
} from './harness.ts';

// 人员与权限 on the demo brand (禾木茶饮): HQ creates a login and hands over a one-time link, whose
// /reset-password page (no session) sets a password that then signs in; a store manager on a phone
// (390×844) sees only her store's logins, cannot grant HQ or region roles, and disabling a login ends its
// session at once. HQ's export dialog offers full phone numbers with an audit notice; a store manager's not.

const STORE_MANAGER = 'sh-jingan@demo';
const OWN_STORE = '上海静安店';
const PHONE = { width: 390, height: 844 };

/** Picks an option of the antd Select under `testId` by its label. */
async function choose(page: Page, testId: string, label: string) {
  const select = page
    .getByTestId(testId)
    .locator(
      'xpath=ancestor-or-self::*[contains(concat(" ", normalize-space(@class), " "), " ant-select ")][1]',
    );
  // a form that is still settling (the unit list follows the role) may drop a first pick: pick until it shows
  for (let attempt = 0; attempt < 3; attempt++) {
    await page.getByTestId(testId).click();
    await page
      .locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: label })
      .first()
      .click();
    const shown = select.filter({ hasText: label });
    if (
      await shown.waitFor({ timeout: 5_000 }).then(
        () => true,
        () => false,
      )
    )
      return;
  }
  throw new Error(`${testId}: ${label} could not be chosen`);
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(resultsDir, `e2e-people-${name}.png`), fullPage: true });

describe('console: 人员与权限', () => {
  let server: SiyuServer;
  let browser: Browser;
  let admin: BrowserContext;
  let page: Page;
  let managerPage: Page;
  let failed = false;

  beforeAll(async () => {
    mkdirSync(resultsDir, { recursive: true });
    server = await demoServer('e2e-people');
    browser = await launchChromium();
    admin = await browser.newContext({
      baseURL: server.baseUrl,
      locale: 'zh-CN',
      viewport: { width: 1366, height: 900 },
    });
    page = await admin.newPage();
    await signIn(page, ADMIN);
  }, 600_000);

  function newContext(phone = false) {
    return browser.newContext({
      baseURL: server.baseUrl,
      locale: 'zh-CN',
      ...(phone
        ? { viewport: PHONE, isMobile: true, hasTouch: true }
        : { viewport: { width: 1366, height: 900 } }),
    });
  }

  function onFailure(ctx: TestContext, step: string, p: () => Page = () => page) {
    ctx.onTestFailed(async () => {
      failed = true;
      await p()
        .screenshot({ path: join(resultsDir, `e2e-people-failure-${step}.png`), fullPage: true })
        .catch(() => {});
    });
  }

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
    if (failed && server) console.error(`--- siyu start output (tail) ---\n${tail(server.output(), 40)}`);
  });

  test('HQ creates a login with a one-time link; the link sets a password, once, and the login signs in', async (ctx) => {
    onFailure(ctx, 'create');
    await page.goto('/people');
    await page.getByTestId('people-row').first().waitFor({ timeout: 30_000 });
    // the demo brand's people: managers of every store and their staff, two of them disabled
    expect(await page.getByTestId('people-row').count()).toBeGreaterThan(15);
    await page.getByTestId('people-row').filter({ hasText: '刘洋' }).getByText('已停用').waitFor();

    await page.getByTestId('people-create').click();
    await page.getByTestId('people-display-name').fill('e2e 店长助理');
    await page.getByTestId('people-username').fill('e2e-deputy');
    await choose(page, 'people-unit-select', OWN_STORE);
    await page.getByTestId('people-save').click();
    const linkText = await page.getByTestId('people-shown-link').textContent({ timeout: 15_000 });
    expect(await page.getByTestId('people-shown-login').textContent()).toBe('e2e-deputy@demo');
    const link = new URL((linkText ?? '').trim());
    expect(link.pathname).toBe('/reset-password');
    expect(link.hash.length).toBeGreaterThan(20);
    await shot(page, 'link');
    await page.getByTestId('people-shown-done').click();
    await page.getByTestId('people-row').filter({ hasText: 'e2e-deputy@demo' }).waitFor({ timeout: 15_000 });

    // the link, opened with no session
    const stranger = await newContext(true);
    const p = await stranger.newPage();
    await p.goto(link.pathname + link.hash);
    await p.locator('#new-password').fill('short');
    await p.locator('#confirm-password').fill('short');
    await p.getByTestId('reset-submit').click();
    await p.getByText('密码至少 8 位').first().waitFor();
    await p.locator('#new-password').fill('Tea-house-2026');
    await p.locator('#confirm-password').fill('Tea-house-2027');
    await p.getByTestId('reset-submit').click();
    await p.getByText('两次输入的密码不一致').waitFor();
    await p.locator('#confirm-password').fill('Tea-house-2026');
    await p.getByTestId('reset-submit').click();
    await p.getByTestId('reset-done').waitFor({ timeout: 15_000 });
    expect(await p.getByTestId('reset-done').textContent()).toContain('e2e-deputy@demo');

    // used once: the same link again is refused with a clear message
    await p.goto(link.pathname + link.hash);
    await p.locator('#new-password').fill('Another-pass-1');
    await p.locator('#confirm-password').fill('Another-pass-1');
    await p.getByTestId('reset-submit').click();
    await p.getByTestId('reset-refused').waitFor({ timeout: 15_000 });
    expect(await p.getByTestId('reset-refused').textContent()).toContain('链接无效、已使用或已过期');

    await signIn(p, 'e2e-deputy@demo', 'Tea-house-2026');
    const me = (await (await p.request.get('/api/v1/auth/me')).json()) as {
      account: { role: string; unitName: string };
    };
    expect(me.account).toMatchObject({ role: 'store_manager', unitName: OWN_STORE });
    await stranger.close();
  });

  test('a store manager on a phone sees only her store’s logins and cannot grant HQ or region roles', async (ctx) => {
    const phone = await newContext(true);
    managerPage = await phone.newPage();
    onFailure(ctx, 'store', () => managerPage);
    await signIn(managerPage, STORE_MANAGER);
    await managerPage.goto('/people');
    const rows = managerPage.getByTestId('people-row');
    await rows.first().waitFor({ timeout: 30_000 });
    const units = await managerPage.getByTestId('people-unit').allInnerTexts();
    expect(units.length).toBeGreaterThan(2);
    expect(new Set(units)).toEqual(new Set([OWN_STORE]));
    expect(await rows.filter({ hasText: '王芳' }).count()).toBe(1);
    // cards, not a table, and nothing wider than the phone
    expect(await managerPage.locator('table').count()).toBe(0);
    const width = await managerPage.evaluate(() => document.scrollingElement?.scrollWidth ?? 0);
    expect(width, 'horizontal scroll on a 390 px screen').toBeLessThanOrEqual(PHONE.width);
    await shot(managerPage, 'store-phone');

    await managerPage.getByTestId('people-create').click();
    await managerPage.getByTestId('people-role-select').click();
    const options = managerPage.locator('.ant-select-dropdown:visible .ant-select-item-option');
    await options.first().waitFor();
    expect(await options.allInnerTexts()).toEqual(['门店店长', '一线员工']);
    await managerPage.keyboard.press('Escape');
    await managerPage.locator('.ant-modal:visible').getByRole('button', { name: '取消' }).click();
  });

  test('disabling a login ends its session at once', async (ctx) => {
    onFailure(ctx, 'disable', () => managerPage);
    const staffContext = await newContext();
    const staffPage = await staffContext.newPage();
    await signIn(staffPage, 'wangfang@demo');
    expect((await staffPage.request.get('/api/v1/auth/me')).status()).toBe(200);

    const card = managerPage.getByTestId('people-row').filter({ hasText: '王芳' });
    await card.getByTestId('people-toggle').click();
    await managerPage.getByText('所有登录会话立即失效').waitFor();
    await managerPage.getByTestId('people-toggle-ok').click();
    await card.getByText('已停用').waitFor({ timeout: 15_000 });

    expect((await staffPage.request.get('/api/v1/auth/me')).status()).toBe(401);
    await staffPage.reload();
    await staffPage.waitForURL((url) => url.pathname === '/login', { timeout: 15_000 });
    await staffPage.locator('#login').fill('wangfang@demo');
    await staffPage.locator('#password').fill(PASSWORD);
    await staffPage.locator('button[type=submit]').click();
    await staffPage.getByTestId('login-error').waitFor({ timeout: 15_000 });

    // re-enabled, the same password works again
    await card.getByTestId('people-toggle').click();
    await managerPage.getByTestId('people-toggle-ok').click();
    await card.getByText('正常').waitFor({ timeout: 15_000 });
    await signIn(staffPage, 'wangfang@demo');
    await staffContext.close();
  });

  test('审计日志 names the login changes just made, in Chinese and in English', async (ctx) => {
    onFailure(ctx, 'audit-logins');
    const auditPage = await admin.newPage();
    const rowOf = async (action: string) => {
      await auditPage.goto(`/audit?action=${action}`);
      const row = auditPage.getByTestId('audit-row').first();
      await row.waitFor({ state: 'visible', timeout: 30_000 });
      return (await row.textContent()) ?? '';
    };
    const disabled = await rowOf('accounts.disable');
    expect(disabled).toContain('停用登录账号');
    expect(disabled).toContain('账号 wangfang');
    expect(await rowOf('accounts.enable')).toContain('重新启用登录账号');
    const created = await rowOf('accounts.create');
    expect(created).toContain('创建登录账号');
    expect(created).toContain('一次性链接');
    await auditPage.getByTestId('lang-en').click();
    await auditPage.getByText('Login created').first().waitFor({ timeout: 15_000 });
    expect((await auditPage.getByTestId('audit-row').first().textContent()) ?? '').toContain('one-time link');
    expect(await rowOf('accounts.disable')).toContain('Login disabled');
    await auditPage.getByTestId('lang-zh').click();
    await auditPage.close();
  });

  test('the export dialog offers HQ full phone numbers with an audit notice, and a store manager no choice', async (ctx) => {
    onFailure(ctx, 'export');
    await page.goto('/customers');
    await page.getByTestId('customer-export').click();
    await page.locator('.ant-dropdown:visible').getByText('导出 CSV').click();
    await page.getByTestId('export-phones').getByText('完整手机号').click();
    await page.getByTestId('export-full-notice').waitFor();
    expect(await page.getByTestId('export-full-notice').textContent()).toContain('审计日志');
    const download = page.waitForEvent('download');
    await page.getByTestId('export-go').click();
    expect((await download).suggestedFilename()).toMatch(/\.csv$/);
    const audit = (await (
      await page.request.get('/api/v1/audit?action=customers.export&limit=1')
    ).json()) as {
      items: { details: { phones?: string } }[];
    };
    expect(audit.items[0]?.details.phones).toBe('full');

    await managerPage.goto('/customers');
    await managerPage.getByTestId('customer-export').click();
    const managerDownload = managerPage.waitForEvent('download');
    await managerPage.locator('.ant-dropdown:visible').getByText('导出 CSV').click();
    await managerDownload;
    expect(await managerPage.getByTestId('export-phones').count()).toBe(0);
  });
});
