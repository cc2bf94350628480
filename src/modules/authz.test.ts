import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANAGER_ROLES } from '../../web/src/features/accounts/permissions.ts';
import { ROLES, type Role } from '../platform/actor.ts';
import { openTestApp, type TestApp, type TestSession } from '../testing/app.ts';

/**
 * Walks every registered /api/v1 route × every role against its declared access rule. Every route with a
 * path parameter must name below the ids that store sh1's accounts (and region east's) must NOT reach; a
 * new route without such a probe fails here, and a route without an access rule does not even register.
 */
let t: TestApp;
const sessions = {} as Record<Role, TestSession>;
const loginOf = (role: Role) =>
  ({
    hq_admin: t.fx.logins.admin,
    region_manager: t.fx.logins.east,
    store_manager: t.fx.logins.sh1,
    staff: t.fx.logins.sh1a,
  })[role];

let gz1Channel: number;
let gz1Code: number;
let gz1Import: number;
let gz1Segment: number;
let gz1Layering: number;
let gz1Session: number;
let gz1TagJob: number;
let gz1Content: number;
let gz1Journey: number;
let gz1Task: number;
let gz1MassSend: number;
let gz1Group: number;
let gz1GroupCode: number;
let gz1Moment: number;
let gz1MomentMedia: number;
let gz1AccountId: number;
beforeAll(async () => {
  t = await openTestApp();
  const gz1 = await t.login(t.fx.logins.gz1);
  const massSend = await t.app.inject({
    method: 'POST',
    url: '/api/v1/outreach/mass-sends',
    headers: { cookie: gz1.cookie, 'x-csrf-token': gz1.csrfToken },
    payload: {
      name: '广州新品',
      contentKind: 'product',
      text: '新品上市',
      senderRule: { prefer: 'latest_follow' },
      audience: { customerIds: [t.fx.customers.zhao] },
    },
  });
  expect(massSend.statusCode, massSend.body).toBe(201);
  gz1MassSend = massSend.json().id;
  gz1Session = (
    await t.database.db
      .selectFrom('sessions as s')
      .innerJoin('accounts as a', (j) =>
        j.onRef('a.corp_id', '=', 's.corp_id').onRef('a.id', '=', 's.account_id'),
      )
      .select('s.id')
      .where('a.username', '=', 'gz1')
      .executeTakeFirstOrThrow()
  ).id;
  gz1Channel = (
    await t.database.db
      .insertInto('channels')
      .values({
        corp_id: 'acme',
        name: '广州台卡',
        scene: '收银台',
        method: 'table_card',
        unit_id: t.fx.units.gz1,
        assign_mode: 'pool',
        daily_cap: null,
        working_hours: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  gz1Code = (
    await t.database.db
      .insertInto('channel_codes')
      .values({ corp_id: 'acme', channel_id: gz1Channel, unit_id: t.fx.units.gz1, state: 'probe-gz1' })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  gz1Import = (
    await t.database.db
      .insertInto('order_imports')
      .values({
        corp_id: 'acme',
        file_name: 'gz1.xlsx',
        source: 'import:import',
        status: 'done',
        scope_unit_id: t.fx.units.gz1,
        created_by_name: '广州店长',
        total_lines: 0,
        total_orders: 0,
        valid_orders: 0,
        started_at: new Date('2026-06-01T08:00:00Z'),
        updated_at: new Date('2026-06-01T08:00:00Z'),
      })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  const at = new Date('2026-06-01T08:00:00Z');
  gz1Segment = (
    await t.database.db
      .insertInto('segments')
      .values({
        corp_id: 'acme',
        unit_id: t.fx.units.gz1,
        name: '广州老客',
        rule: JSON.stringify({ field: 'order_count', cmp: 'gte', value: 2 }),
        created_by: null,
        created_at: at,
        updated_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  gz1Layering = (
    await t.database.db
      .insertInto('layerings')
      .values({
        corp_id: 'acme',
        unit_id: t.fx.units.gz1,
        name: '广州分层',
        created_by: null,
        created_at: at,
        updated_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  await t.database.db
    .insertInto('layering_layers')
    .values({
      corp_id: 'acme',
      layering_id: gz1Layering,
      position: 0,
      segment_id: gz1Segment,
      operation: '老客回访',
    })
    .execute();
  const gz1Account = await t.database.db
    .selectFrom('accounts')
    .select(['id', 'unit_id'])
    .where('corp_id', '=', 'acme')
    .where('username', '=', 'gz1')
    .executeTakeFirstOrThrow();
  gz1AccountId = gz1Account.id;
  gz1TagJob = (
    await t.database.db
      .insertInto('customer_tag_jobs')
      .values({
        corp_id: 'acme',
        account_id: gz1Account.id,
        by_name: 'gz1',
        staff_id: null,
        unit_id: gz1Account.unit_id,
        add_tags: '[]',
        remove_tags: '[]',
        customer_ids: '[]',
        total: 0,
        status: 'done',
        error: null,
        lease_until: null,
        created_at: at,
        updated_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  gz1Task = (
    await t.database.db
      .insertInto('tasks')
      .values({
        corp_id: 'acme',
        staff_id: t.fx.staff.gz1a,
        unit_id: t.fx.units.gz1,
        customer_id: t.fx.customers.zhao,
        kind: 'call',
        title: '探针',
        content_id: null,
        due_at: at,
        remind_at: null,
        source_kind: 'manual',
        source_journey_id: null,
        source_step_id: null,
        source_key: null,
        created_by: null,
        created_at: at,
        closed_at: null,
        closed_by: null,
        touch_id: null,
        reminder_outbox_id: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  gz1Journey = (
    await t.database.db
      .insertInto('journeys')
      .values({
        corp_id: 'acme',
        unit_id: t.fx.units.gz1,
        name: '广州欢迎',
        trigger_kind: 'first_order',
        template: null,
        next_scan_at: null,
        created_by: null,
        created_at: at,
        updated_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  await t.database.db
    .insertInto('journey_versions')
    .values({
      corp_id: 'acme',
      journey_id: gz1Journey,
      version: 1,
      graph: JSON.stringify({
        trigger: { kind: 'first_order' },
        start: 'a',
        nodes: [{ id: 'a', kind: 'exit' }],
      }),
      created_by: null,
      created_at: at,
    })
    .execute();
  gz1Content = (
    await t.database.db
      .insertInto('content_items')
      .values({
        corp_id: 'acme',
        unit_id: t.fx.units.gz1,
        kind: 'product',
        title: '广州限定',
        text: '双皮奶上新',
        attachments: '[]',
        created_by: null,
        created_at: at,
        updated_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  gz1Group = (
    await t.database.db
      .insertInto('groups')
      .values({
        corp_id: 'acme',
        chat_id: 'wr_probe_gz1',
        name: '广州探针群',
        owner_userid: 'gz1a',
        owner_staff_id: t.fx.staff.gz1a,
        notice: null,
        member_version: null,
        created_at_wecom: at,
        dismissed_at: null,
        synced_at: at,
        type: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  gz1GroupCode = (
    await t.database.db
      .insertInto('group_codes')
      .values({
        corp_id: 'acme',
        unit_id: t.fx.units.gz1,
        name: '广州探针群码',
        state: 'gc_probe_gz1',
        room_base_name: '广州探针群',
        welcome_template_id: null,
        config_id: null,
        qr_code: null,
        created_by: null,
        created_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  gz1MomentMedia = (
    await t.database.db
      .insertInto('moment_media')
      .values({
        corp_id: 'acme',
        unit_id: t.fx.units.gz1,
        kind: 'image',
        file_name: 'probe.png',
        content_type: 'image/png',
        bytes: Buffer.from('probe'),
        size: 5,
        wecom_media_id: null,
        wecom_expires_at: null,
        created_by: null,
        created_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  gz1Moment = (
    await t.database.db
      .insertInto('moment_posts')
      .values({
        corp_id: 'acme',
        unit_id: t.fx.units.gz1,
        axis: 'product',
        title: '广州探针',
        body: '',
        content_kind: 'text',
        sender_staff_ids: [t.fx.staff.gz1a],
        planned_at: new Date(at.getTime() + 86_400_000),
        created_by: null,
        created_at: at,
        updated_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  for (const role of ROLES) sessions[role] = await t.login(loginOf(role));
});
afterAll(() => t.close());

/** Ids in store gz1 (region south): outside sh1, outside east, outside staff sh1a's follows. */
function outOfScope(url: string): Record<string, number | string> | undefined {
  const probes: Record<string, Record<string, number | string>> = {
    '/api/v1/customers/:id': { id: t.fx.customers.zhao },
    '/api/v1/customers/:id/orders': { id: t.fx.customers.zhao },
    '/api/v1/customers/:id/acquisition': { id: t.fx.customers.zhao },
    '/api/v1/customers/:id/identities': { id: t.fx.customers.zhao },
    '/api/v1/customers/:id/identities/:identityId/undo': { id: t.fx.customers.zhao, identityId: 1 },
    // logins: gz1's manager's, outside sh1 and east
    '/api/v1/accounts/:id': { id: gz1AccountId },
    '/api/v1/accounts/:id/disable': { id: gz1AccountId },
    '/api/v1/accounts/:id/enable': { id: gz1AccountId },
    '/api/v1/accounts/:id/reset-password': { id: gz1AccountId },
    // corp-wide (hq_admin only): an id of no integration
    '/api/v1/integrations/:id/revoke': { id: 999_999 },
    '/api/v1/staff/:id': { id: t.fx.staff.gz1a },
    '/api/v1/staff/:id/persona': { id: t.fx.staff.gz1a },
    '/api/v1/channels/:id': { id: gz1Channel },
    '/api/v1/channels/:id/archive': { id: gz1Channel },
    '/api/v1/channels/:id/codes/:codeId/material/:kind': { id: gz1Channel, codeId: gz1Code, kind: 'poster' },
    '/api/v1/acquisition-settings/:unitId': { unitId: t.fx.units.gz1 },
    '/api/v1/order-imports/:id': { id: gz1Import },
    '/api/v1/order-imports/:id/errors.csv': { id: gz1Import },
    '/api/v1/segments/:id': { id: gz1Segment },
    '/api/v1/segments/:id/members': { id: gz1Segment },
    '/api/v1/segments/:id/members/export': { id: gz1Segment },
    '/api/v1/layerings/:id': { id: gz1Layering },
    '/api/v1/content/:id': { id: gz1Content },
    '/api/v1/outreach/budgets/:unitId': { unitId: t.fx.units.gz1 },
    '/api/v1/outreach/mass-sends/:id': { id: gz1MassSend },
    '/api/v1/outreach/mass-sends/:id/recipients': { id: gz1MassSend },
    '/api/v1/outreach/mass-sends/:id/groups': { id: gz1MassSend },
    '/api/v1/outreach/mass-sends/:id/remind': { id: gz1MassSend },
    '/api/v1/outreach/mass-sends/:id/cancel': { id: gz1MassSend },
    '/api/v1/journeys/:id': { id: gz1Journey },
    '/api/v1/journeys/:id/status': { id: gz1Journey },
    '/api/v1/journeys/:id/versions/:version/counts': { id: gz1Journey, version: 1 },
    '/api/v1/journeys/:id/dry-run': { id: gz1Journey },
    '/api/v1/customers/:id/tags': { id: t.fx.customers.zhao },
    '/api/v1/customers/:id/phone/reveal': { id: t.fx.customers.zhao },
    // a bulk tagging job is its maker's alone: gz1's, which even HQ does not see
    '/api/v1/customers/tag-jobs/:id': { id: gz1TagJob },
    // corp tags and tag rules are corp-wide (hq_admin only): ids of none
    '/api/v1/tag-groups/:id': { id: 999_999 },
    '/api/v1/tag-groups/:id/tags': { id: 999_999 },
    '/api/v1/tag-groups/:id/tag-order': { id: 999_999 },
    '/api/v1/tags/:id': { id: 999_999 },
    '/api/v1/tag-rules/:id': { id: 999_999 },
    // sessions are their owner's alone, whatever the role: another account's, which even HQ cannot end
    '/api/v1/auth/sessions/:id': { id: gz1Session },
    '/api/v1/tasks/:id': { id: gz1Task },
    '/api/v1/tasks/:id/complete': { id: gz1Task },
    '/api/v1/tasks/:id/dismiss': { id: gz1Task },
    // the sidebar: a customer and a group of gz1; a send (touch) is its member's alone
    '/api/v1/sidebar/contacts/:externalUserid': { externalUserid: 'wm_zhao' },
    '/api/v1/sidebar/groups/:chatId': { chatId: 'wr_probe_gz1' },
    '/api/v1/sidebar/customers/:id/sends': { id: t.fx.customers.zhao },
    '/api/v1/sidebar/customers/:id/notes': { id: t.fx.customers.zhao },
    '/api/v1/sidebar/sends/:touchId/cancel': { touchId: 999_999 },
    '/api/v1/groups/:id': { id: gz1Group },
    // insight: spend and pilots of no unit of the caller's (ids of none), a product of no order line
    '/api/v1/insight/spend/:id': { id: 999_999 },
    '/api/v1/insight/pilots/:id': { id: 999_999 },
    '/api/v1/insight/products/:code': { code: 'NO-SUCH-PRODUCT' },
    '/api/v1/products/:code': { code: 'NO-SUCH-PRODUCT' },
    '/api/v1/groups/:id/type': { id: gz1Group },
    '/api/v1/groups/customers/:customerId': { customerId: t.fx.customers.zhao },
    '/api/v1/group-codes/:id': { id: gz1GroupCode },
    '/api/v1/group-routing/:unitId': { unitId: t.fx.units.gz1 },
    // Moments: a post and a picture planned in gz1
    '/api/v1/moments/:id': { id: gz1Moment },
    '/api/v1/moments/:id/cancel': { id: gz1Moment },
    '/api/v1/moments/media/:id': { id: gz1MomentMedia },
  };
  return probes[url];
}

/** A valid body for routes whose body is checked before their scope, so the probe reaches the scope check. */
function sampleBody(method: string, url: string): Record<string, unknown> {
  const bodies: Record<string, Record<string, unknown>> = {
    'PUT /api/v1/channels/:id': {
      name: '探针',
      scene: '收银台',
      method: 'table_card',
      unitId: t.fx.units.sh1,
      assignMode: 'pool',
      staff: [{ staffId: t.fx.staff.sh1a }],
    },
    'PUT /api/v1/acquisition-settings/:unitId': { linkage: 'friend_only', addsModel: 'central' },
    'PUT /api/v1/segments/:id': { name: '探针', rule: { field: 'order_count', cmp: 'gte', value: 1 } },
    'PUT /api/v1/layerings/:id': { name: '探针', layers: [{ segmentId: gz1Segment, operation: '回访' }] },
    'POST /api/v1/customers/:id/tags': { add: [t.fx.tags.vip] },
    'POST /api/v1/journeys/:id/status': { status: 'paused' },
    'PUT /api/v1/outreach/budgets/:unitId': { maxTouches: 2, windowHours: 48, quiet: null },
    'PUT /api/v1/content/:id': { kind: 'product', title: '探针', text: '探针' },
    'PUT /api/v1/staff/:id/persona': { persona: 'sales' },
    'POST /api/v1/journeys/:id/dry-run': { customerId: t.fx.customers.wang },
    'PUT /api/v1/journeys/:id': { name: '探针' },
    'POST /api/v1/tasks/:id/dismiss': { reason: '探针' },
    'POST /api/v1/sidebar/customers/:id/sends': { contentId: 1 },
    'POST /api/v1/sidebar/customers/:id/notes': { text: '探针' },
    'PUT /api/v1/groups/:id/type': { type: 'store' },
    'PATCH /api/v1/group-codes/:id': { welcomeText: '探针' },
    'PUT /api/v1/group-routing/:unitId': { rules: [{ kind: 'default' }] },
    'POST /api/v1/accounts/:id/reset-password': { mode: 'link' },
    'PUT /api/v1/moments/:id': {
      axis: 'product',
      title: '探针',
      kind: 'text',
      senderStaffIds: [t.fx.staff.sh1a],
      plannedAt: '2030-01-01T00:00:00+08:00',
    },
  };
  return bodies[`${method} ${url}`] ?? {};
}

const fill = (url: string, params: Record<string, number | string>) =>
  url.replace(/:(\w+)/g, (_, k: string) => String(params[k]));

describe('authorization of every route', () => {
  it('finds the API routes, each with a scope probe for its parameters', () => {
    expect(t.app.apiRoutes.length).toBeGreaterThanOrEqual(8);
    for (const r of t.app.apiRoutes) {
      if (r.url.includes(':'))
        expect(outOfScope(r.url), `${r.method} ${r.url} has no scope probe`).toBeDefined();
    }
  });

  it('agrees with the console on who may create channels, segments, layerings, journeys and tasks', () => {
    for (const url of [
      '/api/v1/channels',
      '/api/v1/segments',
      '/api/v1/layerings',
      '/api/v1/journeys',
      '/api/v1/tasks',
    ]) {
      const route = t.app.apiRoutes.find((r) => r.method === 'POST' && r.url === url);
      const roles = route && !('public' in route.access) ? [...route.access.roles].sort() : [];
      expect(roles, url).toEqual([...MANAGER_ROLES].sort());
    }
  });

  it('refuses every non-public route without a session', async () => {
    for (const r of t.app.apiRoutes) {
      if ('public' in r.access) continue;
      const res = await t.app.inject({
        method: r.method as 'GET',
        url: fill(r.url, { id: 1 }),
        payload: r.method === 'GET' ? undefined : {},
      });
      expect(res.statusCode, `${r.method} ${r.url}`).toBe(401);
      expect(res.json().error.code).toBe('unauthenticated');
    }
  });

  it('answers each role as its rule says, and never reaches an out-of-scope id', {
    timeout: 180_000,
  }, async () => {
    let checked = 0;
    for (const r of t.app.apiRoutes) {
      if ('public' in r.access) continue;
      for (const role of ROLES) {
        const s = sessions[role];
        const probe = outOfScope(r.url);
        const url = probe ? fill(r.url, probe) : r.url;
        const res = await t.app.inject({
          method: r.method as 'GET',
          url,
          headers: { cookie: s.cookie, 'x-csrf-token': s.csrfToken },
          payload: r.method === 'GET' ? undefined : sampleBody(r.method, r.url),
        });
        const label = `${role} ${r.method} ${url}: ${res.body.slice(0, 200)}`;
        if (!r.access.roles.includes(role)) expect(res.statusCode, label).toBe(403);
        else if (probe && (role !== 'hq_admin' || r.access.scope === 'self'))
          expect(res.statusCode, label).toBe(404);
        else {
          // allowed: whatever the route answers (409 for a precondition, say), never a refusal or a crash
          expect([401, 403], label).not.toContain(res.statusCode);
          expect(res.statusCode, label).toBeLessThan(500);
        }
        checked++;
        if (r.method !== 'GET') sessions[role] = await t.login(loginOf(role)); // e.g. logout ended the session
      }
    }
    expect(checked).toBe(t.app.apiRoutes.filter((r) => !('public' in r.access)).length * ROLES.length);
  });

  it('refuses a mutating call without the CSRF token', async () => {
    const s = sessions.store_manager;
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { cookie: s.cookie },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('csrf_failed');
    const still = await t.app.inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { cookie: s.cookie },
    });
    expect(still.statusCode).toBe(200);
  });

  it('refuses to register an API route that has no access rule', async () => {
    const { buildApp } = await import('../platform/http/app.ts');
    await expect(
      buildApp({
        logger: false,
        authenticate: async () => null,
        routes: async (app) => {
          app.get('/naked', async () => ({}));
        },
      }),
    ).rejects.toThrow(/no access rule/);
  });
});
