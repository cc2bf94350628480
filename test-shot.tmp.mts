import { chromium } from 'playwright-core';
const base = 'http://127.0.0.1:39391';
const [path, out, w, h] = [process.argv[2] ?? '/journeys', process.argv[3] ?? '/tmp/jui/a.png', Number(process.argv[4] ?? 1366), Number(process.argv[5] ?? 900)];
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
const c = await b.newContext({ baseURL: base, locale: 'zh-CN', viewport: { width: w, height: h } });
const p = await c.newPage();
p.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') console.log('console:', m.text().slice(0, 300)); });
p.on('pageerror', (e) => console.log('pageerror:', e.message));
await p.goto('/login');
await p.locator('#login').fill(process.env.WHO ?? 'admin@demo');
await p.locator('#password').fill('siyu1234');
await p.locator('button[type=submit]').click();
await p.waitForURL((u) => u.pathname !== '/login');
await p.goto(path);
await p.waitForTimeout(4000);
if (process.env.CLICK) { await p.locator(process.env.CLICK).first().click(); await p.waitForTimeout(1500); }
console.log('scrollWidth', await p.evaluate(() => document.scrollingElement?.scrollWidth));
await p.screenshot({ path: out, fullPage: true });
await b.close();
