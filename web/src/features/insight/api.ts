import { client, type Query, type Reply, unwrap } from '../../shared/api/client';
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
