import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp, type TestSession } from '../../testing/app.ts';
import { decodePng, readQr } from '../../testing/qr.ts';
import { PERSONA_LIST } from './persona.ts';

let t: TestApp;
const as: Record<string, TestSession> = {};
beforeAll(async () => {
  t = await openTestApp();
  for (const [k, login] of Object.entries(t.fx.logins)) as[k] = await t.login(login);
});
afterAll(() => t.close());

const call = (who: string, method: 'GET' | 'PUT', url: string, payload?: unknown) =>
  t.app.inject({
    method,
    url,
    headers: { cookie: as[who]!.cookie, 'x-csrf-token': as[who]!.csrfToken, 'accept-language': 'en' },
    payload: payload as Record<string, unknown> | undefined,
  });

const card = {
  persona: 'expert',
  personaName: '茶饮顾问小丽',
  title: '高级茶饮顾问',
  intro: '五年茶艺经验，帮你选到最合口味的那一杯。',
  avatarGuide: '浅色背景、工装、微笑半身照',
  mallTitle: '进入禾木小程序商城',
  mallUrl: 'https://wxaurl.cn/abcDEF123',
};

describe('personas and name cards', () => {
  it('lets the manager of the member’s unit set the persona and card; others get 404 or 403', async () => {
    const ok = await call('sh1', 'PUT', `/api/v1/staff/${t.fx.staff.sh1a}/persona`, card);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({
      persona: 'expert',
      personaName: '茶饮顾问小丽',
      title: '高级茶饮顾问',
    });
    // another store's manager does not see the member; a front-line account may not edit
    expect((await call('sh2', 'PUT', `/api/v1/staff/${t.fx.staff.sh1a}/persona`, card)).statusCode).toBe(404);
    expect((await call('sh1a', 'PUT', `/api/v1/staff/${t.fx.staff.sh1a}/persona`, card)).statusCode).toBe(
      403,
    );
    // bad input: unknown persona, a javascript: mall link
    expect(
      (await call('sh1', 'PUT', `/api/v1/staff/${t.fx.staff.sh1a}/persona`, { ...card, persona: 'boss' }))
        .statusCode,
    ).toBe(400);
    const js = await call('sh1', 'PUT', `/api/v1/staff/${t.fx.staff.sh1a}/persona`, {
      ...card,
      mallUrl: 'javascript:alert(1)',
    });
    expect(js.statusCode).toBe(400);
    expect(js.json().error.message).toMatch(/mall entry/);
  });

  it('serves the name card at an unguessable link with the member’s QR, readable offline', async () => {
    const qrUrl = 'https://open.work.weixin.qq.com/wwopen/userQRCode?vcode=73683161';
    await t.database.db
      .updateTable('staff')
      .set({ qr_code: qrUrl })
      .where('id', '=', t.fx.staff.sh1a)
      .execute();
    const mine = await call('sh1a', 'GET', '/api/v1/staff/me/card');
    expect(mine.statusCode).toBe(200);
    const path = mine.json().cardPath as string;
    expect(path).toMatch(/^\/card\/[A-Za-z0-9_-]+\.[0-9a-f]{32}$/);
    expect((await call('sh1', 'GET', `/api/v1/staff/${t.fx.staff.sh1a}/persona`)).json().cardPath).toBe(path);

    const page = await t.app.inject({ method: 'GET', url: path });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('茶饮顾问小丽');
    expect(page.body).toContain('高级茶饮顾问');
    expect(page.body).toContain('上海一店');
    expect(page.body).toContain('href="https://wxaurl.cn/abcDEF123"');
    const png = /src="data:image\/png;base64,([^"]+)"/.exec(page.body)![1]!;
    expect(readQr(decodePng(Buffer.from(png, 'base64')))).toBe(qrUrl);

    // a forged or altered token is refused; an HQ account without a staff row has no card of its own
    const [body, sig] = path.slice('/card/'.length).split('.');
    const other = Buffer.from(`acme:${t.fx.staff.sh2a}`).toString('base64url');
    expect((await t.app.inject({ method: 'GET', url: `/card/${other}.${sig}` })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: `/card/${body}.${'0'.repeat(32)}` })).statusCode).toBe(
      404,
    );
    expect((await t.app.inject({ method: 'GET', url: '/card/garbage' })).statusCode).toBe(404);
    expect((await call('admin', 'GET', '/api/v1/staff/me/card')).statusCode).toBe(404);
  });

  it('counts the persona matrix per store in scope, equal to a brute-force count', async () => {
    await call('admin', 'PUT', `/api/v1/staff/${t.fx.staff.sh2a}/persona`, { persona: 'assistant' });
    await t.database.db
      .updateTable('staff')
      .set({ status: 'departed' })
      .where('id', '=', t.fx.staff.gz1a)
      .execute();
    for (const who of ['admin', 'east', 'sh1']) {
      const res = await call(who, 'GET', '/api/v1/staff/persona-matrix');
      expect(res.statusCode).toBe(200);
      const units = await t.database.db
        .selectFrom('org_units')
        .selectAll()
        .where('corp_id', '=', 'acme')
        .execute();
      const staff = await t.database.db
        .selectFrom('staff')
        .selectAll()
        .where('corp_id', '=', 'acme')
        .execute();
      const root = t.fx.units[who === 'admin' ? 'hq' : (who as 'east' | 'sh1')];
      const scope = units.find((u) => u.id === root)!;
      const expected = units
        .filter((u) => u.kind === 'store' && u.path.startsWith(scope.path))
        .sort((a, b) => a.path.localeCompare(b.path))
        .map((u) => {
          const counts = Object.fromEntries(PERSONA_LIST.map((p) => [p, 0])) as Record<string, number>;
          for (const s of staff) {
            const su = units.find((x) => x.id === s.unit_id)!;
            if (s.status === 'active' && su.path.startsWith(u.path)) counts[s.persona]!++;
          }
          return {
            unitId: u.id,
            counts,
            gaps: PERSONA_LIST.filter((p) => counts[p] === 0),
          };
        });
      expect(
        res.json().stores.map((s: { unitId: number; counts: object; gaps: string[] }) => ({
          unitId: s.unitId,
          counts: s.counts,
          gaps: s.gaps,
        })),
      ).toEqual(expected);
      expect(expected.length).toBeGreaterThan(0);
    }
    const sh1 = (await call('sh1', 'GET', '/api/v1/staff/persona-matrix')).json();
    expect(sh1.stores).toHaveLength(1);
    expect(sh1.stores[0].counts).toMatchObject({ expert: 1, sales: 1 });
    expect(sh1.stores[0].gaps).toEqual(['brand', 'founder', 'assistant']);
    expect((await call('sh1a', 'GET', '/api/v1/staff/persona-matrix')).statusCode).toBe(403);
  });
});
