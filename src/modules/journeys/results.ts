import { sql } from 'kysely';
import type { OutboxRow } from '../../platform/jobs/outbox.ts';
import { type Deps, type SyncCtx, syncCtxOf } from '../context.ts';
import { markTouchesSent, releaseTouch } from '../outreach/index.ts';

/**
 * What became of a journey's 1:1 messages. add_msg_template only puts a task in the member's WeCom: the
 * touch stays `reserved` until WeCom's send result says the member sent it (`sent`), or that it cannot
 * reach the customer (not a friend any more, another 群发 already received today: the slot is given back).
 * A message the member has not sent after UNSENT_AFTER_MS gives its slot back too.
 */

export const RESULTS_JOB = 'journeys.send-results';
/** How often one message's result is asked for while the member has not sent it. */
export const POLL_EVERY_MS = 10 * 60_000;
/** A task the member leaves this long is treated as not sent. */
export const UNSENT_AFTER_MS = 3 * 86_400_000;
const BATCH = 200;
const PREFIX = 'journey:';

interface SendOutcome {
  touchId?: number;
  userid?: string;
  msgid?: string;
  wecom?: string;
  polledAt?: string;
}

function stepOf(idemKey: string): { enrolmentId: number; seq: number } | null {
  if (!idemKey.startsWith(PREFIX)) return null;
  const [enrolmentId, seq] = idemKey.slice(PREFIX.length).split(':').map(Number);
  return Number.isInteger(enrolmentId) && Number.isInteger(seq)
    ? { enrolmentId: enrolmentId!, seq: seq! }
    : null;
}

async function setOutcome(
  ctx: SyncCtx,
  step: { enrolmentId: number; seq: number },
  patch: Record<string, unknown>,
) {
  await sql`update journey_steps set outcome = outcome || ${JSON.stringify(patch)}::jsonb
    where corp_id = ${ctx.cdb.corpId} and enrolment_id = ${step.enrolmentId} and seq = ${step.seq}`.execute(
    ctx.cdb.db,
  );
}

/** add_msg_template answered: keep the msgid to follow; a customer WeCom refused at once gives the slot back. */
export async function onJourneySendDone(ctx: SyncCtx, row: OutboxRow, result: Record<string, unknown>) {
  const step = stepOf(row.idemKey);
  if (!step) return;
  const s = await ctx.cdb.db
    .selectFrom('journey_steps')
    .select('outcome')
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('enrolment_id', '=', step.enrolmentId)
    .where('seq', '=', step.seq)
    .executeTakeFirst();
  const outcome = (s?.outcome ?? {}) as SendOutcome;
  const failList = Array.isArray(result.fail_list) ? (result.fail_list as string[]) : [];
  const target = (row.request.external_userid as string[] | undefined)?.[0];
  if (target && failList.includes(target)) {
    if (outcome.touchId) await releaseTouch(ctx, outcome.touchId, 'wecom_refused');
    await setOutcome(ctx, step, { wecom: 'failed' });
    return;
  }
  const msgid = typeof result.msgid === 'string' ? result.msgid : null;
  if (!msgid) return;
  await setOutcome(ctx, step, { msgid, wecom: 'created' });
}

interface ResultClient {
  getGroupMsgSendResult(req: { msgid: string; userid: string; limit?: number; cursor?: string }): Promise<{
    next_cursor?: string;
    send_list: { external_userid?: string; userid: string; status: number }[];
  }>;
}

/** One pass over a corp's messages still to follow; returns how many were settled. */
export async function followJourneySends(ctx: SyncCtx, client: ResultClient): Promise<number> {
  const now = ctx.clock.now();
  const rows = await ctx.cdb.db
    .selectFrom('journey_steps as s')
    .innerJoin('journey_enrolments as e', (j) =>
      j.onRef('e.corp_id', '=', 's.corp_id').onRef('e.id', '=', 's.enrolment_id'),
    )
    .innerJoin('customers as c', (j) =>
      j.onRef('c.corp_id', '=', 'e.corp_id').onRef('c.id', '=', 'e.customer_id'),
    )
    .select(['s.enrolment_id', 's.seq', 's.outcome', 's.done_at', 'c.external_userid'])
    .where('s.corp_id', '=', ctx.cdb.corpId)
    .where('s.kind', '=', 'send')
    .where(sql<boolean>`s.outcome->>'wecom' = 'created'`)
    .where(
      sql<boolean>`coalesce((s.outcome->>'polledAt')::timestamptz, '-infinity') <= ${new Date(now.getTime() - POLL_EVERY_MS)}`,
    )
    .orderBy('s.done_at')
    .limit(BATCH)
    .execute();
  let settled = 0;
  for (const r of rows) {
    const o = r.outcome as SendOutcome;
    const step = { enrolmentId: r.enrolment_id, seq: r.seq };
    if (!o.msgid || !o.userid) continue;
    let status = 0;
    let cursor: string | undefined;
    for (let page = 0; page < 20; page++) {
      const res = await client.getGroupMsgSendResult({
        msgid: o.msgid,
        userid: o.userid,
        limit: 1000,
        cursor,
      });
      const mine = res.send_list.find((x) => x.external_userid === r.external_userid);
      if (mine) {
        status = mine.status;
        break;
      }
      cursor = res.next_cursor || undefined;
      if (!cursor) break;
    }
    if (status === 1) {
      if (o.touchId) await markTouchesSent(ctx, [o.touchId]);
      await setOutcome(ctx, step, { wecom: 'sent', polledAt: now.toISOString() });
      settled++;
    } else if (status === 2 || status === 3) {
      const reason = status === 2 ? 'not_friend' : 'received_other';
      if (o.touchId) await releaseTouch(ctx, o.touchId, reason);
      await setOutcome(ctx, step, { wecom: reason, polledAt: now.toISOString() });
      settled++;
    } else if (now.getTime() - r.done_at.getTime() > UNSENT_AFTER_MS) {
      if (o.touchId) await releaseTouch(ctx, o.touchId, 'unsent');
      await setOutcome(ctx, step, { wecom: 'unsent', polledAt: now.toISOString() });
      settled++;
    } else {
      await setOutcome(ctx, step, { polledAt: now.toISOString() });
    }
  }
  return settled;
}

/** The job: every corp with messages to follow and a WeCom link. */
export async function runSendResults(deps: Deps): Promise<boolean> {
  const { rows } = await sql<{ corp_id: string }>`select distinct corp_id from journey_steps
    where kind = 'send' and outcome->>'wecom' = 'created'`.execute(deps.db);
  for (const { corp_id } of rows) {
    const link = await deps.links.get(corp_id);
    if (!link?.client) continue;
    await followJourneySends(syncCtxOf(deps, corp_id), link.client);
  }
  return false;
}
