import { type RawBuilder, sql } from 'kysely';
import type { Actor } from '../../platform/actor.ts';
import { type Ctx, type Deps, type SyncCtx, syncCtxOf } from '../context.ts';
import { changeCustomerTags } from '../customers/index.ts';
import { audienceIds, type Rule, scopeCte } from '../segments/index.ts';
import {
  createTask,
  enqueueSend,
  notifyManager,
  pickSender,
  recordUse,
  renderMessage,
  reserveTouch,
  type TouchSource,
} from './effects.ts';
import { type Graph, type JourneyNode, nodeOf, splitArm, storedGraph, waitUntil } from './graph.ts';

/**
 * The engine. An enrolment is a row: a customer on one version of a journey, at a node, due at a time. The
 * `journeys.advance` job takes due enrolments in batches, each batch in its own transaction that locks them
 * (`FOR UPDATE SKIP LOCKED`, so schedulers on several connections or processes never take the same one),
 * does each one's step — its effects are rows in that transaction: an outbox call, tags, a task — writes the
 * step to `journey_steps` under (enrolment, seq), and moves the enrolment on (see stepBatch). A crash rolls
 * the transaction back: the steps are not done and the enrolments are where they were, due, so each step is
 * done once when work resumes.
 */

export const ADVANCE_JOB = 'journeys.advance';
const MAX_FAILURES = 8;
const EVERYONE: Rule = { op: 'and', rules: [] };

// ---- the journey's own scope: its unit's subtree, as an HQ-side actor of that unit ----

const scopes = new Map<string, { at: number; actor: Actor }>();
const SCOPE_TTL_MS = 60_000;

/** A system caller standing at the journey's unit: its customers are the unit's, every tag in view. */
export async function journeyCtx(ctx: SyncCtx, unitId: number): Promise<Ctx> {
  const key = `${ctx.cdb.corpId}:${unitId}`;
  const now = Date.now();
  let hit = scopes.get(key);
  if (!hit || now - hit.at > SCOPE_TTL_MS) {
    const units = await ctx.cdb.db
      .selectFrom('org_units as u')
      .innerJoin('org_units as me', (j) => j.onRef('me.corp_id', '=', 'u.corp_id'))
      .select(['u.id', 'me.parent_id as root_parent'])
      .where('u.corp_id', '=', ctx.cdb.corpId)
      .where('me.id', '=', unitId)
      .where(sql<boolean>`u.path like me.path || '%'`)
      .execute();
    const actor: Actor = {
      corpId: ctx.cdb.corpId,
      accountId: 0,
      role: 'hq_admin',
      unitId,
      seesWholeCorp: units.length > 0 && units[0]!.root_parent === null,
      unitIds: units.map((u) => u.id),
      staffId: null,
    };
    hit = { at: now, actor };
    scopes.set(key, hit);
  }
  return { ...ctx, actor: hit.actor };
}

// ---- versions (immutable once written: cached) ----

const graphs = new Map<string, Graph>();

export async function versionGraph(ctx: SyncCtx, journeyId: number, version: number): Promise<Graph> {
  const key = `${ctx.cdb.corpId}:${journeyId}:${version}`;
  const hit = graphs.get(key);
  if (hit) return hit;
  const row = await ctx.cdb.db
    .selectFrom('journey_versions')
    .select('graph')
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('journey_id', '=', journeyId)
    .where('version', '=', version)
    .executeTakeFirstOrThrow();
  const graph = storedGraph(row.graph);
  if (graphs.size > 5_000) graphs.clear();
  graphs.set(key, graph);
  return graph;
}

/** When an enrolment arriving at `node` now is due there: a wait's end, else at once. */
export function arrivalDue(node: JourneyNode, now: Date): Date {
  return node.kind === 'wait' ? waitUntil(node.wait, now) : now;
}

// ---- enrolment ----

export interface JourneyRef {
  id: number;
  unitId: number;
  version: number;
  graph: Graph;
}

/**
 * Enrols customers (ids from `candidates`, each with what started it) who are in the journey's scope and pass
 * its trigger's filter; none twice for one occurrence of one version (`occurrence` is '' without re-entry),
 * and never while the customer is still on this journey. Set-based: one statement however many.
 * Returns the number enrolled.
 */
export async function enrol(
  ctx: SyncCtx,
  journey: JourneyRef,
  /** The customers, or a select of (id, occ) pairs. */
  candidates: { customerId: number; occurrence: string }[] | { audience: RawBuilder<unknown> },
  now: Date,
): Promise<number> {
  const jctx = await journeyCtx(ctx, journey.unitId);
  const rule = journey.graph.trigger.filter ?? EVERYONE;
  const start = nodeOf(journey.graph, journey.graph.start)!;
  const due = arrivalDue(start, now);
  const corp = ctx.cdb.corpId;
  const reentry = journey.graph.reentry;
  let cand: RawBuilder<unknown>;
  if (Array.isArray(candidates)) {
    if (candidates.length === 0) return 0;
    cand = sql`select * from unnest(${candidates.map((c) => c.customerId)}::bigint[],
      ${candidates.map((c) => (reentry ? c.occurrence : ''))}::text[]) as c(id, occ)`;
  } else {
    cand = sql`select a.id, ${reentry ? sql`a.occ` : sql`''`}::text as occ from (${candidates.audience}) a`;
  }
  const { rows } = await sql<{ n: number }>`${scopeCte(jctx)},
    cand as materialized (${cand}),
    member as materialized (${audienceIds(jctx, rule)}),
    ins as (
      insert into journey_enrolments (corp_id, journey_id, version, customer_id, occurrence, node, status, due_at,
        entered_at, updated_at)
      select distinct on (c.id) ${corp}, ${journey.id}::bigint, ${journey.version}::int, c.id, c.occ,
        ${start.id}, 'active', ${due}::timestamptz, ${now}::timestamptz, ${now}::timestamptz
      from cand c join member m on m.id = c.id
      where not exists (select 1 from journey_enrolments e where e.corp_id = ${corp} and e.journey_id = ${journey.id}
        and e.customer_id = c.id and e.status = 'active')
      order by c.id
      on conflict (corp_id, journey_id, version, customer_id, occurrence) do nothing
      returning 1)
    select count(*)::int as n from ins`.execute(ctx.cdb.db);
  return rows[0]?.n ?? 0;
}

/** Whether a segment rule holds for one customer, within the journey's scope. */
export async function ruleHolds(jctx: Ctx, rule: Rule, customerId: number): Promise<boolean> {
  const { rows } = await sql<{ ok: boolean }>`${scopeCte(jctx)}
    select exists (select 1 from (${audienceIds(jctx, rule)}) m where m.id = ${customerId}) as ok`.execute(
    jctx.cdb.db,
  );
  return rows[0]?.ok === true;
}

// ---- one step ----

interface Claimed {
  corp_id: string;
  id: number;
  journey_id: number;
  version: number;
  customer_id: number;
  node: string;
  steps: number;
  due_at: Date;
  deferrals: number;
  unit_id: number;
  journey_name: string;
}

export interface StepOutcome {
  kind: JourneyNode['kind'] | 'missing';
  /** The node after this one; null: the journey ends here. */
  next: string | null;
  outcome: Record<string, unknown>;
  /** The step cannot happen now (the budget deferred a send): the enrolment waits until then, no step done. */
  deferUntil?: Date;
  /** The enrolment leaves the journey here, early, for this reason. */
  exit?: string;
}

/**
 * What a node does for one customer. `live`: do it (inside the step's transaction); otherwise a dry run
 * that only says what would happen.
 */
export async function runNode(
  ctx: SyncCtx,
  e: {
    enrolmentId: number | null;
    seq: number;
    journeyId: number;
    journeyName: string;
    unitId: number;
    customerId: number;
  },
  node: JourneyNode,
  now: Date,
  live: boolean,
): Promise<StepOutcome> {
  const source: TouchSource = { kind: 'journey', id: `${e.journeyId}:${node.id}:${e.enrolmentId}:${e.seq}` };
  switch (node.kind) {
    case 'wait':
      return {
        kind: 'wait',
        next: node.next ?? null,
        outcome: live ? {} : { until: waitUntil(node.wait, now).toISOString() },
      };
    case 'branch': {
      const yes = await ruleHolds(await journeyCtx(ctx, e.unitId), node.rule, e.customerId);
      return {
        kind: 'branch',
        next: (yes ? node.yes : node.no) ?? null,
        outcome: { branch: yes ? 'yes' : 'no' },
      };
    }
    case 'split': {
      const arm = splitArm(
        e.journeyId,
        node.id,
        e.customerId,
        node.arms.map((a) => a.percent),
      );
      return { kind: 'split', next: node.arms[arm]!.next ?? null, outcome: { arm } };
    }
    case 'send': {
      const [pick] = await pickSender(await journeyCtx(ctx, e.unitId), [e.customerId], {
        prefer: 'store_staff',
      });
      if (!pick || 'excluded' in pick) {
        const reason = pick && 'excluded' in pick ? pick.excluded : 'not_friend';
        return { kind: 'send', next: null, outcome: { sent: false, reason }, exit: reason };
      }
      const customer = await ctx.cdb.db
        .selectFrom('customers')
        .select(['name', 'external_userid'])
        .where('corp_id', '=', ctx.cdb.corpId)
        .where('id', '=', e.customerId)
        .executeTakeFirstOrThrow();
      const staff = await ctx.cdb.db
        .selectFrom('staff')
        .select(['name', 'persona_name'])
        .where('corp_id', '=', ctx.cdb.corpId)
        .where('id', '=', pick.staffId)
        .executeTakeFirstOrThrow();
      const message = await renderMessage(
        ctx,
        { contentId: node.contentId, text: node.text },
        { customer: customer.name, staff: staff.name, persona: staff.persona_name },
      );
      const base = { staffId: pick.staffId, userid: pick.userid, senderReason: pick.reason, message };
      if (!live) return { kind: 'send', next: node.next ?? null, outcome: { ...base, dryRun: true } };
      const touch = await reserveTouch(ctx, {
        customerId: e.customerId,
        staffId: pick.staffId,
        source,
        contentId: node.contentId,
        at: now,
        label: `${e.journeyName} · ${node.label ?? node.id}`,
      });
      if (!touch.ok) {
        if (touch.retryAt) {
          return { kind: 'send', next: null, outcome: { deferred: touch.reason }, deferUntil: touch.retryAt };
        }
        return {
          kind: 'send',
          next: null,
          outcome: { sent: false, reason: touch.reason },
          exit: touch.reason,
        };
      }
      const outboxId = await enqueueSend(
        ctx,
        {
          key: `journey:${e.enrolmentId}:${e.seq}`,
          userid: pick.userid,
          externalUserid: customer.external_userid,
          message,
        },
        now,
      );
      if (node.contentId !== undefined) {
        await recordUse(ctx, {
          contentId: node.contentId,
          customerId: e.customerId,
          touchId: touch.touchId,
          at: now,
        });
      }
      return {
        kind: 'send',
        next: node.next ?? null,
        outcome: { ...base, touchId: touch.touchId, outboxId },
      };
    }
    case 'tag': {
      if (!live)
        return { kind: 'tag', next: node.next ?? null, outcome: { add: node.add, remove: node.remove } };
      const [changed] = await changeCustomerTags(
        ctx,
        [
          {
            customerId: e.customerId,
            add: node.add,
            remove: node.remove,
            at: now,
            cause: { source: 'journey', journeyId: e.journeyId, journeyName: e.journeyName, nodeId: node.id },
            key: `journey:${e.enrolmentId}:${e.seq}:tag`,
          },
        ],
        now,
      );
      return {
        kind: 'tag',
        next: node.next ?? null,
        outcome: { added: changed!.added, removed: changed!.removed },
      };
    }
    case 'task': {
      const [pick] = await pickSender(await journeyCtx(ctx, e.unitId), [e.customerId], {
        prefer: 'store_staff',
      });
      if (!pick || 'excluded' in pick) {
        const reason = pick && 'excluded' in pick ? pick.excluded : 'not_friend';
        return { kind: 'task', next: null, outcome: { created: false, reason }, exit: reason };
      }
      const dueAt = new Date(now.getTime() + node.dueInHours * 3_600_000);
      const task = {
        staffId: pick.staffId,
        customerId: e.customerId,
        kind: node.taskKind,
        title: node.title,
        contentId: node.contentId,
        dueAt,
        source,
      };
      const taskId = live ? await createTask(ctx, task) : null;
      return {
        kind: 'task',
        next: node.next ?? null,
        outcome: { ...task, dueAt: dueAt.toISOString(), taskId, source: undefined },
      };
    }
    case 'notify': {
      const [pick] = await pickSender(await journeyCtx(ctx, e.unitId), [e.customerId], {
        prefer: 'store_staff',
      });
      const staffId = pick && 'staffId' in pick ? pick.staffId : null;
      const to = await notifyManager(ctx, {
        customerId: e.customerId,
        staffId,
        text: node.text,
        title: `${e.journeyName} · ${node.label ?? node.id}`,
        source,
        live,
      });
      return { kind: 'notify', next: node.next ?? null, outcome: { ...to, text: node.text } };
    }
    case 'exit':
      return { kind: 'exit', next: null, outcome: {} };
  }
}

/** Enrolments claimed at once: one transaction for them all. */
export const BATCH_SIZE = 250;
/** Node kinds whose steps a batch does for all its enrolments at that node at once (no send, no budget). */
const SET_KINDS: ReadonlySet<JourneyNode['kind']> = new Set(['wait', 'branch', 'split', 'tag', 'exit']);

/**
 * Takes up to `limit` due enrolments (skipping those another transaction holds) and does each one's step,
 * all in one transaction. Enrolments at the same node of the same version go together: a wait, branch,
 * split, tag or exit step is done for all of them in a few set-based statements; a send, task or notify
 * step one enrolment at a time. Each group and each single step runs under a savepoint: a group that fails
 * is done again one enrolment at a time, and a step that fails is rolled back alone and recorded as a
 * failure (retried later), so one bad step loses none of the others. A crash rolls the whole batch back:
 * every enrolment in it is where it was, due, and its step is done once when work resumes.
 * Returns the enrolments handled (stepped, deferred or failed); 0 when nothing was due.
 */
export async function stepBatch(
  deps: Pick<Deps, 'db' | 'clock' | 'pii' | 'events'>,
  limit = BATCH_SIZE,
): Promise<number> {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (tx) => {
    const { rows } = await sql<Claimed>`
      select e.corp_id, e.id, e.journey_id, e.version, e.customer_id, e.node, e.steps, e.due_at, e.deferrals,
        j.unit_id, j.name as journey_name
      from journey_enrolments e
      join journeys j on j.corp_id = e.corp_id and j.id = e.journey_id
      where e.status = 'active' and e.due_at <= ${now} and j.status = 'active'
      order by e.due_at
      limit ${limit}
      for update of e skip locked`.execute(tx);
    if (rows.length === 0) return 0;
    // One group per corp, version and node; in each, the customers in id order (locks taken in one order).
    rows.sort((a, b) =>
      a.corp_id < b.corp_id ? -1 : a.corp_id > b.corp_id ? 1 : a.customer_id - b.customer_id,
    );
    const groups = new Map<string, Claimed[]>();
    for (const row of rows) {
      const key = `${row.corp_id}\u0000${row.journey_id}\u0000${row.version}\u0000${row.node}`;
      const group = groups.get(key);
      if (group) group.push(row);
      else groups.set(key, [row]);
    }
    for (const group of groups.values()) {
      const first = group[0]!;
      const ctx = syncCtxOf({ ...deps, db: tx }, first.corp_id);
      // a version that cannot be read fails each step below (recorded), not the batch
      const graph = await versionGraph(ctx, first.journey_id, first.version).catch(() => null);
      const node = graph ? nodeOf(graph, first.node) : undefined;
      if (graph && group.length > 1 && (!node || SET_KINDS.has(node.kind))) {
        const together = await savepoint(tx, () => stepGroup(ctx, graph, node, group, now));
        if (together.ok) continue;
      }
      for (const row of group) {
        const one = await savepoint(tx, () => doStep(ctx, row, now));
        if (!one.ok) await recordFailure(tx, row.corp_id, row.id, one.error, now);
      }
    }
    return rows.length;
  });
}

/** Runs `fn` under a savepoint: its writes stay when it succeeds, and only they are undone when it throws. */
async function savepoint(
  tx: Deps['db'],
  fn: () => Promise<void>,
): Promise<{ ok: true } | { ok: false; error: unknown }> {
  await sql`savepoint journey_step`.execute(tx);
  try {
    await fn();
  } catch (error) {
    await sql`rollback to savepoint journey_step`.execute(tx);
    await sql`release savepoint journey_step`.execute(tx);
    return { ok: false, error };
  }
  await sql`release savepoint journey_step`.execute(tx);
  return { ok: true };
}

/** The steps of enrolments all at one node (of SET_KINDS, or missing from the graph), set-based. */
async function stepGroup(
  ctx: SyncCtx,
  graph: Graph,
  node: JourneyNode | undefined,
  rows: Claimed[],
  now: Date,
): Promise<void> {
  const first = rows[0]!;
  let outs: StepOutcome[];
  if (!node) {
    outs = rows.map(() => ({ kind: 'missing', next: null, outcome: {}, exit: 'node_missing' }));
  } else if (node.kind === 'branch') {
    const yes = await ruleHoldsFor(
      await journeyCtx(ctx, first.unit_id),
      node.rule,
      rows.map((r) => r.customer_id),
    );
    outs = rows.map((r) => {
      const y = yes.has(r.customer_id);
      return {
        kind: 'branch',
        next: (y ? node.yes : node.no) ?? null,
        outcome: { branch: y ? 'yes' : 'no' },
      };
    });
  } else if (node.kind === 'tag') {
    const changed = await changeCustomerTags(
      ctx,
      rows.map((r) => ({
        customerId: r.customer_id,
        add: node.add,
        remove: node.remove,
        at: now,
        cause: { source: 'journey', journeyId: r.journey_id, journeyName: r.journey_name, nodeId: node.id },
        key: `journey:${r.id}:${r.steps}:tag`,
      })),
      now,
    );
    outs = rows.map((_, i) => ({
      kind: 'tag',
      next: node.next ?? null,
      outcome: { added: changed[i]!.added, removed: changed[i]!.removed },
    }));
  } else {
    // wait, split, exit: no I/O
    outs = [];
    for (const r of rows) outs.push(await runNode(ctx, stepOf(r), node, now, true));
  }
  await writeSteps(ctx, graph, rows, outs, now);
}

/** Which of `customerIds` a segment rule holds for, within the journey's scope: one statement. */
async function ruleHoldsFor(jctx: Ctx, rule: Rule, customerIds: number[]): Promise<Set<number>> {
  const { rows } = await sql<{ id: number | string }>`${scopeCte(jctx)}
    select m.id from (${audienceIds(jctx, rule)}) m where m.id = any(${customerIds}::bigint[])`.execute(
    jctx.cdb.db,
  );
  return new Set(rows.map((r) => Number(r.id)));
}

const stepOf = (row: Claimed) => ({
  enrolmentId: row.id,
  seq: row.steps,
  journeyId: row.journey_id,
  journeyName: row.journey_name,
  unitId: row.unit_id,
  customerId: row.customer_id,
});

async function doStep(ctx: SyncCtx, row: Claimed, now: Date): Promise<void> {
  const graph = await versionGraph(ctx, row.journey_id, row.version);
  const node = nodeOf(graph, row.node);
  const out: StepOutcome = node
    ? await runNode(ctx, stepOf(row), node, now, true)
    : { kind: 'missing', next: null, outcome: {}, exit: 'node_missing' };
  if (out.deferUntil) {
    await ctx.cdb.db
      .updateTable('journey_enrolments')
      .set({ due_at: out.deferUntil, deferrals: row.deferrals + 1, updated_at: now, last_error: null })
      .where('corp_id', '=', ctx.cdb.corpId)
      .where('id', '=', row.id)
      .execute();
    return;
  }
  await writeSteps(ctx, graph, [row], [out], now);
}

/**
 * Writes each enrolment's step to `journey_steps` under (enrolment, seq) — unique, so a step can never be
 * written twice — and moves the enrolment on to its next node (due at once, or at a wait's end), or ends it.
 */
async function writeSteps(
  ctx: SyncCtx,
  graph: Graph,
  rows: Claimed[],
  outs: StepOutcome[],
  now: Date,
): Promise<void> {
  const corp = ctx.cdb.corpId;
  const steps = rows.map((row, i) => {
    const out = outs[i]!;
    const next = out.exit || !out.next ? null : nodeOf(graph, out.next)!;
    return {
      id: row.id,
      journey_id: row.journey_id,
      version: row.version,
      node: row.node,
      seq: row.steps,
      kind: out.kind,
      outcome: out.outcome,
      due_at: row.due_at.toISOString(),
      next: next?.id ?? null,
      next_due: next ? arrivalDue(next, now).toISOString() : null,
      status: next ? 'active' : out.exit ? 'exited' : 'done',
      exit_reason: next ? null : (out.exit ?? null),
    };
  });
  const json = JSON.stringify(steps);
  await sql`
    insert into journey_steps (corp_id, enrolment_id, seq, journey_id, version, node, kind, outcome, due_at,
      done_at)
    select ${corp}, r.id, r.seq, r.journey_id, r.version, r.node, r.kind, r.outcome, r.due_at, ${now}
    from jsonb_to_recordset(${json}::jsonb) as r(id bigint, seq int, journey_id bigint, version int, node text,
      kind text, outcome jsonb, due_at timestamptz)`.execute(ctx.cdb.db);
  await sql`
    update journey_enrolments e set
      node = coalesce(r.next, e.node),
      due_at = coalesce(r.next_due, e.due_at),
      steps = r.seq + 1,
      updated_at = ${now},
      failures = case when r.next is null then e.failures else 0 end,
      status = r.status,
      exit_reason = case when r.next is null then r.exit_reason else e.exit_reason end
    from jsonb_to_recordset(${json}::jsonb) as r(id bigint, seq int, next text, next_due timestamptz,
      status text, exit_reason text)
    where e.corp_id = ${corp} and e.id = r.id`.execute(ctx.cdb.db);
}

async function recordFailure(
  db: Deps['db'],
  corp: string,
  id: number,
  error: unknown,
  now: Date,
): Promise<void> {
  const message = error instanceof Error ? error.message : String(error);
  // Backs off 1, 2, 4 … minutes; the eighth failure ends the enrolment, kept with its error.
  await sql`
    update journey_enrolments set failures = failures + 1, last_error = ${message.slice(0, 500)},
      updated_at = ${now},
      due_at = ${now}::timestamptz + make_interval(mins => power(2, least(failures, 10))::int),
      status = case when failures + 1 >= ${MAX_FAILURES} then 'exited' else status end,
      exit_reason = case when failures + 1 >= ${MAX_FAILURES} then 'failed' else exit_reason end
    where corp_id = ${corp} and id = ${id} and status = 'active'`.execute(db);
}

/**
 * Does due steps until none is due or about `maxSteps` are done, in batches (stepBatch) on `concurrency`
 * connections at once. Returns the enrolments handled.
 */
export async function advanceDue(
  deps: Pick<Deps, 'db' | 'clock' | 'pii' | 'events'>,
  opts: { maxSteps?: number; concurrency?: number; batchSize?: number; signal?: AbortSignal } = {},
): Promise<number> {
  const max = opts.maxSteps ?? 2_000;
  const batch = opts.batchSize ?? BATCH_SIZE;
  let done = 0;
  let empty = false;
  const lane = async () => {
    while (!empty && done < max && !opts.signal?.aborted) {
      const n = await stepBatch(deps, Math.min(batch, max - done));
      if (n === 0) empty = true;
      else done += n;
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 4 }, lane));
  return done;
}
