import { client, fileBody, href, type Reply, undeclared, unwrap } from '../../shared/api/client';

export type CustomerOrder = Reply<'/api/v1/customers/{id}/orders', 'get'>['items'][number];
export type OrderChannel = CustomerOrder['channel'];
export type CustomerIdentities = Reply<'/api/v1/customers/{id}/identities', 'get'>;
export type IdentityKind = CustomerIdentities['identities'][number]['kind'];

// The order-import routes declare no response schema yet, so OpenAPI says nothing of their replies and
// these shapes are written by hand (see `undeclared`); once the server declares them, they become Reply<…>.

/** A problem with one cell of an imported file. */
export interface ImportRowError {
  /** The row as Excel numbers it (the header is row 1). */
  row: number;
  /** The column as the file names it. */
  column: string;
  field: string;
  orderNo: string | null;
  zh: string;
  en: string;
}

export interface ImportPreviewLine {
  row: number;
  orderNo: string;
  storeCode: string | null;
  channel: OrderChannel;
  /** Brand time with its offset, e.g. 2026-06-01T12:30:00+08:00. */
  orderedAt: string;
  productCode: string;
  productName: string;
  quantity: number;
  priceFen: number;
  totalFen: number;
  paidFen: number;
  couponCode: string | null;
  couponFen: number;
  identities: string[];
  duplicate: boolean;
}

/** POST /order-imports?dryRun=true: the whole file checked and counted. */
export interface ImportPreview {
  fileName: string;
  source: string;
  lines: number;
  orders: number;
  valid: number;
  wouldCreate: number;
  duplicates: number;
  invalid: number;
  ignoredColumns: string[];
  sample: ImportPreviewLine[];
  errorCount: number;
  errors: ImportRowError[];
}

/** POST /order-imports (202), and each of GET /order-imports. */
export interface OrderImport {
  id: number;
  fileName: string;
  source: string;
  status: 'running' | 'done' | 'failed';
  createdBy: string;
  lines: number;
  orders: number;
  processed: number;
  created: number;
  duplicates: number;
  invalid: number;
  errorCount: number;
  failure: string | null;
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

/** GET /order-imports/:id */
export interface OrderImportDetail extends OrderImport {
  /** The first 200 rows of the report; the whole report is errorsCsvUrl. */
  errors: ImportRowError[];
}

export const ordersApi = {
  /** The customer's orders, newest first (cursor pages). */
  customerOrders: (id: number, cursor: string | null, signal?: AbortSignal) =>
    unwrap(
      client.GET('/api/v1/customers/{id}/orders', {
        params: { path: { id }, query: { limit: 10, cursor: cursor ?? undefined } },
        signal,
      }),
    ),
  customerIdentities: (id: number, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/customers/{id}/identities', { params: { path: { id } }, signal })),
  /** Managers only: the identity leaves the customer with its orders and members, and stays apart. */
  undoIdentityLink: (id: number, identityId: number) =>
    unwrap(
      client.POST('/api/v1/customers/{id}/identities/{identityId}/undo', {
        params: { path: { id, identityId } },
      }),
    ),
};

/** Order import (订单导入): an .xlsx or CSV file checked row by row, then imported in the background. */
export const orderImportApi = {
  /** Checks the whole file and counts; writes nothing. */
  preview: (file: File, source: string) =>
    undeclared<ImportPreview>(
      client.POST('/api/v1/order-imports', {
        params: { query: { fileName: file.name, source, dryRun: 'true' } },
        ...fileBody(file),
      }),
    ),
  /** Starts the import in the background (202). */
  start: (file: File, source: string) =>
    undeclared<OrderImport>(
      client.POST('/api/v1/order-imports', {
        params: { query: { fileName: file.name, source } },
        ...fileBody(file),
      }),
    ),
  get: (id: number, signal?: AbortSignal) =>
    undeclared<OrderImportDetail>(
      client.GET('/api/v1/order-imports/{id}', { params: { path: { id } }, signal }),
    ),
  list: (signal?: AbortSignal) =>
    undeclared<{ items: OrderImport[] }>(client.GET('/api/v1/order-imports', { signal })),
  /** Plain links: the browser downloads them with the session cookie. */
  errorsCsvUrl: (id: number) => href('/api/v1/order-imports/{id}/errors.csv', { id }),
  templateUrl: href('/api/v1/order-imports/template.xlsx'),
};
