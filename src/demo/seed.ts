import { type Kysely, sql } from 'kysely';
import { namePinyin, searchText } from '../modules/customers/rules.ts';
import type { Tables } from '../modules/tables.ts';
import { maskPhone, type Pii } from '../platform/pii.ts';
import { ACCOUNTS, BRAND, demoCard, STAFF, TAG_GROUPS, UNITS } from './brand.ts';
import {
  type CustomerPlan,
  customerPlans,
  joinedDaysAgo,
  staffByUserid,
  staffMobile,
  unitByCode,
} from './generate.ts';
import { Random } from './random.ts';

/**
 * The demo brand 禾木茶饮: an org tree of HQ, two regions and six stores, ~30 staff, console logins for every
 * role, tag groups, and a few thousand customers with their follows, tags and timelines, all generated from a
 * seed and dated relative to `now`.
 *
 * `seedDemo` writes the brand straight into Siyu's tables, bypassing WeCom: it is for tests and benchmarks
 * that need a large brand fast. What `siyu start` and `siyu demo` build is `simulated.ts`: the same brand
 * made in the WeCom simulator and brought into Siyu through WeCom's own sync and callbacks.
 */

export interface DemoLogin {
  login: string;
  role: string;
  unit: string;
}

export const DEMO_CORP_ID = 'demo';
export const DEMO_PASSWORD = 'siyu1234';

export interface SeedDemoOptions {
  pii: Pii;
  hashPassword: (password: string) => Promise<string>;
  /** Default 3000. */
  customers?: number;
  /** Default 20240601: the same seed gives the same brand. */
  seed?: number;
  /** Every date is relative to this; default the current time. */
  now?: Date;
  onProgress?: (done: number, total: number) => void;
}

const CORP = DEMO_CORP_ID;
const DAY = 86_400_000;
/** Customers written per transaction: short enough for PGlite's single connection to stay responsive. */
const CUSTOMER_BATCH = 500;
/** Rows per insert statement. */
const ROWS_PER_INSERT = 1000;

/**
 * The demo brand's org tree (UNITS), parents first, each with its materialised path; with `deptOf`, each
 * unit is linked to the WeCom department that mirrors it. Returns unit code → id.
 */
export async function insertDemoUnits(
  tx: Kysely<Tables>,
  ago: (days: number) => Date,
  deptOf?: ReadonlyMap<string, number>,
): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  const paths = new Map<string, string>();
  for (const u of UNITS) {
    const { id } = await tx
      .insertInto('org_units')
      .values({
        corp_id: CORP,
        parent_id: u.parent ? ids.get(u.parent)! : null,
        wecom_dept_id: deptOf?.get(u.code) ?? null,
        kind: u.kind,
        name: u.name,
        code: u.code,
        path: '/',
        created_at: ago(u.openedDaysAgo),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const path = `${u.parent ? paths.get(u.parent)! : '/'}${id}/`;
    await tx
      .updateTable('org_units')
      .set({ path })
      .where('corp_id', '=', CORP)
      .where('id', '=', id)
      .execute();
    ids.set(u.code, id);
    paths.set(u.code, path);
  }
  return ids;
}

/** Seeds the demo brand, replacing any earlier demo brand in the database. */
export async function seedDemo(
  db: Kysely<Tables>,
  opts: SeedDemoOptions,
): Promise<{ logins: DemoLogin[]; counts: Record<string, number> }> {
  const now = opts.now ?? new Date();
  const seed = opts.seed ?? 20240601;
  const total = opts.customers ?? 3000;
  const ago = (days: number) => new Date(now.getTime() - days * DAY);
  const passwordHash = await opts.hashPassword(DEMO_PASSWORD);
  opts.onProgress?.(0, total);

  await removeDemo(db);

  // The brand's skeleton: corp, org tree, staff, tags, accounts.
  const ids = await inTransaction(db, async (tx) => {
    await tx
      .insertInto('corps')
      .values({
        corp_id: CORP,
        name: BRAND.name,
        wecom_corp_id: null,
        business_type: BRAND.businessType,
        created_at: ago(580),
      })
      .execute();

    const unitIds = await insertDemoUnits(tx, ago);

    const rng = new Random(seed ^ 0x5eed);
    const staffRows = await tx
      .insertInto('staff')
      .values(
        STAFF.map((s) => ({
          corp_id: CORP,
          userid: s.userid,
          name: s.name,
          unit_id: unitIds.get(s.unit)!,
          persona: s.persona,
          persona_name: s.personaName,
          ...demoCard(s),
          qr_code: `https://open.work.weixin.qq.com/wwopen/userQRCode?vcode=${Buffer.from(s.userid).toString('hex')}`,
          journey_role: s.journeyRole,
          title: s.title,
          mobile_masked: maskPhone(staffMobile(rng)),
          status: s.departedDaysAgo === undefined ? ('active' as const) : ('departed' as const),
          created_at: ago(joinedDaysAgo(s) + 3),
        })),
      )
      .returning(['id', 'userid'])
      .execute();
    const staffIds = new Map(staffRows.map((r) => [r.userid, r.id]));

    const tagIds = new Map<string, { tagId: number; groupId: number }>();
    for (const [i, g] of TAG_GROUPS.entries()) {
      const { id: groupId } = await tx
        .insertInto('tag_groups')
        .values({
          corp_id: CORP,
          wecom_group_id: null,
          name: g.name,
          audience: g.audience,
          sort_order: i,
          created_at: ago(570),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const tags = await tx
        .insertInto('tags')
        .values(
          g.tags.map((name, j) => ({
            corp_id: CORP,
            group_id: groupId,
            wecom_tag_id: null,
            name,
            sort_order: j,
            created_at: ago(570),
          })),
        )
        .returning(['id', 'name'])
        .execute();
      for (const t of tags) tagIds.set(`${g.name}/${t.name}`, { tagId: t.id, groupId });
    }

    await tx
      .insertInto('accounts')
      .values(
        ACCOUNTS.map((a) => ({
          corp_id: CORP,
          username: a.username,
          display_name: a.displayName,
          password_hash: passwordHash,
          role: a.role,
          unit_id: unitIds.get(a.unit)!,
          staff_id: a.staff ? (staffIds.get(a.staff) ?? null) : null,
          created_at: ago(560),
          disabled: a.disabledDaysAgo !== undefined,
          disabled_at: a.disabledDaysAgo !== undefined ? ago(a.disabledDaysAgo) : null,
        })),
      )
      .execute();
    return { unitIds, staffIds, tagIds };
  });

  const counts: Record<string, number> = {
    corps: 1,
    org_units: UNITS.length,
    staff: STAFF.length,
    accounts: ACCOUNTS.length,
    tag_groups: TAG_GROUPS.length,
    tags: ids.tagIds.size,
    customers: 0,
    follows: 0,
    customer_tags: 0,
    customer_events: 0,
  };
  let batch: CustomerPlan[] = [];
  let done = 0;
  const flush = async () => {
    const written = await inTransaction(db, (tx) => insertCustomers(tx, batch, ids, opts.pii));
    for (const [table, n] of Object.entries(written)) counts[table] = (counts[table] ?? 0) + n;
    done += batch.length;
    batch = [];
    opts.onProgress?.(done, total);
  };
  for (const customer of customerPlans(total, seed, now)) {
    batch.push(customer);
    if (batch.length === CUSTOMER_BATCH) await flush();
  }
  if (batch.length > 0) await flush();

  const logins = ACCOUNTS.filter((a) => a.disabledDaysAgo === undefined).map((a) => ({
    login: `${a.username}@${CORP}`,
    role: a.role,
    unit: unitByCode(a.unit).name,
  }));
  return { logins, counts };
}

interface Ids {
  staffIds: Map<string, number>;
  tagIds: Map<string, { tagId: number; groupId: number }>;
}

async function insertCustomers(
  tx: Kysely<Tables>,
  batch: CustomerPlan[],
  ids: Ids,
  pii: Pii,
): Promise<Record<string, number>> {
  const staffId = (userid: string) => ids.staffIds.get(userid)!;
  const customerRows = batch.map((c) => {
    const phoneMasked = c.phone ? maskPhone(c.phone) : null;
    const pinyin = namePinyin(c.name);
    return {
      corp_id: CORP,
      external_userid: c.externalUserid,
      unionid: c.unionid,
      name: c.name,
      name_pinyin: pinyin,
      gender: c.gender,
      avatar: c.avatar,
      phone_cipher: c.phone ? pii.encrypt(c.phone) : null,
      phone_hash: c.phone ? pii.hash(c.phone) : null,
      phone_masked: phoneMasked,
      search_text: searchText({
        name: c.name,
        namePinyin: pinyin,
        remarks: c.follows.map((f) => f.remark),
        phoneMasked,
      }),
      first_added_at: c.firstAddedAt,
      created_at: c.firstAddedAt,
      updated_at: c.updatedAt,
    };
  });
  const customerIds = new Map<string, number>();
  for (const rows of chunks(customerRows)) {
    const inserted = await tx
      .insertInto('customers')
      .values(rows)
      .returning(['id', 'external_userid'])
      .execute();
    for (const r of inserted) customerIds.set(r.external_userid, r.id);
  }

  const followRows = batch.flatMap((c) =>
    c.follows.map((f) => ({
      corp_id: CORP,
      customer_id: customerIds.get(c.externalUserid)!,
      staff_id: staffId(f.staff),
      remark: f.remark,
      description: f.description,
      add_way: f.addWay,
      state: f.state,
      journey_role: f.journeyRole,
      status: f.status,
      added_at: f.addedAt,
      ended_at: f.endedAt,
    })),
  );
  const followIds = new Map<string, number>();
  for (const rows of chunks(followRows)) {
    const inserted = await tx
      .insertInto('follows')
      .values(rows)
      .returning(['id', 'customer_id', 'staff_id'])
      .execute();
    for (const r of inserted) followIds.set(`${r.customer_id}:${r.staff_id}`, r.id);
  }

  const tagRows = batch.flatMap((c) =>
    c.tags.map((t) => ({
      corp_id: CORP,
      customer_id: customerIds.get(c.externalUserid)!,
      tag_id: ids.tagIds.get(`${t.group}/${t.tag}`)!.tagId,
      staff_id: staffId(t.staff),
      tagged_at: t.at,
    })),
  );
  for (const rows of chunks(tagRows)) await tx.insertInto('customer_tags').values(rows).execute();

  const eventRows = batch.flatMap((c) => timeline(c, customerIds.get(c.externalUserid)!, ids, followIds));
  for (const rows of chunks(eventRows)) await tx.insertInto('customer_events').values(rows).execute();

  return {
    customers: customerRows.length,
    follows: followRows.length,
    customer_tags: tagRows.length,
    customer_events: eventRows.length,
  };
}

interface EventRow {
  corp_id: string;
  customer_id: number;
  at: Date;
  kind: string;
  staff_id: number | null;
  summary: string;
  data: string;
}

/** The customer's timeline: every follow added and ended, every tag, and the staff's notes. */
function timeline(c: CustomerPlan, customerId: number, ids: Ids, followIds: Map<string, number>): EventRow[] {
  const events: EventRow[] = [];
  const push = (
    at: Date,
    kind: string,
    staffId: number | null,
    summary: string,
    data: Record<string, unknown>,
  ) =>
    events.push({
      corp_id: CORP,
      customer_id: customerId,
      at,
      kind,
      staff_id: staffId,
      summary,
      data: JSON.stringify({ customer_id: customerId, ...data }),
    });
  for (const f of c.follows) {
    const staff = staffByUserid(f.staff);
    const staffId = ids.staffIds.get(f.staff)!;
    const followId = followIds.get(`${customerId}:${staffId}`)!;
    const who = `${staff.name}（${unitByCode(staff.unit).name} ${staff.title}）`;
    if (f.transferredFrom) {
      const from = staffByUserid(f.transferredFrom);
      push(f.addedAt, 'follow_added', staffId, `离职继承：${from.name} 的客户转给 ${who}`, {
        follow_id: followId,
        staff_id: staffId,
        add_way: f.addWay,
        transferred_from_staff_id: ids.staffIds.get(f.transferredFrom)!,
      });
    } else {
      push(f.addedAt, 'follow_added', staffId, `添加了 ${who}`, {
        follow_id: followId,
        staff_id: staffId,
        add_way: f.addWay,
        state: f.state,
      });
    }
    if (f.endedAt) {
      const summary = f.status === 'deleted_by_staff' ? `${who} 已离职，客户关系结束` : `删除了 ${who}`;
      push(f.endedAt, 'follow_deleted', staffId, summary, {
        follow_id: followId,
        staff_id: staffId,
        status: f.status,
      });
    }
  }
  for (const t of c.tags) {
    const staff = staffByUserid(t.staff);
    const staffId = ids.staffIds.get(t.staff)!;
    const tag = ids.tagIds.get(`${t.group}/${t.tag}`)!;
    push(t.at, 'tag_added', staffId, `${staff.name} 添加了标签「${t.group}：${t.tag}」`, {
      tag_id: tag.tagId,
      group_id: tag.groupId,
      staff_id: staffId,
    });
  }
  for (const n of c.notes) {
    const staffId = ids.staffIds.get(n.staff)!;
    push(n.at, 'note', staffId, n.text, { staff_id: staffId });
  }
  return events;
}

/**
 * Deletes every row of corp 'demo' from every table of the schema, children before parents, in one
 * transaction. The tables and their foreign keys are read from the catalogue, so tables added by later
 * modules are covered too.
 */
export async function removeDemo(db: Kysely<Tables>): Promise<void> {
  await inTransaction(db, async (tx) => {
    // the audit log refuses deletes except of a brand being erased whole (its trigger reads this)
    await sql`select set_config('siyu.erase_corp', ${CORP}, true)`.execute(tx);
    const tables = (
      await sql<{ table_name: string }>`
        select c.table_name from information_schema.columns c
        join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
        where c.table_schema = 'public' and c.column_name = 'corp_id' and t.table_type = 'BASE TABLE'
        order by c.table_name`.execute(tx)
    ).rows.map((r) => r.table_name);
    const fks = (
      await sql<{ child: string; parent: string; columns: string[]; nullable: boolean }>`
        select ch.relname::text as child, pa.relname::text as parent,
          array(select a.attname::text from pg_attribute a
                where a.attrelid = con.conrelid and a.attnum = any(con.conkey) order by a.attnum) as columns,
          not exists (select 1 from pg_attribute a
                      where a.attrelid = con.conrelid and a.attnum = any(con.conkey)
                        and a.attname <> 'corp_id' and a.attnotnull) as nullable
        from pg_constraint con
        join pg_class ch on ch.oid = con.conrelid
        join pg_class pa on pa.oid = con.confrelid
        join pg_namespace n on n.oid = ch.relnamespace
        where con.contype = 'f' and n.nspname = 'public'`.execute(tx)
    ).rows;

    // A table pointing at itself (org_units.parent_id): unlink its rows first so they can go in one statement.
    for (const fk of fks) {
      if (fk.child !== fk.parent || !tables.includes(fk.child) || !fk.nullable) continue;
      const cols = fk.columns.filter((c) => c !== 'corp_id');
      if (cols.length === 0) continue;
      const set = sql.join(cols.map((c) => sql`${sql.ref(c)} = null`));
      await sql`update ${sql.table(fk.child)} set ${set} where corp_id = ${CORP}`.execute(tx);
    }

    // Children first: repeatedly delete the tables no remaining table refers to.
    const remaining = new Set(tables);
    while (remaining.size > 0) {
      const referenced = new Set(
        fks.filter((fk) => fk.child !== fk.parent && remaining.has(fk.child)).map((fk) => fk.parent),
      );
      let ready = [...remaining].filter((t) => !referenced.has(t));
      if (ready.length === 0) ready = [...remaining]; // a cycle between tables: let the database judge
      for (const t of ready) {
        await sql`delete from ${sql.table(t)} where corp_id = ${CORP}`.execute(tx);
        remaining.delete(t);
      }
    }
  });
}

async function inTransaction<T>(db: Kysely<Tables>, fn: (tx: Kysely<Tables>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn);
}

function chunks<T>(rows: T[], size = ROWS_PER_INSERT): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}
