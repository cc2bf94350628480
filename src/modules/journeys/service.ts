import { sql } from 'kysely';
import { AppError, notFound } from '../../platform/http/errors.ts';
import { getContent } from '../content/index.ts';
import type { Ctx } from '../context.ts';
import { assertCustomerVisible, assertMayAsk, visibleTo } from '../customers/index.ts';
import { conditionsOf } from '../segments/index.ts';
import { assertTagsVisible } from '../tags/index.ts';
import { arrivalDue, runNode } from './engine.ts';
import { checkGraph, type Graph, type JourneyNode, nodeOf, SCANNED_TRIGGERS, storedGraph } from './graph.ts';
import type { JourneyStatus } from './schema.ts';
import { nextScan } from './triggers.ts';

const canEdit = (ctx: Ctx) => ctx.actor.role !== 'staff';

/**
 * Journeys belong to the unit of the account that made them: seen from that unit's subtree (a store sees
 * HQ's) and from above (a region sees its stores'), changed from that unit or above only. Counts and dry runs
 * are of the customers the caller may see.
 */
function visibleFrom(ctx: Ctx) {
  const { actor } = ctx;
  if (actor.seesWholeCorp) return sql<boolean>`true`;
  return sql<boolean>`(x.unit_id in (${sql.join([...actor.unitIds])}) or exists (
    select 1 from org_units me
    where me.corp_id = x.corp_id and me.id = ${actor.unitId} and me.path like '%/' || x.unit_id || '/%'))`;
}

function assertEditable(ctx: Ctx, unitId: number) {
  if (!canEdit(ctx) || !ctx.actor.unitIds.includes(unitId)) {
    throw new AppError('forbidden', {
      zh: '只能修改本组织及下级创建的客户旅程',
      en: 'Only journeys made by your unit or the units below it can be changed',
    });
  }
}

async function visibleJourney(ctx: Ctx, id: number) {
  const row = await ctx.cdb.db
    .selectFrom('journeys as x')
    .innerJoin('org_units as u', (j) =>
      j.onRef('u.corp_id', '=', 'x.corp_id').onRef('u.id', '=', 'x.unit_id'),
    )
    .selectAll('x')
    .select('u.name as unit_name')
    .where('x.corp_id', '=', ctx.cdb.corpId)
    .where('x.id', '=', id)
    .where(visibleFrom(ctx))
    .executeTakeFirst();
  if (!row) throw notFound({ zh: '客户旅程', en: 'Journey' });
  return row;
}

/** What a graph names must be the caller's to name: tags in their view, rules over their scope, segments they see. */
async function assertGraphInScope(ctx: Ctx, graph: Graph): Promise<void> {
  const tagIds = graph.nodes.flatMap((n) => (n.kind === 'tag' ? [...n.add, ...n.remove] : []));
  const t = graph.trigger;
  if (t.kind === 'tag_added' || t.kind === 'tag_removed') tagIds.push(...t.tagIds);
  if (tagIds.length) {
    const unique = [...new Set(tagIds)];
    await assertTagsVisible(ctx, unique);
    const found = await ctx.cdb.db
      .selectFrom('tags')
      .select('id')
      .where('corp_id', '=', ctx.cdb.corpId)
      .where('id', 'in', unique)
      .execute();
    const missing = unique.filter((id) => !found.some((f) => f.id === id));
    if (missing.length) {
      throw new AppError('bad_request', {
        zh: `标签不存在：${missing.join('、')}`,
        en: `No such tag: ${missing.join(', ')}`,
      });
    }
  }
  const rules = [
    ...graph.nodes.flatMap((n) => (n.kind === 'branch' ? [n.rule] : [])),
    ...(t.filter ? [t.filter] : []),
  ];
  for (const rule of rules) {
    const conditions = conditionsOf(rule);
    const values = (...fields: string[]) =>
      conditions
        .filter((c) => fields.includes(c.field) && Array.isArray(c.value))
        .flatMap((c) => c.value as number[]);
    await assertMayAsk(ctx, {
      tagIds: values('tag'),
      unitIds: values('follow_unit', 'top_unit'),
      staffIds: values('staff'),
    });
  }
  const contentIds = [
    ...new Set(
      graph.nodes.flatMap((n) =>
        (n.kind === 'send' || n.kind === 'task') && n.contentId ? [n.contentId] : [],
      ),
    ),
  ];
  for (const contentId of contentIds) {
    try {
      await getContent(ctx, contentId);
    } catch {
      throw new AppError('bad_request', {
        zh: `素材 ${contentId} 不存在或不在你的范围内`,
        en: `Content item ${contentId} does not exist or is outside your scope`,
      });
    }
  }
  const segmentId =
    t.kind === 'segment_entry' ? t.segmentId : t.kind === 'broadcast' ? t.audience.segmentId : undefined;
  if (segmentId !== undefined) {
    const seg = await ctx.cdb.db
      .selectFrom('segments as x')
      .select('x.id')
      .where('x.corp_id', '=', ctx.cdb.corpId)
      .where('x.id', '=', segmentId)
      .where(visibleFrom(ctx))
      .executeTakeFirst();
    if (!seg) {
      throw new AppError('bad_request', {
        zh: `触发条件的分群 ${segmentId} 不存在`,
        en: `trigger: segment ${segmentId} does not exist`,
      });
    }
  }
  if (t.kind === 'broadcast' && 'layeringId' in t.audience) {
    const layer = await ctx.cdb.db
      .selectFrom('layering_layers')
      .select('segment_id')
      .where('corp_id', '=', ctx.cdb.corpId)
      .where('layering_id', '=', t.audience.layeringId)
      .where('segment_id', '=', t.audience.segmentId)
      .executeTakeFirst();
    if (!layer) {
      throw new AppError('bad_request', {
        zh: '触发条件的分层方案中没有该分群',
        en: 'trigger: the layering has no such layer',
      });
    }
  }
}

export interface JourneyInput {
  name: string;
  graph: Graph;
  template?: string;
}

export async function createJourney(ctx: Ctx, input: JourneyInput) {
  await assertGraphInScope(ctx, input.graph);
  const now = ctx.clock.now();
  const id = await ctx.cdb.transaction(async (tx) => {
    const { id } = await tx.db
      .insertInto('journeys')
      .values({
        corp_id: tx.corpId,
        unit_id: ctx.actor.unitId,
        name: input.name,
        trigger_kind: input.graph.trigger.kind,
        template: input.template ?? null,
        created_by: ctx.actor.accountId || null,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await tx.db
      .insertInto('journey_versions')
      .values({
        corp_id: tx.corpId,
        journey_id: id,
        version: 1,
        graph: JSON.stringify(input.graph),
        created_by: ctx.actor.accountId || null,
        created_at: now,
      })
      .execute();
    return id;
  });
  return getJourney(ctx, id);
}

/**
 * Changes a journey. A new graph is a new version once anyone has entered the current one (enrolments finish
 * on the version they entered); a version nobody entered yet is changed in place.
 */
export async function updateJourney(ctx: Ctx, id: number, input: Partial<JourneyInput>) {
  const row = await visibleJourney(ctx, id);
  assertEditable(ctx, row.unit_id);
  if (row.status === 'archived') {
    throw new AppError('conflict', {
      zh: '已归档的客户旅程不能修改',
      en: 'An archived journey cannot be changed',
    });
  }
  if (input.graph) await assertGraphInScope(ctx, input.graph);
  const now = ctx.clock.now();
  await ctx.cdb.transaction(async (tx) => {
    // serialises edits of one journey
    await tx.db
      .selectFrom('journeys')
      .select('id')
      .where('corp_id', '=', tx.corpId)
      .where('id', '=', id)
      .forUpdate()
      .execute();
    let version = row.current_version;
    if (input.graph) {
      const used = await tx.db
        .selectFrom('journey_enrolments')
        .select('id')
        .where('corp_id', '=', tx.corpId)
        .where('journey_id', '=', id)
        .where('version', '=', version)
        .limit(1)
        .executeTakeFirst();
      if (used) {
        version++;
        await tx.db
          .insertInto('journey_versions')
          .values({
            corp_id: tx.corpId,
            journey_id: id,
            version,
            graph: JSON.stringify(input.graph),
            created_by: ctx.actor.accountId || null,
            created_at: now,
          })
          .execute();
      } else {
        await tx.db
          .updateTable('journey_versions')
          .set({ graph: JSON.stringify(input.graph), created_at: now })
          .where('corp_id', '=', tx.corpId)
          .where('journey_id', '=', id)
          .where('version', '=', version)
          .execute();
      }
    }
    await tx.db
      .updateTable('journeys')
      .set({
        ...(input.name ? { name: input.name } : {}),
        ...(input.graph
          ? {
              trigger_kind: input.graph.trigger.kind,
              current_version: version,
              next_scan_at:
                row.status === 'active' && SCANNED_TRIGGERS.includes(input.graph.trigger.kind)
                  ? nextScan(input.graph.trigger, now, null)
                  : null,
            }
          : {}),
        updated_at: now,
      })
      .where('corp_id', '=', tx.corpId)
      .where('id', '=', id)
      .execute();
  });
  return getJourney(ctx, id);
}

const MOVES: Record<JourneyStatus, JourneyStatus[]> = {
  draft: ['active', 'archived'],
  active: ['paused', 'archived'],
  paused: ['active', 'archived'],
  archived: [],
};

/** Starts, pauses, resumes or archives (its running enrolments exit) a journey. */
export async function setJourneyStatus(ctx: Ctx, id: number, status: JourneyStatus) {
  const row = await visibleJourney(ctx, id);
  assertEditable(ctx, row.unit_id);
  if (row.status === status) return getJourney(ctx, id);
  if (!MOVES[row.status].includes(status)) {
    throw new AppError('conflict', {
      zh: `客户旅程不能从「${row.status}」变为「${status}」`,
      en: `A journey cannot go from ${row.status} to ${status}`,
    });
  }
  const now = ctx.clock.now();
  const graph = await currentGraph(ctx, id, row.current_version);
  await ctx.cdb.transaction(async (tx) => {
    await tx.db
      .updateTable('journeys')
      .set({
        status,
        updated_at: now,
        next_scan_at:
          status === 'active' && SCANNED_TRIGGERS.includes(graph.trigger.kind)
            ? nextScan(graph.trigger, now, null)
            : null,
      })
      .where('corp_id', '=', tx.corpId)
      .where('id', '=', id)
      .execute();
    if (status === 'archived') {
      await tx.db
        .updateTable('journey_enrolments')
        .set({ status: 'exited', exit_reason: 'archived', updated_at: now })
        .where('corp_id', '=', tx.corpId)
        .where('journey_id', '=', id)
        .where('status', '=', 'active')
        .execute();
    }
  });
  return getJourney(ctx, id);
}

async function currentGraph(ctx: Ctx, id: number, version: number): Promise<Graph> {
  const v = await ctx.cdb.db
    .selectFrom('journey_versions')
    .select('graph')
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('journey_id', '=', id)
    .where('version', '=', version)
    .executeTakeFirstOrThrow();
  return storedGraph(v.graph);
}

/** Enrolments of the caller's customers only (a store looking at HQ's journey sees its own). */
function enrolmentsInScope(ctx: Ctx, id: number) {
  let q = ctx.cdb.db
    .selectFrom('journey_enrolments as e')
    .where('e.corp_id', '=', ctx.cdb.corpId)
    .where('e.journey_id', '=', id);
  if (!ctx.actor.seesWholeCorp) {
    q = q.where('e.customer_id', 'in', (eb) =>
      eb
        .selectFrom('customers as c')
        .select('c.id')
        .where('c.corp_id', '=', ctx.cdb.corpId)
        .where(visibleTo(ctx)),
    );
  }
  return q;
}

export interface NodeCounts {
  node: string;
  entered: number;
  waiting: number;
  done: number;
  exited: number;
  /** A send step's messages and what came of them; null for other steps. */
  outcome: SendOutcome | null;
}

export interface SendOutcome {
  /** 1:1 messages put in the members' WeCom (add_msg_template), sent or not. */
  messages: number;
  /** those WeCom reports the member sent (the member confirmed). */
  reached: number;
  /** customers who answered within the attribution window (known through the session archive). */
  replied: number;
  /** customers with an order credited to the step. */
  converted: number;
  orders: number;
  gmvFen: number;
}

/**
 * Per node of a version: entered (reached it), waiting (there now), done (its step done), exited (left the
 * journey there early: no follow any more, opted out, failed, archived).
 */
export async function nodeCounts(ctx: Ctx, id: number, version: number): Promise<NodeCounts[]> {
  const graph = await currentGraph(ctx, id, version);
  const [held, steps, sends] = await Promise.all([
    enrolmentsInScope(ctx, id)
      .where('e.version', '=', version)
      .where('e.status', 'in', ['active', 'exited'])
      .select([
        'e.node',
        sql<number>`count(*) filter (where e.status = 'active')::int`.as('waiting'),
        sql<number>`count(*) filter (where e.status = 'exited')::int`.as('exited'),
        sql<number>`count(*) filter (where e.status = 'exited' and not exists (select 1 from journey_steps s
          where s.corp_id = e.corp_id and s.enrolment_id = e.id and s.seq = e.steps - 1 and s.node = e.node))::int`.as(
          'exited_unstepped',
        ),
      ])
      .groupBy('e.node')
      .execute(),
    ctx.cdb.db
      .selectFrom('journey_steps as s')
      .select(['s.node', sql<number>`count(*)::int`.as('done')])
      .where('s.corp_id', '=', ctx.cdb.corpId)
      .where('s.journey_id', '=', id)
      .where('s.version', '=', version)
      .where(
        's.enrolment_id',
        'in',
        enrolmentsInScope(ctx, id).where('e.version', '=', version).select('e.id'),
      )
      .groupBy('s.node')
      .execute(),
    // the send steps' touches (source id `journey:node:enrolment:seq`) and the orders credited to them
    ctx.cdb.db
      .selectFrom('touches as t')
      .leftJoin('touch_attributions as a', (j) =>
        j.onRef('a.corp_id', '=', 't.corp_id').onRef('a.touch_id', '=', 't.id'),
      )
      .select([
        sql<string>`split_part(t.source_id, ':', 2)`.as('node'),
        sql<number>`count(distinct t.id)::int`.as('messages'),
        sql<number>`count(distinct t.id) filter (where t.status = 'sent')::int`.as('reached'),
        sql<number>`count(distinct t.id) filter (where t.replied_at is not null and t.status <> 'released')::int`.as(
          'replied',
        ),
        sql<number>`count(distinct a.customer_id)::int`.as('converted'),
        sql<number>`count(a.order_id)::int`.as('orders'),
        sql<number>`coalesce(sum(a.paid_fen), 0)::bigint`.as('gmv'),
      ])
      .where('t.corp_id', '=', ctx.cdb.corpId)
      .where('t.source_kind', '=', 'journey')
      .where('t.source_id', 'like', `${id}:%`)
      .where(
        sql`split_part(t.source_id, ':', 3)::bigint`,
        'in',
        enrolmentsInScope(ctx, id).where('e.version', '=', version).select('e.id'),
      )
      .groupBy(sql`split_part(t.source_id, ':', 2)`)
      .execute(),
  ]);
  return graph.nodes.map((n) => {
    const h = held.find((r) => r.node === n.id);
    const done = steps.find((r) => r.node === n.id)?.done ?? 0;
    const waiting = h?.waiting ?? 0;
    // an exit that was the step itself (a send to a customer who is no friend any more) is among `done`
    const exitedSteps = (h?.exited ?? 0) - (h?.exited_unstepped ?? 0);
    return {
      node: n.id,
      entered: done + waiting + (h?.exited_unstepped ?? 0),
      waiting,
      done: done - exitedSteps,
      exited: h?.exited ?? 0,
      outcome: n.kind === 'send' ? sendOutcome(sends.find((r) => r.node === n.id)) : null,
    };
  });
}

function sendOutcome(
  r:
    | { messages: number; reached: number; replied: number; converted: number; orders: number; gmv: number }
    | undefined,
): SendOutcome {
  return {
    messages: Number(r?.messages ?? 0),
    reached: Number(r?.reached ?? 0),
    replied: Number(r?.replied ?? 0),
    converted: Number(r?.converted ?? 0),
    orders: Number(r?.orders ?? 0),
    gmvFen: Number(r?.gmv ?? 0),
  };
}

/** A version's counts, for a caller who sees the journey (404 otherwise, and for a version it does not have). */
export async function journeyCounts(ctx: Ctx, id: number, version: number): Promise<NodeCounts[]> {
  await visibleJourney(ctx, id);
  const v = await ctx.cdb.db
    .selectFrom('journey_versions')
    .select('version')
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('journey_id', '=', id)
    .where('version', '=', version)
    .executeTakeFirst();
  if (!v) throw notFound({ zh: '该版本', en: 'Version' });
  return nodeCounts(ctx, id, version);
}

export async function getJourney(ctx: Ctx, id: number) {
  const row = await visibleJourney(ctx, id);
  const graph = await currentGraph(ctx, id, row.current_version);
  const versions = await ctx.cdb.db
    .selectFrom('journey_versions as v')
    .select(['v.version', 'v.created_at'])
    .where('v.corp_id', '=', ctx.cdb.corpId)
    .where('v.journey_id', '=', id)
    .orderBy('v.version')
    .execute();
  const perVersion = await enrolmentsInScope(ctx, id)
    .select([
      'e.version',
      sql<number>`count(*) filter (where e.status = 'active')::int`.as('active'),
      sql<number>`count(*) filter (where e.status = 'done')::int`.as('done'),
      sql<number>`count(*) filter (where e.status = 'exited')::int`.as('exited'),
    ])
    .groupBy('e.version')
    .execute();
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    unitId: row.unit_id,
    unitName: row.unit_name,
    template: row.template,
    currentVersion: row.current_version,
    graph,
    versions: versions.map((v) => {
      const c = perVersion.find((p) => p.version === v.version);
      return {
        version: v.version,
        createdAt: v.created_at.toISOString(),
        active: c?.active ?? 0,
        done: c?.done ?? 0,
        exited: c?.exited ?? 0,
      };
    }),
    counts: await nodeCounts(ctx, id, row.current_version),
    editable: canEdit(ctx) && ctx.actor.unitIds.includes(row.unit_id),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export async function listJourneys(ctx: Ctx) {
  const rows = await ctx.cdb.db
    .selectFrom('journeys as x')
    .innerJoin('org_units as u', (j) =>
      j.onRef('u.corp_id', '=', 'x.corp_id').onRef('u.id', '=', 'x.unit_id'),
    )
    .select([
      'x.id',
      'x.name',
      'x.status',
      'x.unit_id',
      'u.name as unit_name',
      'x.trigger_kind',
      'x.current_version',
      'x.template',
      'x.updated_at',
    ])
    .where('x.corp_id', '=', ctx.cdb.corpId)
    .where(visibleFrom(ctx))
    .orderBy('x.id', 'desc')
    .execute();
  const counts = rows.length
    ? await ctx.cdb.db
        .selectFrom('journey_enrolments as e')
        .select([
          'e.journey_id',
          sql<number>`count(*) filter (where e.status = 'active')::int`.as('active'),
          sql<number>`count(*) filter (where e.status = 'done')::int`.as('done'),
          sql<number>`count(*) filter (where e.status = 'exited')::int`.as('exited'),
        ])
        .where('e.corp_id', '=', ctx.cdb.corpId)
        .where(
          'e.journey_id',
          'in',
          rows.map((r) => r.id),
        )
        .where((eb) =>
          ctx.actor.seesWholeCorp
            ? eb.lit(true)
            : eb(
                'e.customer_id',
                'in',
                eb
                  .selectFrom('customers as c')
                  .select('c.id')
                  .where('c.corp_id', '=', ctx.cdb.corpId)
                  .where(visibleTo(ctx)),
              ),
        )
        .groupBy('e.journey_id')
        .execute()
    : [];
  return {
    items: rows.map((r) => {
      const c = counts.find((x) => x.journey_id === r.id);
      return {
        id: r.id,
        name: r.name,
        status: r.status,
        unitId: r.unit_id,
        unitName: r.unit_name,
        trigger: r.trigger_kind,
        currentVersion: r.current_version,
        template: r.template,
        active: c?.active ?? 0,
        done: c?.done ?? 0,
        exited: c?.exited ?? 0,
        editable: canEdit(ctx) && ctx.actor.unitIds.includes(r.unit_id),
        updatedAt: r.updated_at.toISOString(),
      };
    }),
  };
}

export interface DryRunStep {
  node: string;
  kind: JourneyNode['kind'];
  at: string;
  outcome: Record<string, unknown>;
  next: string | null;
}

const DRY_RUN_MAX_STEPS = 50;

/**
 * The path one customer would take through a version now: each node with what it would do (the branch taken
 * on today's data, the sender, the message), waits counted forward. Nothing is sent or written.
 */
export async function dryRun(ctx: Ctx, id: number, input: { customerId: number; version?: number }) {
  const row = await visibleJourney(ctx, id);
  await assertCustomerVisible(ctx, input.customerId);
  const version = input.version ?? row.current_version;
  const exists = await ctx.cdb.db
    .selectFrom('journey_versions')
    .select('version')
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('journey_id', '=', id)
    .where('version', '=', version)
    .executeTakeFirst();
  if (!exists) throw notFound({ zh: '该版本', en: 'Version' });
  const graph = await currentGraph(ctx, id, version);
  const path: DryRunStep[] = [];
  let at = ctx.clock.now();
  let node: JourneyNode | undefined = nodeOf(graph, graph.start);
  let end: string = 'end';
  const visits = new Map<string, number>();
  while (node && path.length < DRY_RUN_MAX_STEPS) {
    const seen = (visits.get(node.id) ?? 0) + 1;
    visits.set(node.id, seen);
    if (seen > 2) {
      end = 'loop';
      break;
    }
    const out = await runNode(
      ctx,
      {
        enrolmentId: null,
        seq: path.length,
        journeyId: id,
        journeyName: row.name,
        unitId: row.unit_id,
        customerId: input.customerId,
      },
      node,
      at,
      false,
    );
    path.push({ node: node.id, kind: node.kind, at: at.toISOString(), outcome: out.outcome, next: out.next });
    if (node.kind === 'wait') at = arrivalDue(node, at);
    if (out.exit) {
      end = out.exit;
      break;
    }
    node = out.next ? nodeOf(graph, out.next) : undefined;
  }
  if (path.length >= DRY_RUN_MAX_STEPS) end = 'too_long';
  return { version, customerId: input.customerId, path, end };
}

export { checkGraph };
