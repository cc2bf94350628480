import { type Cell, type ExportFile, type ExportFormat, exportFile } from '../../platform/export.ts';
import { recordAudit } from '../audit/index.ts';
import type { Ctx } from '../context.ts';
import { FACTORS } from './gmv.ts';
import { cohorts, type Dimension, funnel, gmvCompare, performance, type Scope } from './service.ts';

type Lang = 'zh' | 'en';
const T = {
  key: { zh: '维度', en: 'Key' },
  customers: { zh: '私域客户数', en: 'Customers' },
  conversion: { zh: '转化率', en: 'Conversion' },
  repurchases: { zh: '复购次数', en: 'Orders per buyer' },
  orderValueFen: { zh: '客单价(元)', en: 'Order value (CNY)' },
  gmv: { zh: 'GMV(元)', en: 'GMV (CNY)' },
  prev: { zh: '对比期', en: 'previous' },
  contrib: { zh: '贡献(元)', en: 'contribution (CNY)' },
  scans: { zh: '扫码', en: 'Scans' },
  adds: { zh: '添加', en: 'Adds' },
  retained7d: { zh: '7天仍是好友', en: 'Friends after 7 days' },
  joinedGroup: { zh: '入群', en: 'Joined a group' },
  firstOrder: { zh: '首单', en: 'First order' },
  repurchase: { zh: '复购', en: 'Repurchase' },
  month: { zh: '获客月', en: 'Acquired' },
  friends: { zh: '第{k}月好友', en: 'Friends M{k}' },
  buyers: { zh: '第{k}月下单', en: 'Buyers M{k}' },
  rank: { zh: '排名', en: 'Rank' },
  deletions: { zh: '删粉', en: 'Deletions' },
  activeFollows: { zh: '有效好友', en: 'Active follows' },
  owned: { zh: '名下客户', en: 'Customers' },
  newCustomers: { zh: '新客', en: 'New customers' },
  firstOrderRate: { zh: '首单转化率', en: 'First-order rate' },
  repurchaseRate: { zh: '复购率', en: 'Repurchase rate' },
} as const;

const METHODS: Record<string, { zh: string; en: string }> = {
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
  none: { zh: '无渠道', en: 'No channel' },
};

/** The members' personas, as the console names them. */
const PERSONAS: Record<string, { zh: string; en: string }> = {
  brand: { zh: '品牌号', en: 'Brand' },
  expert: { zh: '专家', en: 'Expert' },
  founder: { zh: '创始人', en: 'Founder' },
  sales: { zh: '销售', en: 'Sales' },
  assistant: { zh: '助理', en: 'Assistant' },
};

const yuan = (fen: number) => Math.round(fen) / 100;
const r4 = (x: number | null) => (x === null ? null : Math.round(x * 10_000) / 10_000);

export type View = 'gmv' | 'funnel' | 'cohorts' | 'performance';

/** A dashboard's table as a sheet (aggregates only: no personal data). */
export async function exportView(
  ctx: Ctx,
  scope: Scope,
  q: {
    view: View;
    format: ExportFormat;
    lang: Lang;
    month: string;
    compareTo: string;
    from: string;
    to: string;
    by: Dimension;
    months: number;
    labels: (by: Dimension, keys: string[]) => Promise<Map<string, string>>;
  },
): Promise<ExportFile> {
  const l = (k: keyof typeof T) => T[k][q.lang];
  const raw = q.labels;
  const none = METHODS.none![q.lang];
  // methods and "no channel" are named here; channels, stores and members by their names
  q.labels = async (by, keys) => {
    const names = await raw(by, keys);
    if (by === 'total') for (const k of keys) names.set(k, q.lang === 'zh' ? '合计' : 'Total');
    if (by === 'method') for (const k of keys) names.set(k, METHODS[k]?.[q.lang] ?? k);
    if (by === 'channel') names.set('0', none);
    if (by === 'persona') for (const k of keys) names.set(k, PERSONAS[k]?.[q.lang] ?? k);
    return names;
  };
  let header: string[] = [];
  let rows: Cell[][] = [];
  if (q.view === 'gmv') {
    const data = await gmvCompare(ctx, scope, q.month, q.compareTo, q.by);
    const names = await q.labels(
      q.by,
      data.map((d) => d.key),
    );
    header = [
      l('key'),
      ...FACTORS.map((f) => l(f)),
      l('gmv'),
      ...FACTORS.map((f) => `${l(f)} ${l('prev')}`),
      `${l('gmv')} ${l('prev')}`,
      ...FACTORS.map((f) => `${l(f)} ${l('contrib')}`),
    ];
    rows = data.map((d) => [
      names.get(d.key) ?? d.key,
      d.current.customers,
      r4(d.current.conversion),
      r4(d.current.repurchases),
      yuan(d.current.orderValueFen),
      yuan(d.current.gmvFen),
      d.previous.customers,
      r4(d.previous.conversion),
      r4(d.previous.repurchases),
      yuan(d.previous.orderValueFen),
      yuan(d.previous.gmvFen),
      ...FACTORS.map((f) => yuan(d.split.contributions[f])),
    ]);
  } else if (q.view === 'funnel') {
    const data = await funnel(ctx, scope, q.from, q.to, q.by);
    const names = await q.labels(
      q.by,
      data.map((d) => d.key),
    );
    header = [
      l('key'),
      l('scans'),
      l('adds'),
      l('retained7d'),
      l('joinedGroup'),
      l('firstOrder'),
      l('repurchase'),
    ];
    rows = data.map((d) => [
      names.get(d.key) ?? d.key,
      d.scans,
      d.customers,
      d.retained7d,
      d.joinedGroup,
      d.firstOrder,
      d.repurchase,
    ]);
  } else if (q.view === 'cohorts') {
    const data = await cohorts(ctx, scope, q.to, q.months);
    header = [l('month'), l('customers')];
    for (let k = 0; k < q.months; k++)
      header.push(l('friends').replace('{k}', String(k)), l('buyers').replace('{k}', String(k)));
    rows = data.map((d) => {
      const row: Cell[] = [d.month.slice(0, 7), d.customers];
      for (let k = 0; k < q.months; k++) row.push(d.friends[k] ?? null, d.buyers[k] ?? null);
      return row;
    });
  } else {
    const by = q.by === 'store' ? 'store' : 'staff';
    const data = await performance(ctx, scope, q.from, q.to, by);
    const names = await q.labels(
      by,
      data.map((d) => d.key),
    );
    header = [
      l('key'),
      l('adds'),
      l('deletions'),
      l('activeFollows'),
      l('owned'),
      l('newCustomers'),
      l('firstOrderRate'),
      l('repurchaseRate'),
    ];
    rows = data
      .filter((d) => d.key !== '0')
      .map((d) => [
        names.get(d.key) ?? d.key,
        d.adds,
        d.deletions,
        d.activeFollows,
        d.customers,
        d.newCustomers,
        r4(d.firstOrderRate),
        r4(d.repurchaseRate),
      ]);
  }
  return auditedSheet(ctx, scope, {
    view: q.view,
    format: q.format,
    details: { by: q.by, month: q.month, from: q.from, to: q.to },
    fileName: `insight-${q.view}-${q.to.slice(0, 7)}`,
    header,
    rows,
  });
}

/**
 * An insight table as a file, on the audit log as every export is (figures only, never a phone or the name
 * of a customer): the dashboards' and the levers' exports alike.
 */
export async function auditedSheet(
  ctx: Ctx,
  scope: Scope,
  s: {
    view: string;
    format: ExportFormat;
    details: Record<string, unknown>;
    fileName: string;
    header: string[];
    rows: Cell[][];
  },
): Promise<ExportFile> {
  await recordAudit(ctx, {
    action: 'insight.export',
    details: {
      view: s.view,
      format: s.format,
      ...s.details,
      scope: { units: scope.units, staffId: scope.staffId },
      rows: s.rows.length,
    },
  });
  return exportFile(s.format, s.fileName, { name: s.view, header: s.header, rows: s.rows });
}
