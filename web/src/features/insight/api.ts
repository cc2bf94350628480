import { type Body, client, fileBody, type Query, type Reply, unwrap } from '../../shared/api/client';
import { saveDownload } from '../../shared/download';

export type Home = Reply<'/api/v1/insight/home', 'get'>;
export type Activity = Home['activity']['today'];
export type GmvReply = Reply<'/api/v1/insight/gmv', 'get'>;
export type GmvRow = GmvReply['rows'][number];
export type Factors = GmvRow['current'];
export type FunnelReply = Reply<'/api/v1/insight/funnel', 'get'>;
export type CohortsReply = Reply<'/api/v1/insight/cohorts', 'get'>;
export type PerformanceReply = Reply<'/api/v1/insight/performance', 'get'>;
export type DrillQuery = Query<'/api/v1/insight/customers', 'get'>;
export type DrillReply = Reply<'/api/v1/insight/customers', 'get'>;
export type Dimension = NonNullable<Query<'/api/v1/insight/gmv', 'get'>['by']>;
export type ExportQuery = Query<'/api/v1/insight/export', 'get'>;

export type RoiReply = Reply<'/api/v1/insight/roi', 'get'>;
export type RoiRow = RoiReply['rows'][number];
export type SpendInput = Body<'/api/v1/insight/spend', 'post'>;
export type SpendRow = Reply<'/api/v1/insight/spend', 'get'>['items'][number];
export type TargetKind = SpendInput['targetKind'];
export type ScorecardReply = Reply<'/api/v1/insight/scorecard', 'get'>;
export type ScoreRow = ScorecardReply['rows'][number];
export type Force = ScorecardReply['indicators'][number]['force'];
export type Pilot = Reply<'/api/v1/insight/pilots', 'get'>['items'][number];
export type PilotInput = Body<'/api/v1/insight/pilots', 'post'>;
export type PilotEffect = Reply<'/api/v1/insight/pilot-effect', 'get'>;
export type Measure = keyof PilotEffect['measures'];
export type LadderReply = Reply<'/api/v1/insight/ladder', 'get'>;
export type Product = Reply<'/api/v1/insight/products', 'get'>['items'][number];
export type ProductPage = Reply<'/api/v1/insight/products/{code}', 'get'>;
export type LadderRole = NonNullable<Product['role']>;

export const FORCES = ['organisation', 'operations', 'merchandise', 'product'] as const satisfies Force[];
export const LADDER_ROLES = ['traffic', 'trust', 'profit', 'expansion'] as const satisfies LadderRole[];
export const MEASURES = [
  'gmvFen',
  'customers',
  'conversion',
  'repurchases',
  'orderValueFen',
] as const satisfies Measure[];
/** The columns of the spend import, as the server reads them (row 1). */
export const SPEND_TEMPLATE = '月份,组织编码,类型,对象,金额(元),备注';

/** CAC and ROI, the four-force scorecard, pilots and the product ladder (issue 16, points 4–7). */
export const leversApi = {
  roi: (query: Query<'/api/v1/insight/roi', 'get'>, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/insight/roi', { params: { query }, signal })),
  spend: (query: Query<'/api/v1/insight/spend', 'get'>, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/insight/spend', { params: { query }, signal })),
  addSpend: (body: SpendInput) => unwrap(client.POST('/api/v1/insight/spend', { body })),
  deleteSpend: (id: number) =>
    unwrap(client.DELETE('/api/v1/insight/spend/{id}', { params: { path: { id } } })),
  /** All or nothing: a file with any bad line imports nothing and answers its lines' errors. */
  importSpend: (file: File) => unwrap(client.POST('/api/v1/insight/spend/import', { ...fileBody(file) })),
  scorecard: (query: Query<'/api/v1/insight/scorecard', 'get'>, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/insight/scorecard', { params: { query }, signal })),
  pilots: (signal?: AbortSignal) => unwrap(client.GET('/api/v1/insight/pilots', { signal })),
  createPilot: (body: PilotInput) => unwrap(client.POST('/api/v1/insight/pilots', { body })),
  deletePilot: (id: number) =>
    unwrap(client.DELETE('/api/v1/insight/pilots/{id}', { params: { path: { id } } })),
  pilotEffect: (query: Query<'/api/v1/insight/pilot-effect', 'get'>, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/insight/pilot-effect', { params: { query }, signal })),
  ladder: (query: Query<'/api/v1/insight/ladder', 'get'>, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/insight/ladder', { params: { query }, signal })),
  products: (signal?: AbortSignal) => unwrap(client.GET('/api/v1/insight/products', { signal })),
  product: (code: string, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/insight/products/{code}', { params: { path: { code } }, signal })),
  /** A table of the page as .xlsx or CSV (the dashboards' export, for the levers). */
  export: (query: Query<'/api/v1/insight/levers/export', 'get'>) =>
    saveDownload(
      client.GET('/api/v1/insight/levers/export', { params: { query }, parseAs: 'blob' }),
      `levers-${query.view}.${query.format ?? 'xlsx'}`,
    ),
  /** HQ only: the product's role on the ladder. */
  setRole: (code: string, role: LadderRole | null) =>
    unwrap(client.PUT('/api/v1/products/{code}', { params: { path: { code } }, body: { role } })),
};

export const FACTORS = ['customers', 'conversion', 'repurchases', 'orderValueFen'] as const;
export type FactorName = (typeof FACTORS)[number];

export const insightApi = {
  home: (query: Query<'/api/v1/insight/home', 'get'>, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/insight/home', { params: { query }, signal })),
  gmv: (query: Query<'/api/v1/insight/gmv', 'get'>, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/insight/gmv', { params: { query }, signal })),
  funnel: (query: Query<'/api/v1/insight/funnel', 'get'>, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/insight/funnel', { params: { query }, signal })),
  cohorts: (query: Query<'/api/v1/insight/cohorts', 'get'>, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/insight/cohorts', { params: { query }, signal })),
  performance: (query: Query<'/api/v1/insight/performance', 'get'>, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/insight/performance', { params: { query }, signal })),
  customers: (query: DrillQuery, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/insight/customers', { params: { query }, signal })),
  /** A dashboard's table as .xlsx or CSV. */
  export: (query: ExportQuery) =>
    saveDownload(
      client.GET('/api/v1/insight/export', { params: { query }, parseAs: 'blob' }),
      `insight-${query.view}.${query.format ?? 'xlsx'}`,
    ),
};

/** GMV from the four factors: they multiply back to it. */
export const productOf = (f: Pick<Factors, FactorName>) =>
  f.customers * f.conversion * f.repurchases * f.orderValueFen;

/** YYYY-MM of a YYYY-MM-DD. */
export const ym = (day: string) => day.slice(0, 7);
export function addMonths(month: string, k: number): string {
  const y = Number(month.slice(0, 4));
  const m = Number(month.slice(5, 7)) - 1 + k;
  const d = new Date(Date.UTC(y + Math.floor(m / 12), ((m % 12) + 12) % 12, 1));
  return d.toISOString().slice(0, 7);
}
/** This brand month (UTC+8), YYYY-MM. */
export const thisMonth = () => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 7);
