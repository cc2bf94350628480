/**
 * The exactly-once check: every fired event has one inbox row (re-sent ones included), every row is done,
 * and every (userid, external_userid) has exactly one customer, one follow and one `follow_added` entry.
 */
import { type Kysely, sql } from 'kysely';
import type { Tables } from '../src/modules/tables.ts';

const EXAMPLES = 3;

interface Counted {
  key: string;
  n: number;
}

/** Each expected key exactly once, nothing else: the discrepancies in words (empty when all is well). */
function exactlyOnce(what: string, expected: Set<string>, rows: Counted[]): string[] {
  const seen = new Map(rows.map((r) => [r.key, r.n]));
  const missing = [...expected].filter((k) => !seen.has(k));
  const multiple = rows.filter((r) => expected.has(r.key) && r.n !== 1);
  const unexpected = rows.filter((r) => !expected.has(r.key));
  const out: string[] = [];
  const eg = (keys: string[]) => `, e.g. ${keys.slice(0, EXAMPLES).join(', ')}`;
  if (missing.length) out.push(`${what}: ${missing.length} missing${eg(missing)}`);
  if (multiple.length) {
    out.push(`${what}: ${multiple.length} more than once${eg(multiple.map((r) => `${r.key} ×${r.n}`))}`);
  }
  if (unexpected.length) {
    out.push(`${what}: ${unexpected.length} not fired by the bench${eg(unexpected.map((r) => r.key))}`);
  }
  return out;
}

export async function verifyExactlyOnce(
  db: Kysely<Tables>,
  corpId: string,
  pairs: [string, string][],
  opts: { processed: boolean },
): Promise<string[]> {
  const expected = new Set(pairs.map(([u, x]) => `${u}/${x}`));
  const issues: string[] = [];

  const inbox = await sql<{ key: string; n: number; done: number; parked: number }>`
    select concat(event->>'userId', '/', event->>'externalUserId') as key, count(*)::int as n,
      (count(*) filter (where status = 'done'))::int as done,
      (count(*) filter (where status = 'parked'))::int as parked
    from wecom_inbox where corp_id = ${corpId} group by 1`.execute(db);
  issues.push(...exactlyOnce('inbox rows', expected, inbox.rows));
  if (!opts.processed) return issues;

  const notDone = inbox.rows.filter((r) => r.done !== r.n);
  if (notDone.length) {
    const parked = notDone.reduce((s, r) => s + r.parked, 0);
    const errors = await db
      .selectFrom('wecom_inbox')
      .select(['last_error'])
      .where('corp_id', '=', corpId)
      .where('status', '!=', 'done')
      .where('last_error', 'is not', null)
      .limit(EXAMPLES)
      .execute();
    issues.push(
      `inbox rows: ${notDone.length} not done (${parked} parked)` +
        (errors.length ? `; last errors: ${errors.map((e) => e.last_error).join(' | ')}` : ''),
    );
  }

  const customers = await sql<Counted>`
    select external_userid as key, count(*)::int as n from customers where corp_id = ${corpId} group by 1`.execute(
    db,
  );
  issues.push(...exactlyOnce('customers', new Set(pairs.map(([, x]) => x)), customers.rows));

  const follows = await sql<Counted>`
    select concat(s.userid, '/', c.external_userid) as key, count(*)::int as n
    from follows f
    join customers c on c.corp_id = f.corp_id and c.id = f.customer_id
    join staff s on s.corp_id = f.corp_id and s.id = f.staff_id
    where f.corp_id = ${corpId} and f.status = 'active' group by 1`.execute(db);
  issues.push(...exactlyOnce('active follows', expected, follows.rows));

  const timeline = await sql<Counted>`
    select concat(s.userid, '/', c.external_userid) as key, count(*)::int as n
    from customer_events e
    join customers c on c.corp_id = e.corp_id and c.id = e.customer_id
    join staff s on s.corp_id = e.corp_id and s.id = e.staff_id
    where e.corp_id = ${corpId} and e.kind = 'follow_added' group by 1`.execute(db);
  issues.push(...exactlyOnce('follow_added timeline entries', expected, timeline.rows));
  return issues;
}
