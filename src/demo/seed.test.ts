import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namePinyin } from '../modules/customers/index.ts';
import { MIGRATION_SOURCES } from '../modules/index.ts';
import type { Tables } from '../modules/tables.ts';
import { type Database, openDatabase } from '../platform/db/connect.ts';
import { loadMigrations, migrate } from '../platform/db/migrate.ts';
import { createPii } from '../platform/pii.ts';
import { DEMO_CORP_ID, type DemoLogin, removeDemo, seedDemo } from './seed.ts';

const pii = createPii('00'.repeat(32));
const hashPassword = async (p: string) => `test$${p}`;
const now = new Date('2025-06-01T04:00:00Z');

async function freshDb(): Promise<Database<Tables>> {
  const database = await openDatabase<Tables>({ memory: true });
  await migrate(database.db as Kysely<unknown>, loadMigrations(MIGRATION_SOURCES));
  return database;
}

async function corpTables(db: Kysely<Tables>): Promise<string[]> {
  const { rows } = await sql<{ table_name: string }>`
    select c.table_name from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = 'public' and c.column_name = 'corp_id' and t.table_type = 'BASE TABLE'`.execute(
    db,
  );
  return rows.map((r) => r.table_name);
}

async function countDemoRows(db: Kysely<Tables>, table: string): Promise<number> {
  const { rows } = await sql<{
    n: number;
  }>`select count(*)::int as n from ${sql.table(table)} where corp_id = ${DEMO_CORP_ID}`.execute(db);
  return rows[0]!.n;
}

describe('demo brand', () => {
  let database: Database<Tables>;
  let db: Kysely<Tables>;
  let logins: DemoLogin[];
  let counts: Record<string, number>;
  const progress: [number, number][] = [];

  beforeAll(async () => {
    database = await freshDb();
    db = database.db;
    ({ logins, counts } = await seedDemo(db, {
      pii,
      hashPassword,
      customers: 300,
      seed: 7,
      now,
      onProgress: (done, total) => progress.push([done, total]),
    }));
  });
  afterAll(() => database?.close());

  it('builds the org tree HQ -> 2 regions -> 6 stores with id paths', async () => {
    const units = await db.selectFrom('org_units').selectAll().where('corp_id', '=', DEMO_CORP_ID).execute();
    expect(units.filter((u) => u.kind === 'hq')).toHaveLength(1);
    expect(units.filter((u) => u.kind === 'region')).toHaveLength(2);
    expect(units.filter((u) => u.kind === 'store')).toHaveLength(6);
    const byId = new Map(units.map((u) => [u.id, u]));
    for (const u of units) {
      const parent = u.parent_id === null ? null : byId.get(u.parent_id)!;
      expect(u.path).toBe(`${parent ? parent.path : '/'}${u.id}/`);
    }
    const corp = await db
      .selectFrom('corps')
      .selectAll()
      .where('corp_id', '=', DEMO_CORP_ID)
      .executeTakeFirstOrThrow();
    expect(corp).toMatchObject({ name: '禾木茶饮', business_type: 'tea_drinks' });
  });

  it('has a team of 25-35 staff, some departed, and the counts it reports', async () => {
    const staff = await db.selectFrom('staff').selectAll().where('corp_id', '=', DEMO_CORP_ID).execute();
    expect(staff.length).toBeGreaterThanOrEqual(25);
    expect(staff.length).toBeLessThanOrEqual(35);
    expect(new Set(staff.map((s) => s.userid)).size).toBe(staff.length);
    expect(staff.some((s) => s.status === 'departed')).toBe(true);
    expect(staff.filter((s) => s.journey_role === 'online_ops').every((s) => s.persona === 'brand')).toBe(
      true,
    );
    for (const [table, n] of Object.entries(counts)) expect(await countDemoRows(db, table), table).toBe(n);
    expect(counts.customers).toBe(300);
    expect(progress.at(-1)).toEqual([300, 300]);
  });

  it('follows: every customer has one, some have two or more, every store has customers', async () => {
    const perCustomer = await db
      .selectFrom('customers as c')
      .leftJoin('follows as f', (j) =>
        j.onRef('f.corp_id', '=', 'c.corp_id').onRef('f.customer_id', '=', 'c.id'),
      )
      .select(['c.id', (eb) => eb.fn.count<number>('f.id').as('n')])
      .where('c.corp_id', '=', DEMO_CORP_ID)
      .groupBy('c.id')
      .execute();
    expect(perCustomer).toHaveLength(300);
    expect(perCustomer.every((r) => Number(r.n) >= 1)).toBe(true);
    expect(perCustomer.filter((r) => Number(r.n) >= 2).length).toBeGreaterThan(15);

    const stores = await db
      .selectFrom('org_units as u')
      .leftJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'u.corp_id').onRef('s.unit_id', '=', 'u.id'))
      .leftJoin('follows as f', (j) =>
        j.onRef('f.corp_id', '=', 's.corp_id').onRef('f.staff_id', '=', 's.id'),
      )
      .select(['u.code', (eb) => eb.fn.count<number>('f.customer_id').distinct().as('n')])
      .where('u.corp_id', '=', DEMO_CORP_ID)
      .where('u.kind', '=', 'store')
      .groupBy('u.code')
      .execute();
    expect(stores).toHaveLength(6);
    for (const s of stores) expect(Number(s.n), s.code ?? '').toBeGreaterThan(0);

    // The journey role is copied from the staff member, and first_added_at is the earliest follow.
    const mismatched = await db
      .selectFrom('follows as f')
      .innerJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'f.corp_id').onRef('s.id', '=', 'f.staff_id'))
      .select('f.id')
      .where('f.corp_id', '=', DEMO_CORP_ID)
      .whereRef('f.journey_role', '!=', 's.journey_role')
      .execute();
    expect(mismatched).toHaveLength(0);
    const { rows: wrongFirst } = await sql`
      select c.id from customers c
      where c.corp_id = ${DEMO_CORP_ID}
        and c.first_added_at <> (select min(added_at) from follows f where f.corp_id = c.corp_id and f.customer_id = c.id)`.execute(
      db,
    );
    expect(wrongFirst).toHaveLength(0);
    const ended = await db
      .selectFrom('follows')
      .select(['status', 'ended_at'])
      .where('corp_id', '=', DEMO_CORP_ID)
      .where('status', '!=', 'active')
      .execute();
    expect(ended.length).toBeGreaterThan(0);
    expect(ended.every((f) => f.ended_at !== null)).toBe(true);
  });

  it('every login has its account, with the right role and unit', async () => {
    expect(logins.map((l) => l.login)).toEqual(
      expect.arrayContaining(['admin@demo', 'east@demo', 'south@demo', 'sh-jingan@demo', 'sz-futian@demo']),
    );
    expect(logins.filter((l) => l.role === 'store_manager')).toHaveLength(6);
    expect(logins.filter((l) => l.role === 'staff').length).toBeGreaterThanOrEqual(2);
    for (const l of logins) {
      const [username, corp] = l.login.split('@');
      expect(corp).toBe(DEMO_CORP_ID);
      const account = await db
        .selectFrom('accounts as a')
        .innerJoin('org_units as u', (j) =>
          j.onRef('u.corp_id', '=', 'a.corp_id').onRef('u.id', '=', 'a.unit_id'),
        )
        .select(['a.role', 'a.password_hash', 'a.staff_id', 'u.name as unit', 'u.kind'])
        .where('a.corp_id', '=', DEMO_CORP_ID)
        .where('a.username', '=', username!)
        .executeTakeFirstOrThrow();
      expect(account.role).toBe(l.role);
      expect(account.unit).toBe(l.unit);
      expect(account.password_hash).toBe('test$siyu1234');
      const kind = { hq_admin: 'hq', region_manager: 'region', store_manager: 'store' }[l.role as string];
      if (kind) expect(account.kind).toBe(kind);
      if (l.role === 'staff') expect(account.staff_id).not.toBeNull();
    }
  });

  it('customers are searchable by pinyin, remark and masked phone; phones decrypt and hash', async () => {
    const customers = await db
      .selectFrom('customers')
      .selectAll()
      .where('corp_id', '=', DEMO_CORP_ID)
      .execute();
    for (const c of customers) {
      expect(c.name_pinyin).toBe(namePinyin(c.name));
      expect(c.search_text).toContain(namePinyin(c.name).toLowerCase());
      expect(c.external_userid).toMatch(/^wm[0-9A-Za-z]{28}$/);
      if (c.unionid) expect(c.unionid).toMatch(/^o[0-9A-Za-z]{27}$/);
      if (c.phone_cipher) {
        const phone = pii.decrypt(c.phone_cipher);
        expect(phone).toMatch(/^1\d{10}$/);
        expect(c.phone_hash).toBe(pii.hash(phone));
        expect(c.phone_masked).toBe(`${phone.slice(0, 3)}****${phone.slice(-4)}`);
        expect(c.search_text).toContain(c.phone_masked);
      } else {
        expect(c.phone_hash).toBeNull();
      }
    }
    const withPhone = customers.filter((c) => c.phone_cipher).length;
    expect(withPhone).toBeGreaterThan(120);
    expect(withPhone).toBeLessThan(240);
    expect(customers.filter((c) => c.unionid).length).toBeGreaterThan(150);

    const remarks = await db
      .selectFrom('follows')
      .select(['customer_id', 'remark'])
      .where('corp_id', '=', DEMO_CORP_ID)
      .where('remark', 'is not', null)
      .execute();
    expect(remarks.length).toBeGreaterThan(100);
    const byId = new Map(customers.map((c) => [c.id, c]));
    for (const r of remarks) expect(byId.get(r.customer_id)!.search_text).toContain(r.remark!.toLowerCase());
  });

  it('tags and timeline agree with follows', async () => {
    const { rows: perCustomer } = await sql<{ n: number }>`
      select count(t.tag_id)::int as n from customers c
      left join customer_tags t on t.corp_id = c.corp_id and t.customer_id = c.id
      where c.corp_id = ${DEMO_CORP_ID} group by c.id`.execute(db);
    expect(Math.max(...perCustomer.map((r) => r.n))).toBeLessThanOrEqual(4);
    expect(perCustomer.some((r) => r.n === 0)).toBe(true);
    const { rows: strangers } = await sql`
      select 1 from customer_tags t where t.corp_id = ${DEMO_CORP_ID}
        and not exists (select 1 from follows f where f.corp_id = t.corp_id and f.customer_id = t.customer_id and f.staff_id = t.staff_id)`.execute(
      db,
    );
    expect(strangers).toHaveLength(0);
    const groups = await db
      .selectFrom('tag_groups')
      .select(['name', 'audience'])
      .where('corp_id', '=', DEMO_CORP_ID)
      .execute();
    expect(groups.length).toBeGreaterThanOrEqual(3);

    const kinds = await db
      .selectFrom('customer_events')
      .select(['kind', (eb) => eb.fn.countAll<number>().as('n')])
      .where('corp_id', '=', DEMO_CORP_ID)
      .groupBy('kind')
      .execute();
    const n = Object.fromEntries(kinds.map((k) => [k.kind, Number(k.n)]));
    expect(n.follow_added).toBe(counts.follows);
    expect(n.tag_added).toBe(counts.customer_tags);
    expect(n.follow_deleted).toBeGreaterThan(0);
    const event = await db
      .selectFrom('customer_events')
      .selectAll()
      .where('corp_id', '=', DEMO_CORP_ID)
      .where('kind', '=', 'follow_added')
      .executeTakeFirstOrThrow();
    expect(event.summary).toMatch(/^(添加了|离职继承)/);
    expect(event.data).toMatchObject({ customer_id: event.customer_id, staff_id: event.staff_id });

    // Every date lies in the ~18 months before `now`.
    const { rows: range } = await sql<{ lo: Date; hi: Date }>`
      select min(at) as lo, max(at) as hi from customer_events where corp_id = ${DEMO_CORP_ID}`.execute(db);
    expect(range[0]!.hi.getTime()).toBeLessThanOrEqual(now.getTime());
    expect(now.getTime() - range[0]!.lo.getTime()).toBeLessThan(600 * 86_400_000);
  });

  it('is deterministic: the same seed gives the same customers', async () => {
    const other = await freshDb();
    try {
      await seedDemo(other.db, { pii, hashPassword, customers: 300, seed: 7, now });
      const pick = (d: Kysely<Tables>) =>
        d
          .selectFrom('customers')
          .select(['id', 'name', 'external_userid', 'first_added_at'])
          .where('corp_id', '=', DEMO_CORP_ID)
          .orderBy('id')
          .execute();
      expect(await pick(other.db)).toEqual(await pick(db));
      const follows = (d: Kysely<Tables>) =>
        d
          .selectFrom('follows')
          .select(['customer_id', 'staff_id', 'remark'])
          .where('corp_id', '=', DEMO_CORP_ID)
          .orderBy('id')
          .execute();
      expect(await follows(other.db)).toEqual(await follows(db));

      // Seeding again replaces the demo brand, it does not add to it.
      await seedDemo(other.db, { pii, hashPassword, customers: 50, seed: 8, now });
      const replaced = await pick(other.db);
      expect(replaced).toHaveLength(50);
      expect(replaced.map((c) => c.external_userid)).not.toEqual(
        (await pick(db)).slice(0, 50).map((c) => c.external_userid),
      );
    } finally {
      await other.close();
    }
  });

  it('removeDemo leaves no row of corp demo in any table, and other corps alone', async () => {
    await db
      .insertInto('corps')
      .values({ corp_id: 'other', name: '别的品牌', wecom_corp_id: null, business_type: null })
      .execute();
    const admin = await db
      .selectFrom('accounts')
      .select('id')
      .where('corp_id', '=', DEMO_CORP_ID)
      .where('username', '=', 'admin')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('sessions')
      .values({
        corp_id: DEMO_CORP_ID,
        token_hash: 'h',
        account_id: admin.id,
        csrf_token: 'c',
        created_at: now,
        expires_at: now,
      })
      .execute();
    const tables = await corpTables(db);
    expect(tables).toEqual(
      expect.arrayContaining(['corps', 'org_units', 'customers', 'follows', 'accounts']),
    );
    await removeDemo(db);
    for (const t of tables) expect(await countDemoRows(db, t), t).toBe(0);
    const { rows } = await sql<{
      n: number;
    }>`select count(*)::int as n from corps where corp_id = 'other'`.execute(db);
    expect(rows[0]!.n).toBe(1);
  });
});
