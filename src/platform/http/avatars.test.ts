import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Simulator } from '../../simulator/state.ts';
import { openTestApp, type TestApp } from '../../testing/app.ts';
import { tempDir } from '../../testing/temp-dir.ts';
import { startBundledSimulator } from '../../wecom-link.ts';
import { loadConfig } from '../config.ts';

let t: TestApp;
beforeAll(async () => {
  t = await openTestApp();
});
afterAll(() => t.close());

describe('avatars of the simulated people', () => {
  it('come from Siyu itself when the simulator is the bundled one, and Siyu draws them', async () => {
    const dir = tempDir('avatars');
    const sim = await startBundledSimulator(
      loadConfig({ SIYU_DATA_DIR: join(dir, 'data'), SIYU_SIM_PORT: '0' }),
    );
    let url: string;
    try {
      url = sim.sim.ids.avatar('朱琳');
    } finally {
      await sim.close();
    }
    // same origin as the console: no outside host, no plain http under HTTPS
    expect(url).toMatch(/^\/avatars\/[0-7]\/%E6%9C%B1\.svg$/);
    const res = await t.app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('image/svg+xml');
    expect(res.body).toContain('>朱</text>');
    // anything else is not an avatar
    for (const bad of ['/avatars/9/a.svg', '/avatars/1/ab.svg', '/avatars/1/a.png', '/avatars/x/a.svg']) {
      expect((await t.app.inject({ method: 'GET', url: bad })).statusCode, bad).toBe(404);
    }
  });

  it("stay on WeCom's image host in a simulator on its own", () => {
    expect(new Simulator({ seed: 1 }).ids.avatar('朱琳')).toMatch(/^http:\/\/wx\.qlogo\.cn\/mmhead\//);
  });
});
