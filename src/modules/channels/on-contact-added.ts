import { sql } from 'kysely';
import { enqueueOutbox } from '../../platform/jobs/outbox.ts';
import { jobsDb } from '../../platform/jobs/tables.ts';
import { SEND_WELCOME_MSG } from '../../wecom/paths.ts';
import { publish, type SyncCtx } from '../context.ts';
import { addTimeline, changeCustomerTags, setFollowRemark } from '../customers/index.ts';
import type { ChannelAttributed, ContactAdded } from '../events.ts';
import { routeCustomerToGroup } from '../groups/index.ts';
import { routeCode } from './routing.ts';
import type { Linkage, WelcomeTemplate } from './schema.ts';
import { effectiveLinkage, welcomeInvitesToGroup } from './settings.ts';
import { renderTemplate, welcomeRequest } from './welcome.ts';

/** WeCom accepts send_welcome_msg only within 20 s of the add event. */
export const WELCOME_WINDOW_MS = 20_000;

/**
 * Customers added members through channel codes (the event's state names the code), in the add's
 * transaction: the follow is attributed to the channel and the welcome queued in the welcome lane inside
 * WeCom's window, so both commit with the mirror and before anything slower; the channel's tags and remark
 * go on the customer (here, and in WeCom through the outbox). An add a full sync recovered (its callback
 * missed, the window past) is attributed the same way, with its welcome marked missed instead of sent.
 * Idempotent: every effect has its key, so a redelivered or retried event changes nothing more (nor does a
 * late callback for an add a sync recovered). Publishes ChannelAttributed for each fresh add.
 */
export async function attributeChannelAdds(ctx: SyncCtx, events: ContactAdded[]): Promise<void> {
  const attributed: ChannelAttributed[] = [];
  for (const event of events) {
    const add = event.state ? await attribute(ctx, event) : null;
    if (add) attributed.push(add);
  }
  await publish(ctx, attributed);
}

async function attribute(ctx: SyncCtx, event: ContactAdded): Promise<ChannelAttributed | null> {
  const { cdb, clock } = ctx;
  const code = await cdb.db
    .selectFrom('channel_codes as k')
    .innerJoin('channels as c', (j) =>
      j.onRef('c.corp_id', '=', 'k.corp_id').onRef('c.id', '=', 'k.channel_id'),
    )
    .innerJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'k.corp_id').on('s.id', '=', event.staffId))
    .innerJoin('customers as cu', (j) =>
      j.onRef('cu.corp_id', '=', 'k.corp_id').on('cu.id', '=', event.customerId),
    )
    .select([
      'k.id as codeId',
      'k.unit_id as unitId',
      'c.id as channelId',
      'c.name',
      'c.method',
      'c.scene',
      'c.bait',
      'c.welcome',
      'c.remark_template',
      sql<{ id: number }[]>`coalesce((
        select json_agg(json_build_object('id', ct.tag_id) order by ct.tag_id)
        from channel_tags ct where ct.corp_id = c.corp_id and ct.channel_id = c.id), '[]')`.as('tags'),
      's.name as staffName',
      's.persona_name',
      'cu.name as customerName',
    ])
    .where('k.corp_id', '=', cdb.corpId)
    .where('k.state', '=', event.state)
    .executeTakeFirst();
  if (!code) return null;
  const now = clock.now();
  const addedAt = new Date(event.addedAt);
  const missed = event.via === 'full_sync';
  const welcomeKey = event.welcomeCode && !missed ? `welcome:${event.welcomeCode}` : null;
  const inserted = await cdb.db
    .insertInto('channel_adds')
    .values({
      corp_id: cdb.corpId,
      code_id: code.codeId,
      channel_id: code.channelId,
      customer_id: event.customerId,
      staff_id: event.staffId,
      added_at: addedAt,
      welcome_key: welcomeKey,
      welcome_missed: missed,
      sync_run: missed ? event.syncRun : null,
    })
    .onConflict((oc) => oc.columns(['corp_id', 'customer_id', 'staff_id', 'added_at']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) return null;

  const vars = {
    客户昵称: code.customerName,
    员工: code.persona_name ?? code.staffName,
    诱饵: code.bait,
    渠道: code.name,
  };
  // Friend-then-group: the welcome carries the QR of the group smart routing chooses (its reason is kept).
  let invite: { linkage: Linkage; attachment: Record<string, unknown> } | undefined;
  if (welcomeKey && event.welcomeCode) {
    const linkage = await effectiveLinkage(cdb, code.unitId);
    if (welcomeInvitesToGroup(linkage)) {
      const decision = await routeCustomerToGroup(ctx, {
        customerId: event.customerId,
        staffId: event.staffId,
        scanUnitId: code.unitId,
      });
      if (decision.qrCode) {
        invite = { linkage, attachment: { msgtype: 'image', image: { pic_url: decision.qrCode } } };
      }
    }
  }
  const request =
    welcomeKey && event.welcomeCode
      ? welcomeRequest(event.welcomeCode, code.welcome as WelcomeTemplate, vars, now, invite)
      : null;
  if (welcomeKey && request) {
    await enqueueOutbox(
      jobsDb(cdb.db),
      cdb.corpId,
      {
        idemKey: welcomeKey,
        lane: 'welcome',
        kind: SEND_WELCOME_MSG,
        request,
        deadlineAt: new Date(Date.parse(event.eventAt) + WELCOME_WINDOW_MS),
      },
      now,
    );
  }
  await addTimeline(cdb, [
    {
      customerId: event.customerId,
      kind: 'channel_add',
      at: addedAt,
      staffId: event.staffId,
      summary: `通过渠道「${code.name}」添加 ${code.staffName}${code.bait ? `（诱饵：${code.bait}）` : ''}${missed ? '；回调错过，由全量同步补回，欢迎语已错过' : ''}`,
      data: {
        channelId: code.channelId,
        channelName: code.name,
        codeId: code.codeId,
        bait: code.bait,
        ...(missed ? { welcomeMissed: true, syncRun: event.syncRun } : {}),
      },
    },
  ]);
  const who = `${event.externalUserid}:${event.userid}`;
  if (code.tags.length) {
    await changeCustomerTags(
      ctx,
      [
        {
          customerId: event.customerId,
          add: code.tags.map((t) => t.id),
          remove: [],
          via: { staffId: event.staffId },
          at: now,
          cause: { source: 'channel', channelId: code.channelId, channelName: code.name },
          key: `tag:channel:${code.channelId}:${who}`,
        },
      ],
      now,
    );
  }
  const remark = code.remark_template ? renderTemplate(code.remark_template, vars, now).slice(0, 20) : '';
  if (remark) {
    await setFollowRemark(ctx, {
      customerId: event.customerId,
      staffId: event.staffId,
      userid: event.userid,
      externalUserid: event.externalUserid,
      remark,
      key: `remark:channel:${code.channelId}:${who}`,
    });
  }
  return {
    type: 'ChannelAttributed',
    customerId: event.customerId,
    channelId: code.channelId,
    channelName: code.name,
    codeId: code.codeId,
    method: code.method,
    scene: code.scene,
    staffId: event.staffId,
    userid: event.userid,
    addedAt: event.addedAt,
  };
}

/** Round robin is WeCom's; after adds, a code's list changes only when a cap or the load can move it. */
export async function rerouteAfterAdds(ctx: SyncCtx, events: ChannelAttributed[]): Promise<void> {
  const codes = [...new Set(events.map((e) => e.codeId))];
  const moving = await ctx.cdb.db
    .selectFrom('channel_codes as k')
    .innerJoin('channels as c', (j) =>
      j.onRef('c.corp_id', '=', 'k.corp_id').onRef('c.id', '=', 'k.channel_id'),
    )
    .select('k.id')
    .where('k.corp_id', '=', ctx.cdb.corpId)
    .where('k.id', 'in', codes)
    .where((eb) => eb.or([eb('c.daily_cap', 'is not', null), eb('c.pool_strategy', '=', 'least_loaded')]))
    .execute();
  for (const { id } of moving) await routeCode(ctx, id);
}
