import type { Cell, ExportFile, ExportFormat } from '../../platform/export.ts';
import type { Ctx } from '../context.ts';
import { auditedSheet } from './export.ts';
import { productFigures } from './ladder.ts';
import { PILOT_MEASURES, pilotEffect } from './pilots.ts';
import { roiReport } from './roi.ts';
import { FORCES, INDICATORS, scorecard } from './scorecard.ts';
import type { Scope } from './service.ts';

type Lang = 'zh' | 'en';
export const LEVER_VIEWS = ['roi', 'campaigns', 'scorecard', 'pilot', 'products'] as const;
export type LeverView = (typeof LEVER_VIEWS)[number];

const T = {
  unit: { zh: '组织', en: 'Unit' },
  kind: { zh: '类型', en: 'Kind' },
  target: { zh: '对象', en: 'Target' },
  month: { zh: '月份', en: 'Month' },
  spend: { zh: '投入(元)', en: 'Spend (CNY)' },
  newCustomers: { zh: '新客', en: 'New customers' },
  cac: { zh: '获客成本(元)', en: 'CAC (CNY)' },
  gmv: { zh: '归因 GMV(元)', en: 'Attributed GMV (CNY)' },
  roi: { zh: 'ROI', en: 'ROI' },
  campaign: { zh: '活动', en: 'Campaign' },
  mass_send: { zh: '群发', en: 'Mass send' },
  journey: { zh: '旅程', en: 'Journey' },
  created: { zh: '创建时间', en: 'Created' },
  status: { zh: '状态', en: 'Status' },
  buyers: { zh: '下单客户', en: 'Buyers' },
  orders: { zh: '订单', en: 'Orders' },
  total: { zh: '四力乘积', en: 'Product of the forces' },
  weakest: { zh: '最弱', en: 'Weakest' },
  store: { zh: '门店', en: 'Store' },
  pilotStore: { zh: '试点门店', en: 'Pilot store' },
  before: { zh: '之前', en: 'before' },
  after: { zh: '之后', en: 'after' },
  code: { zh: '商品编码', en: 'Code' },
  product: { zh: '商品', en: 'Product' },
  role: { zh: '阶梯角色', en: 'Ladder role' },
  churnRate: { zh: '流失率', en: 'Churn rate' },
  complaintRate: { zh: '投诉率', en: 'Complaint rate' },
  flags: { zh: '标记', en: 'Flags' },
  yes: { zh: '是', en: 'yes' },
} as const;
const FORCE_NAMES: Record<(typeof FORCES)[number], { zh: string; en: string }> = {
  organisation: { zh: '组织力', en: 'Organisation' },
  operations: { zh: '运营力', en: 'Operations' },
  merchandise: { zh: '商品力', en: 'Merchandise' },
  product: { zh: '产品力', en: 'Product' },
};
const MEASURE_NAMES: Record<(typeof PILOT_MEASURES)[number], { zh: string; en: string }> = {
  gmvFen: { zh: 'GMV(元)', en: 'GMV (CNY)' },
  customers: { zh: '私域客户数', en: 'Customers' },
  conversion: { zh: '转化率', en: 'Conversion' },
  repurchases: { zh: '复购次数', en: 'Orders per buyer' },
  orderValueFen: { zh: '客单价(元)', en: 'Order value (CNY)' },
};

const yuan = (fen: number | null) => (fen === null ? null : Math.round(fen) / 100);
const r4 = (x: number | null) => (x === null ? null : Math.round(x * 10_000) / 10_000);

/** A table of the 经营杠杆 page (CAC and ROI, campaigns, the scorecard, a pilot's stores, the products). */
export async function exportLevers(
  ctx: Ctx,
  scope: Scope,
  q: {
    view: LeverView;
    format: ExportFormat;
    lang: Lang;
    from: string;
    to: string;
    month: string;
    windowDays: number;
    pilotId?: number;
    months: number;
  },
): Promise<ExportFile> {
  const l = (k: keyof typeof T) => T[k][q.lang];
  let header: string[];
  let rows: Cell[][];
  if (q.view === 'roi' || q.view === 'campaigns') {
    const r = await roiReport(ctx, scope, { from: q.from, to: q.to, windowDays: q.windowDays });
    if (q.view === 'roi') {
      header = [l('kind'), l('target'), l('unit'), l('month'), l('spend'), l('newCustomers'), l('cac')];
      header.push(l('gmv'), l('roi'));
      rows = r.rows.map((x) => [
        x.targetKind,
        x.targetName,
        x.unitName,
        x.month.slice(0, 7),
        yuan(x.spendFen),
        x.newCustomers,
        yuan(x.cacFen),
        yuan(x.attributedGmvFen),
        r4(x.roi),
      ]);
    } else {
      header = [
        l('kind'),
        l('campaign'),
        l('unit'),
        l('created'),
        l('status'),
        l('buyers'),
        l('orders'),
        'GMV',
      ];
      header.push(l('spend'), l('roi'));
      rows = r.campaigns.map((x) => [
        l(x.kind),
        x.name,
        x.unitName,
        x.createdAt.slice(0, 10),
        x.status,
        x.buyers,
        x.orders,
        yuan(x.gmvFen),
        yuan(x.spendFen),
        r4(x.roi),
      ]);
    }
  } else if (q.view === 'scorecard') {
    const data = await scorecard(ctx, scope, q.month);
    header = [l('unit'), ...INDICATORS.map((d) => `${d.key} (${d.formula[q.lang]})`)];
    header.push(...FORCES.map((f) => FORCE_NAMES[f][q.lang]), l('total'), l('weakest'));
    rows = data.map((x) => [
      x.unitName,
      ...INDICATORS.map((d) => r4(x.indicators.find((v) => v.key === d.key)?.value ?? null)),
      ...FORCES.map((f) => r4(x.forces[f])),
      r4(x.total),
      x.weakest ? FORCE_NAMES[x.weakest][q.lang] : null,
    ]);
  } else if (q.view === 'pilot') {
    const e = await pilotEffect(ctx, scope, q.pilotId ?? 0, q.months);
    header = [l('store'), l('pilotStore')];
    for (const m of PILOT_MEASURES)
      header.push(`${MEASURE_NAMES[m][q.lang]} ${l('before')}`, `${MEASURE_NAMES[m][q.lang]} ${l('after')}`);
    const money = (m: (typeof PILOT_MEASURES)[number], v: number) =>
      m === 'gmvFen' || m === 'orderValueFen' ? yuan(v) : r4(v);
    rows = e.stores.map((x) => [
      x.name,
      x.pilot ? l('yes') : null,
      ...PILOT_MEASURES.flatMap((m) => [money(m, x.before[m]), money(m, x.after[m])]),
    ]);
  } else {
    const data = await productFigures(ctx, scope);
    header = [l('code'), l('product'), l('role'), l('buyers'), l('orders'), 'GMV', l('churnRate')];
    header.push(l('complaintRate'), l('flags'));
    rows = data.map((x) => [
      x.code,
      x.name,
      x.role,
      x.buyers,
      x.orders,
      yuan(x.gmvFen),
      r4(x.churnRate),
      r4(x.complaintRate),
      x.flags.join(' ') || null,
    ]);
  }
  return auditedSheet(ctx, scope, {
    view: `levers.${q.view}`,
    format: q.format,
    details: { from: q.from, to: q.to, month: q.month, pilotId: q.pilotId ?? null },
    fileName: `levers-${q.view}-${q.to.slice(0, 7)}`,
    header,
    rows,
  });
}
