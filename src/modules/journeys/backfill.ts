import type { SyncCtx } from '../context.ts';
import { arrivalDue, type JourneyRef, runNode } from './engine.ts';
import { type JourneyNode, nodeOf } from './graph.ts';

/**
 * Enrolments as if the journey had been running since they entered (the demo brand's history): each customer
 * walks the graph from `enteredAt` up to now — waits counted, branches and splits decided on today's data —
 * and stays where that leaves them, due when their wait ends; what the live engine then does is real. The
 * steps on the way are recorded as done (`backfilled` in their outcome) but have no effects: nothing is
 * sent, tagged or reserved for the past. A customer already enrolled for that occurrence is left alone.
 */
export async function backfillEnrolments(
  ctx: SyncCtx,
  journey: JourneyRef & { name: string },
  customers: { customerId: number; occurrence?: string; enteredAt: Date }[],
): Promise<number> {
  const now = ctx.clock.now();
  const corp = ctx.cdb.corpId;
  let made = 0;
  for (const c of customers) {
    await ctx.cdb.transaction(async (tx) => {
      const tctx = { ...ctx, cdb: tx };
      const start = nodeOf(journey.graph, journey.graph.start)!;
      const inserted = await tx.db
        .insertInto('journey_enrolments')
        .values({
          corp_id: corp,
          journey_id: journey.id,
          version: journey.version,
          customer_id: c.customerId,
          occurrence: journey.graph.reentry ? (c.occurrence ?? '') : '',
          node: start.id,
          due_at: arrivalDue(start, c.enteredAt),
          entered_at: c.enteredAt,
          updated_at: now,
        })
        .onConflict((oc) =>
          oc.columns(['corp_id', 'journey_id', 'version', 'customer_id', 'occurrence']).doNothing(),
        )
        .returning('id')
        .executeTakeFirst();
      if (!inserted) return;
      made++;
      let node: JourneyNode | undefined = start;
      let due = arrivalDue(start, c.enteredAt);
      let seq = 0;
      let end: { status: 'done' | 'exited'; reason: string | null } | null = null;
      while (node && due <= now && seq < 50) {
        const out = await runNode(
          tctx,
          {
            enrolmentId: inserted.id,
            seq,
            journeyId: journey.id,
            journeyName: journey.name,
            unitId: journey.unitId,
            customerId: c.customerId,
          },
          node,
          due,
          false,
        );
        await tx.db
          .insertInto('journey_steps')
          .values({
            corp_id: corp,
            enrolment_id: inserted.id,
            seq,
            journey_id: journey.id,
            version: journey.version,
            node: node.id,
            kind: node.kind,
            outcome: JSON.stringify({ ...out.outcome, dryRun: undefined, backfilled: true }),
            due_at: due,
            done_at: due,
          })
          .execute();
        seq++;
        if (out.exit) {
          end = { status: 'exited', reason: out.exit };
          break;
        }
        const next = out.next ? nodeOf(journey.graph, out.next) : undefined;
        if (!next) {
          end = { status: 'done', reason: null };
          break;
        }
        node = next;
        due = arrivalDue(next, due);
      }
      await tx.db
        .updateTable('journey_enrolments')
        .set(
          end
            ? { node: node!.id, status: end.status, exit_reason: end.reason, steps: seq, updated_at: now }
            : { node: node!.id, due_at: due, steps: seq, updated_at: now },
        )
        .where('corp_id', '=', corp)
        .where('id', '=', inserted.id)
        .execute();
    });
  }
  return made;
}
