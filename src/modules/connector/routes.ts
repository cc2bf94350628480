import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../platform/http/errors.ts';
import { ctxOf, type Deps } from '../context.ts';
import { latestSyncRun, requestFullSync, SYNC_JOB, SYNC_PHASES } from './full-sync.ts';

const syncRun = z
  .object({
    id: z.number(),
    status: z.enum(['running', 'done', 'failed']),
    phase: z.enum(SYNC_PHASES),
    counts: z.record(z.string(), z.number()),
    error: z.string().nullable(),
    startedAt: z.string(),
    updatedAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .nullable();

const counts = z.record(z.string(), z.number());

const status = z.object({
  connected: z.boolean(),
  wecomCorpId: z.string().nullable(),
  simulated: z.boolean(),
  inbox: counts.describe('callback events by status: pending, done, parked'),
  inboxParked: z
    .array(
      z.object({
        id: z.number(),
        eventType: z.string(),
        receivedAt: z.string(),
        lastError: z.string().nullable(),
      }),
    )
    .describe('the latest parked callback events (up to 5), newest first, with why they were parked'),
  outbox: counts.describe(
    'calls to WeCom by status: pending, done, failed, expired (never sent before its deadline), unknown (sent, its answer lost when its worker died)',
  ),
  sync: syncRun,
  syncRunning: z.boolean(),
});

async function statusOf(deps: Deps, corpId: string) {
  const conn = await deps.db
    .selectFrom('wecom_connections')
    .select(['wecom_corp_id', 'simulated'])
    .where('corp_id', '=', corpId)
    .executeTakeFirst();
  const byStatus = async (table: 'wecom_inbox' | 'wecom_outbox') => {
    const rows = await deps.db
      .selectFrom(table)
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('corp_id', '=', corpId)
      .groupBy('status')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  };
  const sync = await latestSyncRun(deps.db, corpId);
  const parked = await deps.db
    .selectFrom('wecom_inbox')
    .select(['id', 'event_type', 'received_at', 'last_error'])
    .where('corp_id', '=', corpId)
    .where('status', '=', 'parked')
    .orderBy('id', 'desc')
    .limit(5)
    .execute();
  return {
    connected: conn !== undefined,
    wecomCorpId: conn?.wecom_corp_id ?? null,
    simulated: conn?.simulated ?? false,
    inbox: await byStatus('wecom_inbox'),
    inboxParked: parked.map((r) => ({
      id: r.id,
      eventType: r.event_type,
      receivedAt: r.received_at.toISOString(),
      lastError: r.last_error,
    })),
    outbox: await byStatus('wecom_outbox'),
    sync,
    syncRunning: sync?.status === 'running',
  };
}

export function connectorRoutes(deps: Deps) {
  return async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/wecom/status',
      {
        config: { access: { roles: ['hq_admin'], scope: 'corp' } },
        schema: {
          tags: ['wecom'],
          summary: 'The brand’s WeCom connection: inbox and outbox by status, the latest full sync',
          response: { 200: status },
        },
      },
      async (request) => statusOf(deps, ctxOf(deps, request).cdb.corpId),
    );
    app.post(
      '/wecom/sync',
      {
        config: { access: { roles: ['hq_admin'], scope: 'corp' } },
        schema: {
          tags: ['wecom'],
          summary: 'Start (or resume) a full sync: staff → corp tags → customers with follows → groups',
          response: { 202: z.object({ started: z.boolean() }).describe('false when one is already running') },
        },
      },
      async (request, reply) => {
        const { corpId } = ctxOf(deps, request).cdb;
        const conn = await deps.db
          .selectFrom('wecom_connections')
          .select('corp_id')
          .where('corp_id', '=', corpId)
          .executeTakeFirst();
        if (!conn) {
          throw new AppError('conflict', {
            zh: '尚未连接企业微信',
            en: 'This brand is not connected to WeCom yet',
          });
        }
        const started = await requestFullSync(deps.db, corpId, deps.clock.now());
        if (started) deps.wake.job(SYNC_JOB);
        return reply.code(202).send({ started });
      },
    );
  };
}
