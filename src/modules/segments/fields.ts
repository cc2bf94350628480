import type { Lang } from '../../platform/http/errors.ts';
import { visibleChannels } from '../channels/index.ts';
import type { Ctx } from '../context.ts';
import { listUnits } from '../org/index.ts';
import { PERSONA_LIST } from '../staff/index.ts';
import { listTagGroups } from '../tags/index.ts';
import { FIELDS, type FieldType, METHODS, STAGES } from './rule.ts';

export interface FieldOption {
  value: string | number;
  label: string;
  /** tags: the tag group's name */
  group?: string;
}

const STAGE_LABELS: Record<(typeof STAGES)[number], { zh: string; en: string }> = {
  new: { zh: '新客', en: 'New' },
  active: { zh: '活跃', en: 'Active' },
  repeat: { zh: '复购', en: 'Repeat' },
  super: { zh: '超级用户', en: 'Super user' },
  dormant: { zh: '沉睡', en: 'Dormant' },
  churned: { zh: '流失', en: 'Churned' },
};

const METHOD_LABELS: Record<(typeof METHODS)[number], { zh: string; en: string }> = {
  package_card: { zh: '包裹卡', en: 'Package card' },
  sms: { zh: '短信', en: 'SMS' },
  ai_call: { zh: 'AI电话', en: 'AI call' },
  rollup_banner: { zh: '易拉宝', en: 'Roll-up banner' },
  table_card: { zh: '台卡', en: 'Table card' },
  poster: { zh: '海报', en: 'Poster' },
  wangwang: { zh: '旺旺', en: 'Wangwang' },
  livestream: { zh: '直播', en: 'Livestream' },
  mini_program: { zh: '小程序', en: 'Mini-program' },
  other: { zh: '其他', en: 'Other' },
};

const PERSONA_LABELS: Record<(typeof PERSONA_LIST)[number], { zh: string; en: string }> = {
  brand: { zh: '品牌号', en: 'Brand' },
  expert: { zh: '专家', en: 'Expert' },
  founder: { zh: '创始人', en: 'Founder' },
  sales: { zh: '销售', en: 'Sales' },
  assistant: { zh: '助理', en: 'Assistant' },
};

/** Acquisition months offered in the builder: this brand month (UTC+8) and the ones before it, newest first. */
const MONTHS = 36;
function recentMonths(now: Date): string[] {
  const brandNow = new Date(now.getTime() + 8 * 3_600_000);
  return Array.from({ length: MONTHS }, (_, k) =>
    new Date(Date.UTC(brandNow.getUTCFullYear(), brandNow.getUTCMonth() - k, 1)).toISOString().slice(0, 7),
  );
}

/** Products offered in the builder: the most-ordered ones seen in the scope's orders. */
const MAX_PRODUCTS = 300;

/** The field catalogue for the segment builder, each field's options scoped to the caller. */
export async function segmentFields(ctx: Ctx, lang: Lang) {
  const { cdb, actor } = ctx;
  const units = [...actor.unitIds];
  const [tagGroups, unitRows, staff, channels, products, groups, massSends, journeys] = await Promise.all([
    listTagGroups(ctx),
    listUnits(ctx),
    cdb.db
      .selectFrom('staff')
      .select(['id', 'name'])
      .where('corp_id', '=', cdb.corpId)
      .where('unit_id', 'in', units)
      .where('status', '<>', 'departed')
      .orderBy('name')
      .orderBy('id')
      .execute(),
    visibleChannels(ctx).select(['c.id', 'c.name']).orderBy('c.id').execute(),
    cdb.db
      .selectFrom('order_items as i')
      .innerJoin('orders as o', (j) =>
        j.onRef('o.corp_id', '=', 'i.corp_id').onRef('o.id', '=', 'i.order_id'),
      )
      .select(['i.product_code', (eb) => eb.fn.max('i.product_name').as('name')])
      .where('i.corp_id', '=', cdb.corpId)
      .$if(!actor.seesWholeCorp, (q) => q.where('o.unit_id', 'in', units))
      .groupBy('i.product_code')
      .orderBy((eb) => eb.fn.countAll(), 'desc')
      .orderBy('i.product_code')
      .limit(MAX_PRODUCTS)
      .execute(),
    cdb.db
      .selectFrom('groups as g')
      .leftJoin('staff as s', (j) =>
        j.onRef('s.corp_id', '=', 'g.corp_id').onRef('s.id', '=', 'g.owner_staff_id'),
      )
      .select(['g.id', 'g.name'])
      .where('g.corp_id', '=', cdb.corpId)
      .where('g.status', '=', 'active')
      .$if(!actor.seesWholeCorp, (q) => q.where('s.unit_id', 'in', units))
      .orderBy('g.name')
      .orderBy('g.id')
      .execute(),
    // the caller's units' mass sends to customers, newest first
    cdb.db
      .selectFrom('mass_sends')
      .select(['id', 'name'])
      .where('corp_id', '=', cdb.corpId)
      .where('target', '=', 'customers')
      .where('series_id', 'is', null)
      .$if(!actor.seesWholeCorp, (q) => q.where('unit_id', 'in', units))
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(MAX_PRODUCTS)
      .execute(),
    // the caller's units' journeys that have run
    cdb.db
      .selectFrom('journeys')
      .select(['id', 'name'])
      .where('corp_id', '=', cdb.corpId)
      .where('status', '<>', 'draft')
      .$if(!actor.seesWholeCorp, (q) => q.where('unit_id', 'in', units))
      .orderBy('id', 'desc')
      .limit(MAX_PRODUCTS)
      .execute(),
  ]);

  const options: Partial<Record<FieldType, FieldOption[]>> = {
    tag: tagGroups.flatMap((g) => g.tags.map((t) => ({ value: t.id, label: t.name, group: g.name }))),
    enum: STAGES.map((s) => ({ value: s, label: STAGE_LABELS[s][lang] })),
    unit: unitRows.map((u) => ({ value: u.id, label: u.name })),
    staff: staff.map((s) => ({ value: s.id, label: s.name })),
    channel: channels.map((c) => ({ value: c.id, label: c.name })),
    method: METHODS.map((m) => ({ value: m, label: METHOD_LABELS[m][lang] })),
    product: products.map((p) => ({ value: p.product_code, label: `${p.name ?? p.product_code}` })),
    group: groups.map((g) => ({ value: g.id, label: g.name || `#${g.id}` })),
    mass_send: massSends.map((m) => ({ value: m.id, label: m.name })),
    journey: journeys.map((j) => ({ value: j.id, label: j.name })),
    month: recentMonths(ctx.clock.now()).map((m) => ({ value: m, label: m })),
    persona: PERSONA_LIST.map((p) => ({ value: p, label: PERSONA_LABELS[p][lang] })),
  };
  return {
    fields: FIELDS.map((f) => ({
      key: f.key,
      group: f.group,
      label: f.label,
      type: f.type,
      cmps: [...f.cmps],
      ...(options[f.type] ? { options: options[f.type] } : {}),
    })),
  };
}
