import { type Body, client, type Query, type Reply, unwrap } from '../../shared/api/client';
import { saveDownload } from '../../shared/download';

export type CustomerQuery = Query<'/api/v1/customers', 'get'>;
export type CustomerRow = Reply<'/api/v1/customers', 'get'>['items'][number];
/** The list's filters, as its export and bulk tagging take them. */
export type CustomerFilter = Omit<CustomerQuery, 'cursor' | 'limit'>;
export type TagJobInput = Body<'/api/v1/customers/tag-jobs', 'post'>;
export type TagJob = Reply<'/api/v1/customers/tag-jobs/{id}', 'get'>;
export type Gender = CustomerRow['gender'];
export type CustomerDetail = Reply<'/api/v1/customers/{id}', 'get'>;
export type Follow = CustomerDetail['follows'][number];
export type FollowStatus = Follow['status'];
export type FactsCard = NonNullable<CustomerDetail['facts']>;
export type KeyDate = FactsCard['keyDates'][number];
export type Rfm = NonNullable<FactsCard['rfm']>;
export type LifecycleStage = FactsCard['stage'];
export type UnitCounts = Reply<'/api/v1/unit-counts', 'get'>['items'][number];
export type LifecycleState = Reply<'/api/v1/lifecycle-settings', 'get'>;
export type LifecycleSettings = LifecycleState['settings'];
export type SuperUser = Reply<'/api/v1/super-users', 'get'>['items'][number];

/** The stages in lifecycle order. */
export const LIFECYCLE_STAGES = [
  'new',
  'active',
  'repeat',
  'super',
  'dormant',
  'churned',
] as const satisfies readonly LifecycleStage[];

export const customersApi = {
  customers: (query: CustomerQuery, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/customers', { params: { query }, signal })),
  /**
   * Saves the list with these filters as .xlsx or CSV (managers; 422 past the export limit); phones masked
   * unless `full` (HQ admins only, audited).
   */
  exportCustomers: (filter: CustomerFilter, format: 'xlsx' | 'csv', phones: 'masked' | 'full' = 'masked') =>
    saveDownload(
      client.GET('/api/v1/customers/export', {
        params: { query: { ...filter, format, phones } },
        parseAs: 'blob',
      }),
      `customers.${format}`,
    ),
  /** Bulk tagging: done at once for a few customers, else a job to follow with `tagJob`. */
  startTagJob: (input: TagJobInput) => unwrap(client.POST('/api/v1/customers/tag-jobs', { body: input })),
  tagJob: (id: number, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/customers/tag-jobs/{id}', { params: { path: { id } }, signal })),
  customer: (id: number, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/customers/{id}', { params: { path: { id } }, signal })),
  /** Each unit's subtree totals: its staff, and the customers the caller sees through them. */
  unitCounts: (signal?: AbortSignal) => unwrap(client.GET('/api/v1/unit-counts', { signal })),
  lifecycleSettings: (signal?: AbortSignal) => unwrap(client.GET('/api/v1/lifecycle-settings', { signal })),
  /** hq_admin only; the brand is then recomputed in the background (see `recompute`). 400 names every problem. */
  setLifecycleSettings: (settings: LifecycleSettings) =>
    unwrap(client.PUT('/api/v1/lifecycle-settings', { body: settings })),
  superUsers: (query: Query<'/api/v1/super-users', 'get'>, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/super-users', { params: { query }, signal })),
};
