import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../modules/accounts/passwords.ts';
import { DEFAULT_SETTINGS, lifecycleStage, rfmScores } from '../modules/customers/rfm.ts';
import { ADVANCE_JOB } from '../modules/journeys/index.ts';
import { afterQuietHours, DEFAULT_BUDGET, inQuietHours } from '../modules/outreach/rules.ts';
import type { Tables } from '../modules/tables.ts';
import type { Database } from '../platform/db/connect.ts';
import { createServer } from '../server.ts';
import { type RunningSimulator, startSimulator } from '../simulator/server.ts';
import { openTestDatabase } from '../testing/db.ts';
import { pii, TEST_KEY } from '../testing/fixture.ts';
import { ACCOUNTS, STAFF, TAG_GROUPS, UNITS } from './brand.ts';
import { DEMO_CORP_ID, DEMO_PASSWORD, type DemoLogin } from './seed.ts';
import { ShiftableClock } from './shift-clock.ts';
import { buildDemoThroughSimulator, type DemoStage } from './simulated.ts';

// biome-ignore lint/suspicious/noExplicitAny: API and control-API answers are read field by field
type Json = any;

const CORP = DEMO_CORP_ID;
const DAY = 86_400_000;

interface Setup {
  database: Database<Tables>;
  app: Awaited<ReturnType<typeof createServer>>;
  siyuUrl: string;
  simulator: RunningSimulator;
  simClock: ShiftableClock;
  close(): Promise<void>;
}

/** A real Siyu server (workers running) and a real simulator on its own shiftable clock, both on loopback. */
async function setUp(): Promise<Setup> {
  const simClock = new ShiftableClock();
  const simulator = await startSimulator({
    port: 0,
    clock: simClock,
    push: { timeoutMs: 2000, retryDelaysMs: [50, 100, 200] },
  });
  const database = await openTestDatabase();
  const app = await createServer({ database, secretKey: TEST_KEY, logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const siyuUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  app.runtime.start();
  return {
    database,
    app,
    siyuUrl,
    simulator,
    simClock,
    async close() {
      await app.close();
      await simulator.close();
      await database.close();
    },
  };
}

async function simGet(s: Setup, path: string): Promise<Json> {
  const res = await fetch(`${s.simulator.url}${path}`);
  expect(res.status, path).toBe(200);
  return res.json();
}

/** The session cookie of a demo login. */
async function signIn(s: Setup, login: string): Promise<string> {
  const res = await fetch(`${s.siyuUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login, password: DEMO_PASSWORD }),
  });
  expect(res.status).toBe(200);
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

/** A GET of the console API as this demo login, expected to answer 200. */
async function getterAs(s: Setup, login: string) {
  const cookie = await signIn(s, login);
  return async (path: string) => {
    const res = await fetch(`${s.siyuUrl}/api/v1${path}`, { headers: { cookie } });
    expect(res.status, path).toBe(200);
    return (await res.json()) as Json;
  };
}

async function count(s: Setup, table: keyof Tables & string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from ${sql.table(table)} where corp_id = ${CORP}`.execute(s.database.db);
  return rows[0]!.n;
}

describe('the demo brand, built through the WeCom simulator', () => {
  let s: Setup;
  let logins: DemoLogin[];
  let counts: Record<string, number>;
  let wecomCorpId: string;
  const stages = new Map<DemoStage, [number, number][]>();

  beforeAll(async () => {
    s = await setUp();
    ({ logins, counts } = await buildDemoThroughSimulator({
      db: s.database.db,
      pii,
      hashPassword,
      simulatorUrl: s.simulator.url,
      sim: s.simulator.sim,
      simClock: s.simClock,
      siyuUrl: s.siyuUrl,
      runtime: s.app.runtime,
      customers: 150,
      liveCustomers: 5,
      seed: 7,
      onProgress: (stage, done, total) => {
        const list = stages.get(stage) ?? [];
        list.push([done, total]);
        stages.set(stage, list);
      },
    }));
    const conn = await s.database.db
      .selectFrom('wecom_connections')
      .selectAll()
      .where('corp_id', '=', CORP)
      .executeTakeFirstOrThrow();
    expect(conn.simulated).toBe(true);
    expect(conn.api_base_url).toBe(s.simulator.url);
    wecomCorpId = conn.wecom_corp_id;
  }, 240_000);
  afterAll(() => s?.close());

  it('leaves the simulator on real time and reports every stage to the end', () => {
    expect(s.simClock.offsetMs).toBe(0);
    expect(Math.abs(s.simulator.sim.nowMs() - Date.now())).toBeLessThan(1000);
    for (const stage of ['history', 'sync', 'orders', 'live', 'facts'] as const) {
      const seen = stages.get(stage)!;
      expect(seen.length, stage).toBeGreaterThanOrEqual(2);
      const [done, total] = seen.at(-1)!;
      expect(done, stage).toBe(total);
    }
    expect(wecomCorpId).toMatch(/^wwdemo[a-z0-9]{10}$/);
  });

  it('creates the corp and its 9 units with codes and id paths, each linked to its WeCom department', async () => {
    const corp = await s.database.db
      .selectFrom('corps')
      .selectAll()
      .where('corp_id', '=', CORP)
      .executeTakeFirstOrThrow();
    expect(corp).toMatchObject({ name: '禾木茶饮', business_type: 'tea_drinks', wecom_corp_id: wecomCorpId });
    const units = await s.database.db
      .selectFrom('org_units')
      .selectAll()
      .where('corp_id', '=', CORP)
      .execute();
    expect(units).toHaveLength(9);
    expect(units.map((u) => u.code).sort()).toEqual(UNITS.map((u) => u.code).sort());
    const byId = new Map(units.map((u) => [u.id, u]));
    for (const u of units) {
      const def = UNITS.find((d) => d.code === u.code)!;
      expect(u).toMatchObject({ name: def.name, kind: def.kind });
      const parent = u.parent_id === null ? null : byId.get(u.parent_id)!;
      expect(parent?.code ?? null).toBe(def.parent);
      expect(u.path).toBe(`${parent ? parent.path : '/'}${u.id}/`);
    }
    const departments = (await simGet(s, `/sim/corps/${wecomCorpId}/departments`)).departments as {
      id: number;
      name: string;
    }[];
    expect(departments).toHaveLength(9);
    for (const u of units) {
      expect(u.wecom_dept_id, u.code!).not.toBeNull();
      expect(departments.find((d) => d.id === u.wecom_dept_id)?.name).toBe(u.name);
    }
    expect(units.find((u) => u.code === 'hq')!.wecom_dept_id).toBe(1);
  });

  it('syncs the staff from WeCom and gives them the brand’s personas and journey roles', async () => {
    const staff = await s.database.db
      .selectFrom('staff as s')
      .innerJoin('org_units as u', (j) =>
        j.onRef('u.corp_id', '=', 's.corp_id').onRef('u.id', '=', 's.unit_id'),
      )
      .select([
        's.userid',
        's.name',
        's.persona',
        's.persona_name',
        's.journey_role',
        's.title',
        's.status',
        'u.code',
      ])
      .where('s.corp_id', '=', CORP)
      .execute();
    const current = STAFF.filter((d) => d.departedDaysAgo === undefined);
    expect(staff.map((x) => x.userid).sort()).toEqual(current.map((d) => d.userid).sort());
    // one store member left this morning (the demo's 离职继承)
    const left = staff.filter((x) => x.status === 'departed');
    expect(left).toHaveLength(counts.transfers_departure ? 1 : 0);
    for (const d of current) {
      expect(staff.find((x) => x.userid === d.userid)).toMatchObject({
        name: d.name,
        persona: d.persona,
        persona_name: d.personaName,
        journey_role: d.journeyRole,
        title: d.title,
        status: left.some((x) => x.userid === d.userid) ? 'departed' : 'active',
        code: d.unit,
      });
    }
    // A follow carries the role its staff member plays.
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from follows f join staff s on s.corp_id = f.corp_id and s.id = f.staff_id
      where f.corp_id = ${CORP} and f.journey_role <> s.journey_role`.execute(s.database.db);
    expect(rows[0]!.n).toBe(0);
  });

  it('creates the same console logins as the seeded demo, and a store manager sees only the store’s customers', async () => {
    expect(logins.map((l) => l.login)).toEqual(
      ACCOUNTS.filter((a) => a.disabledDaysAgo === undefined).map((a) => `${a.username}@demo`),
    );
    expect(logins).toContainEqual({ login: 'sh-jingan@demo', role: 'store_manager', unit: '上海静安店' });
    expect(await count(s, 'accounts')).toBe(ACCOUNTS.length);

    const login = await fetch(`${s.siyuUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'sh-jingan@demo', password: DEMO_PASSWORD }),
    });
    expect(login.status).toBe(200);
    const cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const seen: Json[] = [];
    let cursor: string | null = null;
    do {
      const res = await fetch(`${s.siyuUrl}/api/v1/customers?limit=100${cursor ? `&cursor=${cursor}` : ''}`, {
        headers: { cookie },
      });
      expect(res.status).toBe(200);
      const page = (await res.json()) as Json;
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);

    const { rows } = await sql<{ id: number }>`
      select distinct f.customer_id as id from follows f
      join staff st on st.corp_id = f.corp_id and st.id = f.staff_id
      join org_units u on u.corp_id = st.corp_id and u.id = st.unit_id
      where f.corp_id = ${CORP} and u.code = 'sh-jingan'`.execute(s.database.db);
    expect(seen.length).toBeGreaterThan(5);
    expect(seen.length).toBeLessThan(await count(s, 'customers'));
    expect(seen.map((c) => c.id).sort((a, b) => a - b)).toEqual(rows.map((r) => r.id).sort((a, b) => a - b));
  });

  it('brings the customers’ history from WeCom: follows added over ~18 months, second follows, masked phones, tags', async () => {
    const db = s.database.db;
    const follows = await db
      .selectFrom('follows')
      .select(['customer_id', 'added_at', 'add_way', 'state', 'status'])
      .where('corp_id', '=', CORP)
      .execute();
    expect(follows.length).toBeGreaterThan(140);
    const months = new Set(follows.map((f) => f.added_at.toISOString().slice(0, 7)));
    expect(months.size).toBeGreaterThanOrEqual(10);
    const oldest = Math.min(...follows.map((f) => f.added_at.getTime()));
    expect(Date.now() - oldest).toBeGreaterThan(300 * DAY);
    const perCustomer = new Map<number, number>();
    for (const f of follows) perCustomer.set(f.customer_id, (perCustomer.get(f.customer_id) ?? 0) + 1);
    expect([...perCustomer.values()].filter((n) => n >= 2).length).toBeGreaterThan(0);
    // Channels and 离职继承 (add_way 202) came through as WeCom recorded them.
    expect(follows.some((f) => f.state?.startsWith('ch_online_'))).toBe(true);
    expect(follows.some((f) => f.add_way === 202)).toBe(true);

    const customers = await db
      .selectFrom('customers')
      .select(['id', 'first_added_at', 'phone_masked', 'phone_cipher'])
      .where('corp_id', '=', CORP)
      .execute();
    const withPhone = customers.filter((c) => c.phone_masked !== null);
    expect(withPhone.length).toBeGreaterThan(customers.length / 3);
    for (const c of withPhone) {
      expect(c.phone_masked).toMatch(/^1\d{2}\*{4}\d{4}$/);
      const phone = pii.decrypt(c.phone_cipher!);
      expect(phone).toMatch(/^1\d{10}$/);
      expect(c.phone_masked).toBe(`${phone.slice(0, 3)}****${phone.slice(-4)}`);
    }
    expect(customers.every((c) => c.first_added_at !== null)).toBe(true);

    expect(await count(s, 'customer_tags')).toBeGreaterThan(customers.length / 2);
    const groups = await db
      .selectFrom('tag_groups')
      .select(['name', 'audience', 'wecom_group_id'])
      .where('corp_id', '=', CORP)
      .execute();
    expect(groups.map((g) => [g.name, g.audience]).sort()).toEqual(
      TAG_GROUPS.map((g) => [g.name, g.audience]).sort(),
    );
    expect(groups.every((g) => g.wecom_group_id?.startsWith('et'))).toBe(true);
  });

  it('brings the stores’ customer groups with their members', async () => {
    const db = s.database.db;
    const groups = await db
      .selectFrom('groups')
      .select(['id', 'name', 'owner_userid', 'customer_count'])
      .where('corp_id', '=', CORP)
      .execute();
    expect(groups.length).toBeGreaterThanOrEqual(6);
    expect(groups.some((g) => g.name.endsWith('福利群'))).toBe(true);
    const managers = new Set(STAFF.filter((d) => d.title === '店长').map((d) => d.userid));
    expect(groups.every((g) => managers.has(g.owner_userid!))).toBe(true);
    expect(groups.filter((g) => g.customer_count > 0).length).toBeGreaterThanOrEqual(6);
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from group_members where corp_id = ${CORP} and customer_id is not null and left_at is null`.execute(
      db,
    );
    expect(rows[0]!.n).toBeGreaterThan(30);
    expect(
      await db
        .selectFrom('customer_events')
        .select('id')
        .where('corp_id', '=', CORP)
        .where('kind', '=', 'group_joined')
        .executeTakeFirst(),
    ).toBeDefined();
  });

  it('pushed nothing while Siyu was not listening, and today’s customers arrived through real callbacks', async () => {
    const db = s.database.db;
    const log = await simGet(s, `/sim/corps/${wecomCorpId}/deliveries?limit=10000`);
    const deliveries = log.deliveries as Json[];
    expect(log.summary.failed).toBe(0);
    expect(log.summary.pending).toBe(0);
    const pushed = deliveries.filter((d) => d.status !== 'no_callback_url');
    expect(pushed.length).toBeGreaterThanOrEqual(5);
    expect(
      pushed.every((d) => d.status === 'delivered' && d.url === `${s.siyuUrl}/wecom/callback/demo`),
    ).toBe(true);
    // Everything before the callback URL was set stayed in WeCom.
    const firstPushed = deliveries.findIndex((d) => d.status !== 'no_callback_url');
    expect(deliveries.slice(firstPushed).every((d) => d.status === 'delivered')).toBe(true);
    expect(log.summary.no_callback_url).toBeGreaterThan(300);

    const inbox = await db
      .selectFrom('wecom_inbox')
      .select(['event_type', 'status', 'event'])
      .where('corp_id', '=', CORP)
      .execute();
    expect(inbox.length).toBe(pushed.length);
    expect(inbox.every((r) => r.status === 'done')).toBe(true);
    expect(inbox.map((r) => r.event_type).sort()).toEqual(
      pushed
        .map((d) =>
          d.event === 'change_external_chat' ? `external_chat_${d.change_type}` : (d.change_type as string),
        )
        .sort(),
    );

    const adds = pushed.filter((d) => d.change_type === 'add_external_contact');
    expect(adds).toHaveLength(5);
    // Each of them opened the code's landing page first, some twice (one scan each), and two passers-by
    // (the 2nd and 5th code) looked without adding: 7 visitors.
    const scans = await db
      .selectFrom('channel_codes')
      .select((eb) => eb.fn.sum<number>('scans').as('n'))
      .where('corp_id', '=', CORP)
      .executeTakeFirstOrThrow();
    const live = await sql<{ n: number }>`
      select count(*)::int n from channel_scans where corp_id = ${CORP} and visitor not like 'h%'`.execute(
      db,
    );
    expect(live.rows[0]!.n).toBe(7);
    // the history's adds through the printed codes were scans first: no channel adds more than it was scanned
    expect(Number(scans.n)).toBe(await count(s, 'channel_scans'));
    const funnel = await sql<{ code_id: number; scans: number; adds: number }>`
      select k.id code_id, k.scans, (select count(*)::int from channel_adds a
        where a.corp_id = k.corp_id and a.code_id = k.id) adds
      from channel_codes k where k.corp_id = ${CORP}`.execute(db);
    expect(funnel.rows.filter((r) => r.adds > 0).length).toBeGreaterThan(3);
    for (const r of funnel.rows) expect(r.scans, JSON.stringify(r)).toBeGreaterThanOrEqual(r.adds);
    expect(counts.live_customers).toBe(5);
    for (const d of adds) {
      const ext: string = d.fields.ExternalUserID;
      const state: string = d.fields.State;
      // The customer scanned a store's channel code (table card, poster or roll-up), created by HQ in Siyu.
      const code = await db
        .selectFrom('channel_codes as k')
        .innerJoin('channels as ch', (j) =>
          j.onRef('ch.corp_id', '=', 'k.corp_id').onRef('ch.id', '=', 'k.channel_id'),
        )
        .select(['ch.method', 'k.id'])
        .where('k.corp_id', '=', CORP)
        .where('k.state', '=', state)
        .executeTakeFirstOrThrow();
      expect(['table_card', 'poster', 'rollup_banner']).toContain(code.method);
      const welcomes = await simGet(s, `/sim/corps/${wecomCorpId}/customers/${ext}/welcomes`);
      expect(welcomes.welcomes).toHaveLength(1);
      const row = await db
        .selectFrom('customers as c')
        .innerJoin('follows as f', (j) =>
          j.onRef('f.corp_id', '=', 'c.corp_id').onRef('f.customer_id', '=', 'c.id'),
        )
        .innerJoin('staff as st', (j) =>
          j.onRef('st.corp_id', '=', 'f.corp_id').onRef('st.id', '=', 'f.staff_id'),
        )
        .select(['c.id', 'f.state', 'f.add_way', 'f.added_at', 'st.userid'])
        .where('c.corp_id', '=', CORP)
        .where('c.external_userid', '=', ext)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({ state, add_way: 1, userid: d.fields.UserID });
      expect(Date.now() - row.added_at.getTime()).toBeLessThan(5 * 60_000);
      const events = await db
        .selectFrom('customer_events')
        .select(['kind', 'summary'])
        .where('corp_id', '=', CORP)
        .where('customer_id', '=', row.id)
        .execute();
      expect(events.map((e) => e.kind)).toContain('follow_added');
      expect(events.map((e) => e.kind)).toContain('channel_add');
      expect(events.find((e) => e.kind === 'follow_added')!.summary).toContain(state);
    }
    // A customer left a staff member today; one or two new customers joined a store group.
    const del = pushed.find((d) => d.change_type === 'del_follow_user');
    expect(del).toBeDefined();
    const ended = await db
      .selectFrom('follows as f')
      .innerJoin('customers as c', (j) =>
        j.onRef('c.corp_id', '=', 'f.corp_id').onRef('c.id', '=', 'f.customer_id'),
      )
      .innerJoin('staff as st', (j) =>
        j.onRef('st.corp_id', '=', 'f.corp_id').onRef('st.id', '=', 'f.staff_id'),
      )
      .select(['f.status', 'f.ended_at'])
      .where('f.corp_id', '=', CORP)
      .where('c.external_userid', '=', del.fields.ExternalUserID)
      .where('st.userid', '=', del.fields.UserID)
      .executeTakeFirstOrThrow();
    expect(ended.status).toBe('deleted_by_customer');
    const joins = pushed.filter((d) => d.change_type === 'update' && d.fields.UpdateDetail === 'add_member');
    expect(joins.length).toBeGreaterThanOrEqual(1);
    const joiner = joins[0].fields.MemChangeList[0] as string;
    expect(adds.map((d) => d.fields.ExternalUserID)).toContain(joiner);
    const member = await db
      .selectFrom('group_members as m')
      .innerJoin('customers as c', (j) =>
        j.onRef('c.corp_id', '=', 'm.corp_id').onRef('c.id', '=', 'm.customer_id'),
      )
      .select(['m.left_at', 'm.join_scene'])
      .where('m.corp_id', '=', CORP)
      .where('c.external_userid', '=', joiner)
      .executeTakeFirstOrThrow();
    expect(member).toMatchObject({ left_at: null, join_scene: 3 });
  });

  it('gives each store group a rotating group code, types, routing rules, and routes today’s east adds', async () => {
    const db = s.database.db;
    const codes = await db
      .selectFrom('group_codes')
      .select(['id', 'config_id', 'qr_code', 'state', 'welcome_template_id'])
      .where('corp_id', '=', CORP)
      .execute();
    const storeGroups = await db
      .selectFrom('groups')
      .select(['id', 'type'])
      .where('corp_id', '=', CORP)
      .where('status', '=', 'active')
      .execute();
    expect(codes.length).toBe(counts.group_codes);
    expect(codes.length).toBeGreaterThanOrEqual(6);
    expect(codes.every((c) => c.config_id && c.qr_code && c.welcome_template_id)).toBe(true);
    expect(storeGroups.filter((g) => g.type !== null).length).toBeGreaterThanOrEqual(6);
    const ways = await simGet(s, `/sim/corps/${wecomCorpId}/join-ways`);
    expect(ways.join_ways.length).toBe(codes.length);
    // Today's customers joined through the codes: their membership carries the code's state.
    const viaCode = await db
      .selectFrom('group_members')
      .select('state')
      .where('corp_id', '=', CORP)
      .where(
        'state',
        'in',
        codes.map((c) => c.state),
      )
      .execute();
    expect(viaCode.length).toBeGreaterThanOrEqual(1);
    const rules = await db
      .selectFrom('group_routing_rules')
      .select('id')
      .where('corp_id', '=', CORP)
      .execute();
    expect(rules.length).toBeGreaterThanOrEqual(4);
    // Every routing decision names a group and says why, in both languages.
    const decisions = await db
      .selectFrom('group_routing_decisions')
      .select(['group_id', 'reason'])
      .where('corp_id', '=', CORP)
      .execute();
    expect(decisions.length).toBe(counts.group_routing_decisions);
    for (const d of decisions) expect(d.reason.zh.length).toBeGreaterThan(0);
  });

  it('recovers the adds WeCom could not deliver before Siyu listened with a second full sync: attributed, welcome missed', async () => {
    const db = s.database.db;
    const runs = await db
      .selectFrom('wecom_sync_runs')
      .select(['id', 'status', 'counts', 'started_at'])
      .where('corp_id', '=', CORP)
      .orderBy('id')
      .execute();
    expect(runs.map((r) => r.status)).toEqual(['done', 'done']);
    // 5 live customers → 2 missed adds: one through a store's code, one found by phone number
    expect(counts).toMatchObject({ missed_adds: 2, adds_recovered: 2 });
    expect(runs[1]!.counts).toMatchObject({
      addsRecovered: 2,
      channelAddsRecovered: 1,
      addsLeftToCallback: 0,
    });
    const recovered = await db
      .selectFrom('channel_adds as a')
      .innerJoin('customers as c', (j) =>
        j.onRef('c.corp_id', '=', 'a.corp_id').onRef('c.id', '=', 'a.customer_id'),
      )
      .select(['c.external_userid', 'a.added_at', 'a.sync_run'])
      .where('a.corp_id', '=', CORP)
      .where('a.welcome_missed', '=', true)
      .execute();
    expect(recovered).toEqual([
      { external_userid: expect.any(String), added_at: expect.any(Date), sync_run: runs[1]!.id },
    ]);
    // added after the first sync began and before the second, past the welcome window: never welcomed
    expect(recovered[0]!.added_at.getTime()).toBeGreaterThan(runs[0]!.started_at.getTime());
    expect(recovered[0]!.added_at.getTime()).toBeLessThan(runs[1]!.started_at.getTime() - 20_000);
    const welcomes = await simGet(
      s,
      `/sim/corps/${wecomCorpId}/customers/${recovered[0]!.external_userid}/welcomes`,
    );
    expect(welcomes.welcomes).toEqual([]);
  });

  it('gives the customers months of orders and members through the ingest API, linked by OneID', async () => {
    const db = s.database.db;
    const orders = await db
      .selectFrom('orders')
      .select(['source', 'channel', 'customer_id', 'linked_by', 'coupon_code', 'unit_id', 'ordered_at'])
      .where('corp_id', '=', CORP)
      .execute();
    expect(orders.length).toBe(counts.orders);
    expect(new Set(orders.map((o) => o.channel))).toEqual(new Set(['pos', 'miniprogram', 'ecommerce']));
    const linked = orders.filter((o) => o.customer_id !== null);
    expect(linked.length).toBeGreaterThan(orders.length / 3);
    expect(orders.length - linked.length).toBeGreaterThan(0);
    // the mini-program's unionid, the tills' phones, and openids learned from an order that carried both
    expect([...new Set(linked.map((o) => o.linked_by))].sort()).toEqual(['openid', 'phone', 'unionid']);
    expect(orders.filter((o) => o.coupon_code).length).toBeGreaterThan(orders.length / 10);
    const spanDays = (Date.now() - Math.min(...orders.map((o) => o.ordered_at.getTime()))) / DAY;
    expect(spanDays).toBeGreaterThan(90);
    expect(new Set(orders.flatMap((o) => (o.unit_id ? [o.unit_id] : []))).size).toBeGreaterThanOrEqual(5);
    // each linked order is on its customer's timeline
    const events = await db
      .selectFrom('customer_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('corp_id', '=', CORP)
      .where('kind', '=', 'order')
      .executeTakeFirstOrThrow();
    expect(Number(events.n)).toBe(linked.length);
    expect(await count(s, 'members')).toBeGreaterThan(0);
    // today's customers had bought before: their orders waited, and the ones whose identity appeared linked
    expect(counts.live_orders_waiting).toBeGreaterThan(0);
    expect(counts.live_orders_linked).toBeGreaterThan(0);
    expect(counts.live_orders_linked).toBeLessThanOrEqual(counts.live_orders_waiting!);
  });

  it('ends with every customer’s facts computed, by the rules, the batches of orders folded on the timeline', async () => {
    const db = s.database.db;
    const facts = await db
      .selectFrom('customer_facts as f')
      .innerJoin('customers as c', (j) =>
        j.onRef('c.corp_id', '=', 'f.corp_id').onRef('c.id', '=', 'f.customer_id'),
      )
      .select([
        'f.customer_id',
        'f.order_count',
        'f.paid_fen',
        'f.last_order_at',
        'f.r_score',
        'f.f_score',
        'f.m_score',
        'f.stage',
        'f.computed_at',
        'c.first_added_at',
        'c.created_at',
        (eb) =>
          eb
            .exists(
              eb
                .selectFrom('follows as w')
                .select('w.id')
                .whereRef('w.corp_id', '=', 'c.corp_id')
                .whereRef('w.customer_id', '=', 'c.id')
                .where('w.status', '=', 'active'),
            )
            .as('followed'),
      ])
      .where('f.corp_id', '=', CORP)
      .execute();
    expect(facts.length).toBe(await count(s, 'customers'));
    expect(counts.customer_facts).toBe(facts.length);
    for (const f of facts) {
      const input = {
        orderCount: f.order_count,
        paidFen: f.paid_fen,
        lastOrderAt: f.last_order_at,
        addedAt: f.first_added_at ?? f.created_at,
        followed: Boolean(f.followed),
      };
      expect([f.r_score, f.f_score, f.m_score, f.stage], `customer ${f.customer_id}`).toEqual([
        ...Object.values(rfmScores(input, f.computed_at, DEFAULT_SETTINGS)),
        lifecycleStage(input, f.computed_at, DEFAULT_SETTINGS),
      ]);
    }
    // a brand with months of orders has regulars, lapsed buyers and friends who never bought
    const stages = new Set(facts.map((f) => f.stage));
    for (const stage of ['new', 'repeat', 'dormant'] as const) expect(stages, stage).toContain(stage);
    expect(counts.super_users).toBe(facts.filter((f) => f.stage === 'super').length);
    // orders came in batches, each refreshing its buyers: one stage change per customer on the day, not one per batch
    const { rows } = await sql<{ customer_id: number; n: number }>`
      select customer_id, count(*)::int as n from customer_events
      where corp_id = ${CORP} and kind = 'stage_changed' and data->>'cause' = 'orders'
      group by customer_id having count(*) > 1`.execute(db);
    expect(rows).toEqual([]);
  });

  it('saves HQ’s segments and a layering, whose two layers with the same operation are flagged', async () => {
    const login = await fetch(`${s.siyuUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'admin@demo', password: DEMO_PASSWORD }),
    });
    const cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const segments = (await (
      await fetch(`${s.siyuUrl}/api/v1/segments`, { headers: { cookie } })
    ).json()) as Json;
    const superUsers = segments.items.find((g: Json) => g.name === '超级用户');
    expect(superUsers.count).toBe(counts.super_users);
    const layerings = (await (
      await fetch(`${s.siyuUrl}/api/v1/layerings`, { headers: { cookie } })
    ).json()) as Json;
    expect(layerings.items).toHaveLength(1);
    const [layering] = layerings.items;
    expect(layering.layers.map((l: Json) => l.segmentName)).toEqual([
      '超级用户',
      '沉睡高价值',
      '首单新客',
      '价格敏感',
    ]);
    expect(layering.layers[0].size).toBe(counts.super_users);
    expect(layering.totalGmvFen).toBeGreaterThan(0);
    expect(layering.warnings).toContainEqual(
      expect.objectContaining({ kind: 'same_operation', operation: '第二杯半价券' }),
    );
  });

  it('shows a store manager the front-line tags and the segments on them; HQ’s own tags stay with HQ', async () => {
    const [admin, store] = [await getterAs(s, 'admin@demo'), await getterAs(s, 'sh-jingan@demo')];
    const groups = async (get: typeof admin) => (await get('/tags')).groups.map((g: Json) => g.name);
    expect(await groups(store)).toEqual(expect.arrayContaining(['口味偏好', '消费等级', '行为特征']));
    expect(await groups(store)).not.toContain('招商线索');
    expect(await groups(admin)).toContain('招商线索');
    const segments = async (get: typeof admin) => (await get('/segments')).items.map((g: Json) => g.name);
    expect(await segments(store)).toContain('果茶复购客');
    expect(await segments(store)).not.toContain('加盟线索');
    expect(await segments(admin)).toEqual(expect.arrayContaining(['果茶复购客', '加盟线索']));
  });

  it('leaves what its people did in the audit log, for HQ’s 审计日志', async () => {
    const login = await fetch(`${s.siyuUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'admin@demo', password: DEMO_PASSWORD }),
    });
    const cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const res = await fetch(`${s.siyuUrl}/api/v1/audit`, { headers: { cookie } });
    expect(res.status).toBe(200);
    const { items } = (await res.json()) as Json;
    const byAction = new Map<string, Json>(items.map((e: Json) => [e.action, e]));
    expect(byAction.get('customers.phone_search')).toMatchObject({
      username: 'wangfang',
      role: 'staff',
      details: { phoneMasked: expect.stringMatching(/^1\d\d\*{4}\d{4}$/), use: 'list' },
    });
    expect(byAction.get('customers.export')).toMatchObject({
      username: 'sh-jingan',
      details: { filter: { stage: 'dormant' }, format: 'xlsx' },
    });
    expect(byAction.get('customers.bulk_tags')).toMatchObject({
      username: 'wangfang',
      details: { selected: 3, customers: 3 },
    });
    expect(byAction.get('segments.export')).toMatchObject({
      username: 'admin',
      details: { segmentName: '沉睡高价值', format: 'csv' },
    });
    // the demo's 群发 are audited too (outreach.*): they are checked with the sends
    // the sign-ins of these tests are audited too (auth.*): they came after the build
    const built = items.filter((e: Json) => !String(e.action).startsWith('auth.'));
    const own = built.filter((e: Json) => !String(e.action).startsWith('outreach.'));
    expect(own).toHaveLength(counts.audited_actions!);
    expect(counts.audit_log).toBe(built.length);
    expect(built.length - own.length).toBeGreaterThanOrEqual(counts.mass_sends!);
    // newest first, spread over the last days, and no number in clear
    const times = items.map((e: Json) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(times.at(-1)).toBeLessThan(Date.now() - 24 * 3_600_000);
    const { phoneHash, ...searched } = byAction.get('customers.phone_search').details;
    expect(phoneHash).toMatch(/^[0-9a-f]{64}$/);
    const withoutHash = items.map((e: Json) => (e.details.phoneHash ? { ...e, details: searched } : e));
    expect(JSON.stringify(withoutHash)).not.toMatch(/(?<!\d)1\d{10}(?!\d)/);
  });

  it('shows 客户继承: a member who left this morning with customers waiting, and transfers in every state', async () => {
    const login = await fetch(`${s.siyuUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'admin@demo', password: DEMO_PASSWORD }),
    });
    const cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    expect(counts.transfers_departure).toBeGreaterThanOrEqual(3);
    const waiting = (await (
      await fetch(`${s.siyuUrl}/api/v1/transfers/unassigned`, { headers: { cookie } })
    ).json()) as Json;
    expect(waiting.source).toBe('wecom');
    expect(waiting.items).toHaveLength(1);
    expect(waiting.items[0].customerCount).toBeGreaterThan(0);
    expect(waiting.items[0].storeStaff.length).toBeGreaterThan(0);
    const admin = await fetch(`${s.siyuUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'admin@demo', password: DEMO_PASSWORD }),
    });
    const adminCookie = admin.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const history = (await (
      await fetch(`${s.siyuUrl}/api/v1/transfers?limit=100`, { headers: { cookie: adminCookie } })
    ).json()) as Json;
    expect(history.counts).toMatchObject({
      done: counts.transfers_reassigned,
      refused: 1,
      over_limit: 1,
      waiting: counts.transfers_departure! - 2,
    });
  });

  it('runs the playbook’s journeys: today’s customers got their day-0 pack, earlier ones are on their way', async () => {
    const db = s.database.db;
    const journeys = await db
      .selectFrom('journeys')
      .select(['id', 'name', 'status', 'template'])
      .where('corp_id', '=', CORP)
      .orderBy('id')
      .execute();
    expect(journeys.map((j) => [j.template, j.status])).toEqual([
      ['welcome_series', 'active'],
      ['win_back', 'active'],
      ['birthday_care', 'active'],
      ['member_anniversary', 'active'],
    ]);
    await s.app.runtime.runJob(ADVANCE_JOB);
    await s.app.runtime.drain();
    const welcome = await db
      .selectFrom('journey_enrolments as e')
      .innerJoin('customers as c', (j) =>
        j.onRef('c.corp_id', '=', 'e.corp_id').onRef('c.id', '=', 'e.customer_id'),
      )
      .select(['e.id', 'e.node', 'e.status', 'e.steps', 'e.due_at', 'c.first_added_at'])
      .where('e.corp_id', '=', CORP)
      .where('e.journey_id', '=', journeys[0]!.id)
      .execute();
    const today = welcome.filter((e) => e.first_added_at!.getTime() > Date.now() - 3_600_000);
    expect(today.length).toBeGreaterThanOrEqual(5);
    const now = new Date();
    if (inQuietHours(DEFAULT_BUDGET, now)) {
      // at night in the brand's time the day-0 pack waits for the end of quiet hours, nothing dropped
      const morning = afterQuietHours(DEFAULT_BUDGET, now).getTime();
      for (const e of today) {
        expect(e).toMatchObject({ node: 'day0', status: 'active', steps: 0 });
        expect(Math.abs(e.due_at.getTime() - morning)).toBeLessThanOrEqual(60_000);
      }
      return;
    }
    // today's adds (the live customers) sent their day-0 pack through the engine and wait for day 3
    for (const e of today) expect(e).toMatchObject({ node: 'wait3', status: 'active', steps: 1 });
    const packs = await db
      .selectFrom('wecom_outbox')
      .select('status')
      .where('corp_id', '=', CORP)
      .where('kind', '=', '/cgi-bin/externalcontact/add_msg_template')
      .execute();
    expect(packs.length).toBeGreaterThanOrEqual(today.length);
    expect(counts.journeys_enrolled).toBeGreaterThan(today.length);
  });

  it('has a weekly 会员日 group send whose past Wednesdays went out to the welfare groups, with results per group', async () => {
    const admin = await getterAs(s, 'admin@demo');
    const list = (await admin('/outreach/mass-sends?limit=50')).items as Json[];
    const series = list.find((m) => m.name === '周三会员日');
    expect(series).toMatchObject({ target: 'groups', recurring: true, status: 'scheduled' });
    const view = await admin(`/outreach/mass-sends/${series.id}`);
    expect(view.recurrence).toMatchObject({ weekdays: [3], time: '10:00' });
    expect(Date.parse(view.sendAt)).toBeGreaterThan(Date.now());
    expect(counts.member_day_occurrences).toBeGreaterThanOrEqual(2);
    const occurrences = view.groups.occurrences as Json[];
    expect(occurrences).toHaveLength(counts.member_day_occurrences!);
    for (const o of occurrences) {
      expect(new Date(Date.parse(o.sendAt) + 8 * 3_600_000).getUTCDay()).toBe(3);
      expect(o.groups).toBeGreaterThan(0);
    }
    expect(occurrences.some((o) => o.sent > 0)).toBe(true);
    // a Wednesday past its confirmation window ended: 部分完成, the owners who never confirmed 未确认
    const over = occurrences.filter((o) => Date.parse(o.sendAt) + 25 * 3_600_000 <= Date.now());
    expect(over.length).toBeGreaterThan(0);
    expect(over.every((o) => o.status === 'done')).toBe(true);
    expect(over.some((o) => o.unconfirmed > 0)).toBe(true);
    const last = occurrences[0]!;
    const rows = (await admin(`/outreach/mass-sends/${last.id}/groups?limit=50`)).items as Json[];
    expect(rows.length).toBe(last.groups);
    expect(rows.every((r) => r.type === 'welfare')).toBe(true);
    const sent = rows.filter((r) => r.status === 'sent');
    expect(sent.length).toBe(last.sent);
    expect(sent.every((r) => r.ownerConfirmedAt !== null)).toBe(true);
    // each group got its own name and store in the text
    const { messages } = await simGet(s, `/sim/corps/${wecomCorpId}/messages?limit=10000`);
    const memberDay = (messages as Json[]).filter((m) => String(m.content).includes('今天是周三会员日'));
    expect(memberDay.length).toBeGreaterThanOrEqual(sent.length);
    expect(memberDay.some((m) => /^禾木.+福利群的朋友们/.test(m.content))).toBe(true);
    expect(memberDay.every((m) => !String(m.content).includes('{{'))).toBe(true);
  });

  it('has 30 days of group statistics per store: joins, leaves, speakers and messages', async () => {
    expect(counts.group_stats_days).toBeGreaterThanOrEqual(30);
    const admin = await getterAs(s, 'admin@demo');
    const stats = await admin('/groups/stats?days=30');
    const items = stats.items as Json[];
    const stores = new Set(items.map((d) => d.unitId));
    expect(stores.size).toBeGreaterThanOrEqual(3);
    const total = (k: string) => items.reduce((n, d) => n + d[k], 0);
    expect(total('membersAdded')).toBeGreaterThan(0);
    expect(total('messages')).toBeGreaterThan(0);
    expect(total('activeMembers')).toBeGreaterThan(0);
    expect(items.every((d) => d.members >= d.activeMembers)).toBe(true);
    // every store to yesterday (the China day before today), 30 days each; the last week has messages too
    const yesterday = new Date(Date.now() + 8 * 3_600_000 - 86_400_000).toISOString().slice(0, 10);
    expect(stats.lastDay).toBe(yesterday);
    for (const unit of stores) {
      const days = items.filter((d) => d.unitId === unit).map((d) => d.day as string);
      expect(days.length, `store ${unit}`).toBe(30);
      expect(days.sort().at(-1), `store ${unit}`).toBe(yesterday);
    }
    const lastWeek = [...new Set(items.map((d) => d.day))].sort().slice(-7);
    expect(lastWeek.at(-1)).toBe(yesterday);
    expect(items.filter((d) => lastWeek.includes(d.day)).reduce((n, d) => n + d.messages, 0)).toBeGreaterThan(
      0,
    );
    // a store manager sees their store's figures only
    const store = await getterAs(s, 'sh-jingan@demo');
    const own = (await store('/groups/stats?days=30')).items as Json[];
    expect(own.length).toBeGreaterThan(0);
    expect(new Set(own.map((d) => d.unitName))).toEqual(new Set([own[0]!.unitName]));
  });

  it('has mass sends in several states, each customer once through one sender, dated in the past', async () => {
    const sends = await s.database.db
      .selectFrom('mass_sends')
      .select(['id', 'name', 'status', 'created_at', 'target'])
      .where('corp_id', '=', CORP)
      .where('series_id', 'is', null)
      .orderBy('id')
      .execute();
    expect(sends.length).toBe(counts.mass_sends);
    // a small brand may have nobody in a segment: that send is left out
    const toCustomers = sends.filter((m) => m.target === 'customers');
    expect(toCustomers.length).toBeGreaterThanOrEqual(2);
    expect(toCustomers[0]!.status).toMatch(/^(done|sending)$/);
    expect(toCustomers[0]!.created_at.getTime()).toBeLessThan(Date.now() - 2 * 86_400_000);
    const sent = await s.database.db
      .selectFrom('mass_send_recipients')
      .select(['mass_send_id', 'customer_id', 'staff_id', 'status'])
      .where('corp_id', '=', CORP)
      .where('status', '=', 'sent')
      .execute();
    expect(sent.length).toBeGreaterThan(0);
    const touches = await s.database.db
      .selectFrom('touches')
      .select(['customer_id', 'source_id', 'status'])
      .where('corp_id', '=', CORP)
      .where('status', '=', 'sent')
      .execute();
    expect(touches.length).toBe(sent.length);
    // some customers answered their sender: the session archive has their messages, and the touches they
    // answered are marked replied (no earlier than the touch, within the 7-day window)
    const replied = await s.database.db
      .selectFrom('touches')
      .select(['at', 'replied_at'])
      .where('corp_id', '=', CORP)
      .where('replied_at', 'is not', null)
      .execute();
    expect(replied.length).toBeGreaterThan(0);
    for (const r of replied) {
      expect(r.replied_at!.getTime()).toBeGreaterThanOrEqual(r.at.getTime());
      expect(r.replied_at!.getTime() - r.at.getTime()).toBeLessThanOrEqual(7 * 86_400_000);
    }
    const names = sends.map((m) => m.name);
    // the launch went out with its library item's picture and mini-program card, uploaded as WeCom media
    // once (kept with their 3 days) and received as such by the customers who got it
    // (a brand with no super user reachable ten days ago leaves the launch out, as the 150-customer one here)
    const launch = sends.find((m) => m.name === '新品上市：芒果多多');
    if (launch) {
      const media = await s.database.db
        .selectFrom('content_media')
        .select(['source', 'media_id', 'expires_at'])
        .where('corp_id', '=', CORP)
        .execute();
      expect(media.map((m) => m.source.split('/').pop()).sort()).toEqual(
        expect.arrayContaining(['mango.png', 'mini-cover.png']),
      );
      const got = await s.database.db
        .selectFrom('mass_send_recipients as r')
        .innerJoin('customers as c', (j) =>
          j.onRef('c.corp_id', '=', 'r.corp_id').onRef('c.id', '=', 'r.customer_id'),
        )
        .select('c.external_userid')
        .where('r.corp_id', '=', CORP)
        .where('r.mass_send_id', '=', launch.id)
        .where('r.status', '=', 'sent')
        .executeTakeFirstOrThrow();
      const { messages } = (await simGet(
        s,
        `/sim/corps/${wecomCorpId}/messages?external_userid=${got.external_userid}`,
      )) as {
        messages: {
          kind: string;
          content: string;
          attachments?: { msgtype: string; media_id: string; filename: string }[];
        }[];
      };
      const received = messages.find((m) => m.kind === 'mass' && m.content.includes('芒果多多'));
      expect(received?.attachments).toEqual([
        expect.objectContaining({
          msgtype: 'image',
          filename: 'mango.png',
          media_id: expect.stringMatching(/^3/),
        }),
        expect.objectContaining({ msgtype: 'miniprogram', filename: 'mini-cover.png' }),
      ]);
    }
    if (names.includes('好久不见：回归请你喝一杯')) {
      expect(sends.find((m) => m.name === '好久不见：回归请你喝一杯')!.status).toBe('cancelled');
    }
    if (names.includes('周末亲子 DIY：做一杯自己的奶茶')) {
      expect(sends.find((m) => m.name === '周末亲子 DIY：做一杯自己的奶茶')!.status).toBe('scheduled');
    }
    expect(s.simClock.offsetMs).toBe(0);
  });

  it('gives its front-line staff tasks in every state, and sends the due reminders into the simulator', async () => {
    const login = await fetch(`${s.siyuUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'sh-jingan@demo', password: DEMO_PASSWORD }),
    });
    const cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const get = async (path: string) => {
      const res = await fetch(`${s.siyuUrl}/api/v1${path}`, { headers: { cookie } });
      expect(res.status, path).toBe(200);
      return (await res.json()) as Json;
    };
    const { items } = await get('/tasks?state=all&limit=100');
    expect(items.length).toBeGreaterThanOrEqual(6);
    expect(new Set(items.map((t: Json) => t.unitName))).toEqual(new Set(['上海静安店']));
    const states = new Set(items.map((t: Json) => t.state));
    for (const state of ['done_on_time', 'done_late', 'overdue', 'open', 'dismissed'])
      expect(states).toContain(state);
    const stats = await get('/tasks/stats?by=staff');
    expect(stats.items.length).toBe(2);
    expect(stats.total.completionRate).toBeGreaterThan(0);
    expect(stats.total.completionRate).toBeLessThan(1);

    expect(counts.tasks).toBe(await count(s, 'tasks'));
    expect(counts.task_reminders).toBeGreaterThan(0);
    const { messages } = await simGet(s, `/sim/corps/${wecomCorpId}/app-messages?limit=1000`);
    expect(messages).toHaveLength(counts.task_reminders!);
    const sent = items.filter((t: Json) => t.reminder.state === 'sent');
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(sent.every((t: Json) => t.state === 'overdue' || t.state === 'open')).toBe(true);
  });

  it('has colleagues’ quotes with their notes, some for one item at different prices, flagged on the profile', async () => {
    expect(counts.quotes).toBeGreaterThan(0);
    expect(counts.quote_conflicts).toBeGreaterThan(0);
    const { rows } = await sql<{ customer_id: number }>`
      select distinct customer_id from customer_events
      where corp_id = ${CORP} and kind = 'note' and data ? 'quote'`.execute(s.database.db);
    expect(rows.length * 2).toBe(counts.quotes);
    const hq = await getterAs(s, 'admin@demo');
    let conflicting = 0;
    for (const { customer_id } of rows) {
      const { quotes, timeline } = await hq(`/customers/${customer_id}`);
      expect(quotes).toHaveLength(2);
      expect(new Set(quotes.map((q: Json) => q.item)).size).toBe(1);
      if (quotes[0].conflicting) conflicting++;
      expect(quotes[0].conflicting).toBe(quotes[0].amountFen !== quotes[1].amountFen);
      expect(timeline.some((e: Json) => e.text.zh.includes('报价「'))).toBe(true);
    }
    expect(conflicting).toBe(counts.quote_conflicts);
  });

  it('plans a month of 朋友圈 on the three axes: published ones with each member’s status and counts, planned ones ahead', async () => {
    const range = `from=${new Date(Date.now() - 30 * 86_400_000).toISOString()}&to=${new Date(Date.now() + 25 * 86_400_000).toISOString()}`;
    const hq = await getterAs(s, 'admin@demo');
    const { items } = await hq(`/moments?${range}`);
    const published = items.filter((p: Json) => p.status === 'published');
    const planned = items.filter((p: Json) => p.status === 'planned');
    expect(published.length).toBe(counts.moments_published);
    expect(planned.length).toBe(counts.moments_planned);
    expect(published.length).toBeGreaterThanOrEqual(8);
    expect(planned.length).toBeGreaterThanOrEqual(5);
    expect(published.every((p: Json) => new Date(p.plannedAt).getTime() < Date.now())).toBe(true);
    expect(planned.every((p: Json) => new Date(p.plannedAt).getTime() > Date.now())).toBe(true);
    expect(new Set(items.map((p: Json) => p.axis))).toEqual(new Set(['product', 'persona', 'story']));
    // most members published, some did not; customers liked and commented
    const sum = (key: string) => published.reduce((a: number, p: Json) => a + p[key], 0);
    expect(sum('publishedCount')).toBeGreaterThan(0);
    expect(sum('publishedCount')).toBeLessThan(sum('memberCount'));
    expect(sum('visible')).toBeGreaterThan(0);
    expect(sum('likes')).toBeGreaterThan(0);
    expect(sum('comments')).toBeGreaterThan(0);
    const busiest = published.reduce((a: Json, p: Json) => (p.memberCount > a.memberCount ? p : a));
    const detail = await hq(`/moments/${busiest.id}`);
    expect(detail.members.length).toBe(busiest.memberCount);
    expect(
      detail.members.some((m: Json) => m.status === 'published' && m.visible > 0),
      JSON.stringify({ ...detail, body: '' }),
    ).toBe(true);
    expect(detail.mediaIds.length).toBeGreaterThan(0);
    // a store manager sees their store's posts only
    const store = await getterAs(s, 'sh-jingan@demo');
    const own = (await store(`/moments?${range}`)).items;
    expect(own.length).toBeGreaterThanOrEqual(1);
    expect(new Set(own.map((p: Json) => p.unitName))).toEqual(new Set(['上海静安店']));
    expect(s.simClock.offsetMs).toBe(0);
  });

  it('gives 经营杠杆 believable figures: channel GMV and CAC, two pilots, complaints on the 芋泥波波 buyers', async () => {
    const db = s.database.db;
    const api = await getterAs(s, 'admin@demo');
    // The history's adds through the printed codes count for their channels (the codes kept their states).
    const attributed = await sql<{ n: number }>`
      select count(*)::int n from channel_adds a join follows f on f.corp_id = a.corp_id
        and f.customer_id = a.customer_id and f.staff_id = a.staff_id and f.added_at = a.added_at
      where a.corp_id = ${CORP} and f.state like 'ch\_%' and f.added_at < now() - interval '1 day'`.execute(
      db,
    );
    expect(attributed.rows[0]!.n).toBeGreaterThan(30);
    const roi = await api('/insight/roi');
    const channels = roi.rows.filter((r: Json) => r.targetKind === 'channel');
    expect(channels.length).toBeGreaterThan(3);
    expect(channels.map((r: Json) => r.targetName)).toContain('门店台卡');
    const spent = channels.filter((r: Json) => r.newCustomers > 0);
    expect(spent.length).toBeGreaterThan(3);
    for (const r of spent) expect(r.cacFen).toBeGreaterThan(0);
    expect(spent.reduce((sum: number, r: Json) => sum + r.attributedGmvFen, 0)).toBeGreaterThan(0);
    expect(spent.filter((r: Json) => r.roi > 0).length).toBeGreaterThan(1);
    // The journeys beside the mass sends: their spend, and (unless the day-0 pack waits for the end of quiet
    // hours) the orders credited to them and their ROI.
    const journeys = roi.campaigns.filter((c: Json) => c.kind === 'journey');
    expect(journeys.map((c: Json) => c.name)).toContain('新客 7 天欢迎旅程');
    for (const j of journeys) expect(j.spendFen).toBeGreaterThan(0);
    expect(journeys.reduce((sum: number, j: Json) => sum + j.orders, 0)).toBe(counts.journey_orders);
    if (counts.journey_orders! > 0) expect(journeys.some((j: Json) => j.roi > 0)).toBe(true);
    expect(roi.campaigns.some((c: Json) => c.kind === 'mass_send' && c.gmvFen > 0)).toBe(true);
    // Two pilots, each with its stores and an effect computed against the other stores.
    const pilots = (await api('/insight/pilots')).items;
    expect(pilots.map((p: Json) => p.name).sort()).toEqual(['周三会员日满减', '第二杯半价旅程']);
    for (const p of pilots) {
      const effect = await api(`/insight/pilot-effect?pilotId=${p.id}`);
      expect(effect.stores.filter((x: Json) => x.pilot)).toHaveLength(2);
      expect(effect.measures.gmvFen).not.toBeNull();
    }
    // Complaints: the 芋泥波波's buyers carry 投诉 more often than the other buyers, on the product's page too.
    const product = await api('/insight/products/D10');
    expect(product.complained).toBeGreaterThan(0);
    expect(product.complaintRate).toBeGreaterThan(product.baseline.complaintRate);
  });

  it('reports what it built', async () => {
    expect(counts).toMatchObject({
      corps: 1,
      org_units: 9,
      staff: STAFF.filter((d) => d.departedDaysAgo === undefined).length,
      accounts: ACCOUNTS.length,
      tag_groups: TAG_GROUPS.length,
      sim_customers: 150,
      live_customers: 5,
    });
    expect(counts.customers).toBe(await count(s, 'customers'));
    expect(counts.sim_transfers).toBeGreaterThan(0);
    for (const key of ['history_ms', 'sync_ms', 'live_ms']) expect(counts[key]).toBeGreaterThanOrEqual(0);
  });
});

describe('the demo brand through the control API only (simulator in another process)', () => {
  let s: Setup;
  let counts: Record<string, number>;

  beforeAll(async () => {
    s = await setUp();
    ({ counts } = await buildDemoThroughSimulator({
      db: s.database.db,
      pii,
      hashPassword: async (p) => `test$${p}`,
      simulatorUrl: s.simulator.url,
      simClock: s.simClock,
      siyuUrl: s.siyuUrl,
      runtime: s.app.runtime,
      customers: 60,
      liveCustomers: 2,
      seed: 11,
    }));
  }, 180_000);
  afterAll(() => s?.close());

  it('builds the same kind of brand over HTTP, resignation and 离职继承 included', async () => {
    // Every history step was an HTTP request.
    expect(counts.sim_history_operations).toBe(counts.sim_requests);
    expect(counts.sim_requests).toBeGreaterThan(200);
    expect(counts.sim_transfers).toBeGreaterThan(0);
    expect(counts.live_customers).toBe(2);
    expect(s.simClock.offsetMs).toBe(0);
    const { wecom_corp_id } = await s.database.db
      .selectFrom('wecom_connections')
      .select('wecom_corp_id')
      .where('corp_id', '=', CORP)
      .executeTakeFirstOrThrow();
    const { members } = await simGet(s, `/sim/corps/${wecom_corp_id}/members`);
    const departed = STAFF.filter((d) => d.departedDaysAgo !== undefined).map((d) => d.userid);
    // and one more left this morning (the 离职继承 waiting on 客户继承) when the store had enough customers
    expect(members.length).toBe(STAFF.length - departed.length - (counts.transfers_departure ? 1 : 0));
    for (const m of members) expect(departed).not.toContain(m.userid);
    const transferred = await s.database.db
      .selectFrom('follows')
      .select('id')
      .where('corp_id', '=', CORP)
      .where('add_way', '=', 202)
      .execute();
    // the history's 离职继承 and the demo's 在职转接 (done, carried over with add_way 202)
    expect(transferred.length).toBe(counts.sim_transfers! + counts.transfers_reassigned!);
    expect(await count(s, 'staff')).toBe(STAFF.filter((d) => d.departedDaysAgo === undefined).length);
    expect(await count(s, 'accounts')).toBe(ACCOUNTS.length);
    expect(await count(s, 'customers')).toBeGreaterThan(50);
    const inbox = await s.database.db
      .selectFrom('wecom_inbox')
      .select('status')
      .where('corp_id', '=', CORP)
      .execute();
    expect(inbox.length).toBeGreaterThanOrEqual(2);
    expect(inbox.every((r) => r.status === 'done')).toBe(true);
  });
});
