import { sql } from 'kysely';
import { z } from 'zod';
import { dateInRange, EARLIEST_DATE, LATEST_DATE, textProblem } from '../../platform/input.ts';
import { publish, type SyncCtx } from '../context.ts';
import type { MemberLinked } from '../events.ts';
import { announceLinks, linkMembers } from './oneid.ts';
import { customerIdentityInput, type FieldError, fieldErrors } from './order-input.ts';

const date = (what: string) =>
  z.iso
    .date({ error: `${what} must be a date, e.g. 1990-05-01` })
    .refine((s) => Number.isNaN(Date.parse(s)) || dateInRange(new Date(s)), {
      error: `${what} must be from ${EARLIEST_DATE} to ${LATEST_DATE}`,
    });
const clean = (what: string) =>
  [(s: string) => !textProblem(s), { error: `${what} must not contain NUL or invalid Unicode` }] as const;

/** One member of the brand's membership system, as that system knows them now. */
export const memberInput = z.object({
  memberNo: z
    .string({ error: 'memberNo must be text' })
    .trim()
    .min(1, { error: 'memberNo must not be empty' })
    .max(64, { error: 'memberNo must be at most 64 characters' })
    .refine(...clean('memberNo')),
  level: z
    .string()
    .trim()
    .min(1)
    .max(32, { error: 'level must be at most 32 characters' })
    .refine(...clean('level'))
    .optional(),
  joinedAt: date('joinedAt').optional(),
  birthday: date('birthday').optional(),
  points: z
    .number({ error: 'points must be a number' })
    .int({ error: 'points must be a whole number' })
    .min(0, { error: 'points must not be negative' })
    .max(2_000_000_000, { error: 'points is too large' })
    .optional(),
  customer: customerIdentityInput.default({}),
});

export type MemberInput = z.input<typeof memberInput>;

export interface MemberResult {
  memberNo: string;
  status: 'created' | 'updated' | 'duplicate' | 'invalid';
  memberId?: number;
  customerId?: number | null;
  errors?: FieldError[];
}

/**
 * Writes a batch of one source's members (keyed by member number): new ones are created, known ones
 * updated (an identity left out keeps its old value). Unlinked members are linked by OneID, their
 * identities are learned, and every linked member's customer has its facts refreshed. In one batch the
 * last entry of a member number is kept; the earlier ones answer 'duplicate'.
 */
export async function ingestMembers(
  ctx: SyncCtx,
  source: string,
  members: MemberInput[],
): Promise<MemberResult[]> {
  const results: MemberResult[] = members.map((raw) => {
    const no = (raw as { memberNo?: unknown } | null)?.memberNo;
    return { memberNo: typeof no === 'string' ? no.slice(0, 64) : '', status: 'invalid' };
  });
  const lastOf = new Map<string, { index: number; member: z.output<typeof memberInput> }>();
  members.forEach((raw, index) => {
    const r = memberInput.safeParse(raw);
    if (!r.success) {
      results[index]!.errors = fieldErrors(r.error);
      return;
    }
    results[index]!.memberNo = r.data.memberNo;
    const earlier = lastOf.get(r.data.memberNo);
    if (earlier) results[earlier.index]!.status = 'duplicate';
    lastOf.set(r.data.memberNo, { index, member: r.data });
  });
  const kept = [...lastOf.values()];
  if (kept.length === 0) return results;

  return ctx.cdb.transaction(async (tx) => {
    const txCtx = { ...ctx, cdb: tx };
    const now = ctx.clock.now();
    const rows = await tx.db
      .insertInto('members')
      .values(
        kept.map(({ member: m }) => ({
          corp_id: tx.corpId,
          source,
          member_no: m.memberNo,
          level: m.level ?? null,
          joined_at: m.joinedAt ?? null,
          birthday: m.birthday ?? null,
          points: m.points ?? null,
          external_userid: m.customer.externalUserid ?? null,
          unionid: m.customer.unionid ?? null,
          openid: m.customer.openid ?? null,
          phone_hash: m.customer.phone ? ctx.pii.hash(m.customer.phone) : null,
          updated_at: now,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['corp_id', 'source', 'member_no']).doUpdateSet({
          level: sql`coalesce(excluded.level, members.level)`,
          joined_at: sql`coalesce(excluded.joined_at, members.joined_at)`,
          birthday: sql`coalesce(excluded.birthday, members.birthday)`,
          points: sql`coalesce(excluded.points, members.points)`,
          external_userid: sql`coalesce(excluded.external_userid, members.external_userid)`,
          unionid: sql`coalesce(excluded.unionid, members.unionid)`,
          openid: sql`coalesce(excluded.openid, members.openid)`,
          phone_hash: sql`coalesce(excluded.phone_hash, members.phone_hash)`,
          updated_at: sql`excluded.updated_at`,
        }),
      )
      .returning([
        'id',
        'source',
        'member_no',
        'level',
        'customer_id',
        'external_userid',
        'unionid',
        'openid',
        'phone_hash',
        sql<boolean>`xmax = 0`.as('created'),
      ])
      .execute();
    const linking = await linkMembers(txCtx, rows);
    await announceLinks(txCtx, linking);

    const customerOf = new Map(linking.members.map((l) => [l.id, l.customerId]));
    const byNo = new Map(rows.map((r) => [r.member_no, r]));
    for (const { index, member } of kept) {
      const row = byNo.get(member.memberNo)!;
      results[index] = {
        memberNo: member.memberNo,
        status: row.created ? 'created' : 'updated',
        memberId: row.id,
        customerId: row.customer_id ?? customerOf.get(row.id) ?? null,
      };
    }
    results.forEach((r, i) => {
      if (r.status !== 'duplicate') return;
      const row = byNo.get(r.memberNo)!;
      results[i] = { ...r, memberId: row.id, customerId: results[lastOf.get(r.memberNo)!.index]!.customerId };
    });
    // a linked member's level, points or dates changed: their customer's membership facts follow
    await publish(
      txCtx,
      rows.flatMap((r): MemberLinked[] =>
        r.customer_id === null
          ? []
          : [
              {
                type: 'MemberLinked',
                customerId: r.customer_id,
                memberId: r.id,
                memberNo: r.member_no,
                level: r.level,
                source: r.source,
              },
            ],
      ),
    );
    return results;
  });
}
