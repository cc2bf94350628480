import { sql } from 'kysely';
import { AppError, notFound } from '../../platform/http/errors.ts';
import type { Pii } from '../../platform/pii.ts';
import type { Ctx } from '../context.ts';

export const PERSONA_LIST = ['brand', 'expert', 'founder', 'sales', 'assistant'] as const;
export type Persona = (typeof PERSONA_LIST)[number];

export interface PersonaInput {
  persona: Persona;
  personaName: string | null;
  title: string | null;
  intro: string | null;
  avatarGuide: string | null;
  mallTitle: string | null;
  mallUrl: string | null;
}

/** The name card's token: the corp and the staff id, signed with the brand's keyed hash (unguessable, no table). */
export function cardToken(pii: Pii, corpId: string, staffId: number): string {
  const body = Buffer.from(`${corpId}:${staffId}`).toString('base64url');
  return `${body}.${cardSignature(pii, corpId, staffId)}`;
}

function cardSignature(pii: Pii, corpId: string, staffId: number): string {
  // hex of the corp id: the hash normalises dashes and spaces away, hex has none
  return pii.hash(`card|${Buffer.from(corpId).toString('hex')}|${staffId}`).slice(0, 32);
}

/** The corp and staff a token names, when its signature holds. */
export function openCardToken(pii: Pii, token: string): { corpId: string; staffId: number } | null {
  const [body, sig] = token.split('.');
  if (!body || !sig || !/^[A-Za-z0-9_-]{1,120}$/.test(body)) return null;
  const m = /^([a-z0-9][a-z0-9-]{1,31}):(\d{1,15})$/.exec(Buffer.from(body, 'base64url').toString('utf8'));
  if (!m) return null;
  const staffId = Number(m[2]);
  return sig === cardSignature(pii, m[1]!, staffId) ? { corpId: m[1]!, staffId } : null;
}

export const cardPath = (pii: Pii, corpId: string, staffId: number) =>
  `/card/${cardToken(pii, corpId, staffId)}`;

async function staffInScope(ctx: Ctx, id: number) {
  const row = await ctx.cdb.db
    .selectFrom('staff')
    .select(['id', 'unit_id'])
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row || !ctx.actor.unitIds.includes(row.unit_id)) throw notFound({ zh: '员工', en: 'Staff member' });
  return row;
}

/** The persona and card of one member: managers of the member's unit (or above) set it. */
export async function setPersona(ctx: Ctx, id: number, input: PersonaInput) {
  await staffInScope(ctx, id);
  if (input.mallUrl && !/^(https?:\/\/|#小程序:\/\/|weixin:\/\/)/.test(input.mallUrl)) {
    throw new AppError('bad_request', {
      zh: '商城入口须是 https 链接或小程序链接',
      en: 'The mall entry must be an https link or a mini-program link',
    });
  }
  await ctx.cdb.db
    .updateTable('staff')
    .set({
      persona: input.persona,
      persona_name: input.personaName,
      title: input.title,
      persona_intro: input.intro,
      avatar_guide: input.avatarGuide,
      card_mall_title: input.mallTitle,
      card_mall_url: input.mallUrl,
      persona_updated_at: ctx.clock.now(),
    })
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', '=', id)
    .execute();
  return getCard(ctx, id);
}

/** A member's persona and card as the console edits it, with the card's link. */
export async function getCard(ctx: Ctx, id: number) {
  await staffInScope(ctx, id);
  const r = await ctx.cdb.db
    .selectFrom('staff')
    .select([
      'id',
      'name',
      'persona',
      'persona_name',
      'title',
      'persona_intro',
      'avatar_guide',
      'card_mall_title',
      'card_mall_url',
      'qr_code',
    ])
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return {
    id: r.id,
    name: r.name,
    persona: r.persona,
    personaName: r.persona_name,
    title: r.title,
    intro: r.persona_intro,
    avatarGuide: r.avatar_guide,
    mallTitle: r.card_mall_title,
    mallUrl: r.card_mall_url,
    hasQr: Boolean(r.qr_code),
    cardPath: cardPath(ctx.pii, ctx.cdb.corpId, r.id),
  };
}

/** The caller's own card (a front-line account is linked to its staff row). */
export async function getMyCard(ctx: Ctx) {
  if (ctx.actor.staffId === null)
    throw new AppError('not_found', { zh: '此账号没有关联员工', en: 'This account is not a staff member' });
  const r = await ctx.cdb.db
    .selectFrom('staff')
    .select('id')
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', '=', ctx.actor.staffId)
    .executeTakeFirst();
  if (!r) throw notFound({ zh: '员工', en: 'Staff member' });
  return { cardPath: cardPath(ctx.pii, ctx.cdb.corpId, r.id) };
}

/**
 * The persona matrix: per store in the caller's scope, how many active members hold each persona, and the
 * personas no one holds there (the gaps). A store's count includes the units under it.
 */
export async function personaMatrix(ctx: Ctx) {
  const rows = await sql<{ unit_id: number; name: string; path: string; persona: Persona | null; n: number }>`
    select u.id as unit_id, u.name, u.path, s.persona, count(s.id)::int as n
    from org_units u
    left join org_units su on su.corp_id = u.corp_id and su.path like u.path || '%'
    left join staff s on s.corp_id = su.corp_id and s.unit_id = su.id and s.status = 'active'
    where u.corp_id = ${ctx.cdb.corpId} and u.kind = 'store'
      and u.id = any(${[...ctx.actor.unitIds]}::bigint[])
    group by u.id, u.name, u.path, s.persona
    order by u.path`.execute(ctx.cdb.db);
  const stores = new Map<
    number,
    { unitId: number; unitName: string; counts: Record<Persona, number>; total: number; gaps: Persona[] }
  >();
  for (const r of rows.rows) {
    const id = Number(r.unit_id);
    let s = stores.get(id);
    if (!s) {
      s = {
        unitId: id,
        unitName: r.name,
        counts: { brand: 0, expert: 0, founder: 0, sales: 0, assistant: 0 },
        total: 0,
        gaps: [],
      };
      stores.set(id, s);
    }
    if (r.persona) {
      s.counts[r.persona] += Number(r.n);
      s.total += Number(r.n);
    }
  }
  const items = [...stores.values()].map((s) => ({
    ...s,
    gaps: PERSONA_LIST.filter((p) => s.counts[p] === 0),
  }));
  const totals = { brand: 0, expert: 0, founder: 0, sales: 0, assistant: 0 } as Record<Persona, number>;
  for (const s of items) for (const p of PERSONA_LIST) totals[p] += s.counts[p];
  return { stores: items, totals };
}
