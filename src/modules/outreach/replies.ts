import { sql } from 'kysely';
import { customerMessages, type SessionArchive, simulatedArchive } from '../../wecom/archive.ts';
import { type Deps, type SyncCtx, syncCtxOf } from '../context.ts';
import { applyKeywordRules } from '../tag-rules/index.ts';
import { type CustomerReply, markReplies } from './touches.ts';

/**
 * Replies from the session archive (会话存档): WeCom hands customers' messages over only there. Each pass
 * reads the brand's records after its cursor, takes the one-to-one messages customers wrote to members,
 * marks the touch each answers (the latest one by that member within the attribution window: markReplies)
 * and applies the brand's keyword tag rules to what the text messages say. The cursor moves after both, and
 * both are idempotent, so a pass cut short repeats harmlessly.
 */
export const ARCHIVE_JOB = 'outreach.session-archive';
const PAGE = 1000;
const MAX_PAGES = 20;

/** Reads one brand's archive from its cursor; returns how many touches were marked replied. */
export async function readArchive(ctx: SyncCtx, archive: SessionArchive): Promise<number> {
  const corp = ctx.cdb.corpId;
  const cursor = await ctx.cdb.db
    .selectFrom('archive_cursors')
    .select('seq')
    .where('corp_id', '=', corp)
    .executeTakeFirst();
  let seq = Number(cursor?.seq ?? 0);
  let marked = 0;
  const members = new Map<string, number>();
  for (const s of await ctx.cdb.db
    .selectFrom('staff')
    .select(['id', 'userid'])
    .where('corp_id', '=', corp)
    .execute())
    members.set(s.userid, s.id);
  for (let page = 0; page < MAX_PAGES; page++) {
    const records = await archive.getChatData(seq, PAGE);
    if (records.length === 0) break;
    const messages = customerMessages(records, (id) => members.has(id));
    if (messages.length) {
      const customers = await ctx.cdb.db
        .selectFrom('customers')
        .select(['id', 'external_userid'])
        .where('corp_id', '=', corp)
        .where('external_userid', 'in', [...new Set(messages.map((m) => m.externalUserid))])
        .execute();
      const byExternal = new Map(customers.map((c) => [c.external_userid, c.id]));
      const replies: CustomerReply[] = [];
      for (const m of messages) {
        const customerId = byExternal.get(m.externalUserid);
        if (customerId !== undefined)
          replies.push({ customerId, staffId: members.get(m.userid) ?? null, at: m.at });
      }
      marked += await markReplies(ctx, replies);
      for (const m of messages) {
        const customerId = byExternal.get(m.externalUserid);
        if (customerId !== undefined && m.text) await applyKeywordRules(ctx, customerId, m.text, m.at);
      }
    }
    seq = records[records.length - 1]!.seq;
    await ctx.cdb.db
      .insertInto('archive_cursors')
      .values({ corp_id: corp, seq, read_at: ctx.clock.now() })
      .onConflict((oc) => oc.column('corp_id').doUpdateSet({ seq, read_at: ctx.clock.now() }))
      .execute();
    if (records.length < PAGE) break;
  }
  return marked;
}

/**
 * The job: every brand whose archive Siyu can read. Only the simulator serves one (its stand-in for the
 * Finance SDK); a brand on real WeCom needs the SDK's binding, which Siyu does not have yet.
 */
export async function runArchive(deps: Deps): Promise<boolean> {
  const { rows } = await sql<{ corp_id: string }>`
    select corp_id from wecom_connections where simulated`.execute(deps.db);
  for (const { corp_id } of rows) {
    const link = await deps.links.get(corp_id);
    if (!link?.simulated) continue;
    await readArchive(syncCtxOf(deps, corp_id), simulatedArchive(link.client));
  }
  return false;
}
