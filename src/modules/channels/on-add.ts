import { sql } from 'kysely';
import { enqueueOutbox } from '../../platform/jobs/outbox.ts';
import { jobsDb } from '../../platform/jobs/tables.ts';
import type { ContactAdded } from '../connector/handlers.ts';
import type { WelcomeTemplate } from '../tables.ts';
import { routeCode } from './routing.ts';
import { renderTemplate, welcomeRequest } from './welcome.ts';

/** WeCom accepts send_welcome_msg only within 20 s of the add event. */
export const WELCOME_WINDOW_MS = 20_000;
export const SEND_WELCOME_MSG = '/cgi-bin/externalcontact/send_welcome_msg';
export const MARK_TAG = '/cgi-bin/externalcontact/mark_tag';
export const REMARK = '/cgi-bin/externalcontact/remark';

/**
 * A customer added a member through a channel code (the event's State names the code): attribute the
 * follow to the channel, send the welcome through the welcome lane inside WeCom's window, tag the customer
 * and set the remark (in WeCom through the outbox, and here), and move the code on to the next member.
 * Idempotent: every effect has its key, so a redelivered or retried event changes nothing more.
 */
export async function onChannelAdd(added: ContactAdded): Promise<void> {
  const { ctx, event, customerId } = added;
  if (!event.state) return;
  const { cdb, clock } = ctx;
  // The code with its channel, and the follow this add made, in one read.
  const found = await cdb.db
    .selectFrom('channel_codes as k')
    .innerJoin('channels as c', (j) =>
      j.onRef('c.corp_id', '=', 'k.corp_id').onRef('c.id', '=', 'k.channel_id'),
    )
    .innerJoin('follows as f', (j) =>
      j.onRef('f.corp_id', '=', 'k.corp_id').on('f.customer_id', '=', customerId),
    )
    .innerJoin('staff as s', (j) =>
      j
        .onRef('s.corp_id', '=', 'f.corp_id')
        .onRef('s.id', '=', 'f.staff_id')
        .on('s.userid', '=', event.userId),
    )
    .innerJoin('customers as cu', (j) =>
      j.onRef('cu.corp_id', '=', 'f.corp_id').onRef('cu.id', '=', 'f.customer_id'),
    )
    .select([
      'k.id as codeId',
      'k.unit_id',
      'c.id as channelId',
      'c.name',
      'c.bait',
      'c.welcome',
      'c.remark_template',
      'c.daily_cap',
      'c.pool_strategy',
      sql<{ id: number; name: string; wecomId: string | null }[]>`coalesce((
        select json_agg(json_build_object('id', t.id, 'name', t.name, 'wecomId', t.wecom_tag_id) order by t.id)
        from channel_tags ct join tags t on t.corp_id = ct.corp_id and t.id = ct.tag_id
        where ct.corp_id = c.corp_id and ct.channel_id = c.id), '[]')`.as('tags'),
      'f.id as followId',
      'f.added_at',
      'f.remark',
      's.id as staffId',
      's.name as staffName',
      's.persona_name',
      'cu.name as customerName',
      'cu.external_userid',
    ])
    .where('k.corp_id', '=', cdb.corpId)
    .where('k.state', '=', event.state)
    .executeTakeFirst();
  if (!found) return;
  const code = found;
  const follow = { ...found, id: found.followId };
  const now = clock.now();
  const eventAt = new Date(event.createTime * 1000);
  const welcome = code.welcome as WelcomeTemplate;
  const vars = {
    客户昵称: follow.customerName,
    员工: follow.persona_name ?? follow.staffName,
    诱饵: code.bait,
    渠道: code.name,
  };
  const welcomeKey = event.welcomeCode ? `welcome:${event.welcomeCode}` : null;

  const recorded = await cdb.transaction(async (tx) => {
    const inserted = await tx.db
      .insertInto('channel_adds')
      .values({
        corp_id: tx.corpId,
        code_id: code.codeId,
        channel_id: code.channelId,
        customer_id: customerId,
        staff_id: follow.staffId,
        added_at: follow.added_at,
        welcome_key: welcomeKey,
      })
      .onConflict((oc) => oc.columns(['corp_id', 'customer_id', 'staff_id', 'added_at']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return false;
    const jobs = jobsDb(tx.db);
    const request = welcomeKey && welcomeRequest(event.welcomeCode!, welcome, vars, now);
    if (welcomeKey && request) {
      await enqueueOutbox(
        jobs,
        tx.corpId,
        {
          idemKey: welcomeKey,
          lane: 'welcome',
          kind: SEND_WELCOME_MSG,
          request,
          deadlineAt: new Date(eventAt.getTime() + WELCOME_WINDOW_MS),
        },
        now,
      );
    }
    const { tags } = code;
    if (tags.length) {
      await tx.db
        .insertInto('customer_tags')
        .values(
          tags.map((t) => ({
            corp_id: tx.corpId,
            customer_id: customerId,
            tag_id: t.id,
            staff_id: follow.staffId,
            tagged_at: now,
          })),
        )
        .onConflict((oc) => oc.columns(['corp_id', 'customer_id', 'tag_id']).doNothing())
        .execute();
      const wecomIds = tags.map((t) => t.wecomId).filter((id): id is string => id !== null);
      if (wecomIds.length) {
        await enqueueOutbox(
          jobs,
          tx.corpId,
          {
            idemKey: `tag:channel:${code.channelId}:${follow.external_userid}:${event.userId}`,
            lane: 'normal',
            kind: MARK_TAG,
            request: { userid: event.userId, external_userid: follow.external_userid, add_tag: wecomIds },
          },
          now,
        );
      }
    }
    const remark = code.remark_template ? renderTemplate(code.remark_template, vars, now).slice(0, 20) : '';
    if (remark && !follow.remark) {
      await tx.db
        .updateTable('follows')
        .set({ remark })
        .where('corp_id', '=', tx.corpId)
        .where('id', '=', follow.id)
        .execute();
      await enqueueOutbox(
        jobs,
        tx.corpId,
        {
          idemKey: `remark:channel:${code.channelId}:${follow.external_userid}:${event.userId}`,
          lane: 'normal',
          kind: REMARK,
          request: { userid: event.userId, external_userid: follow.external_userid, remark },
        },
        now,
      );
    }
    added.timeline.push({
      customerId,
      kind: 'channel_add',
      at: follow.added_at,
      staffId: follow.staffId,
      summary: `通过渠道「${code.name}」添加 ${follow.staffName}${code.bait ? `（诱饵：${code.bait}）` : ''}`,
      data: {
        channelId: code.channelId,
        codeId: code.codeId,
        bait: code.bait,
        tags: tags.map((t) => t.name),
      },
    });
    return true;
  });
  // Round robin is WeCom's; the list changes after an add only when a cap or the load can move it.
  if (recorded && (code.daily_cap !== null || code.pool_strategy === 'least_loaded')) {
    await routeCode(ctx, code.codeId);
  }
}
