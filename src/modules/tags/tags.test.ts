import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp, type TestSession } from '../../testing/app.ts';

let t: TestApp;
const as: Record<string, TestSession> = {};
beforeAll(async () => {
  t = await openTestApp();
  for (const [k, login] of Object.entries(t.fx.logins)) as[k] = await t.login(login);
});
afterAll(() => t.close());

const get = (who: string, url: string) =>
  t.app.inject({ method: 'GET', url, headers: { cookie: as[who]!.cookie } });

describe('tags', () => {
  it('shows ops tag groups to HQ and only front-line groups to a store', async () => {
    const groups = async (who: string) =>
      (await get(who, '/api/v1/tags'))
        .json()
        .groups.map((g: { name: string; tags: { name: string }[] }) => [g.name, g.tags.map((x) => x.name)]);
    expect(await groups('admin')).toEqual([
      ['会员', ['VIP']],
      ['客户来源', ['包裹卡']],
    ]);
    expect(await groups('sh1')).toEqual([['会员', ['VIP']]]);
  });
});
