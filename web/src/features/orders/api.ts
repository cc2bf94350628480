import { client, fileBody, href, type Reply, unwrap } from '../../shared/api/client';

export type CustomerOrder = Reply<'/api/v1/customers/{id}/orders', 'get'>['items'][number];
export type OrderChannel = CustomerOrder['channel'];
export type CustomerIdentities = Reply<'/api/v1/customers/{id}/identities', 'get'>;
export type IdentityKind = CustomerIdentities['identities'][number]['kind'];

/** POST /order-imports?dryRun=true: the whole file checked and counted. */
export type ImportPreview = Reply<'/api/v1/order-imports', 'post', 200>;
export type ImportPreviewLine = ImportPreview['sample'][number];
/** A problem with one cell of an imported file. */
export type ImportRowError = ImportPreview['errors'][number];
/** POST /order-imports (202), and each of GET /order-imports. */
export type OrderImport = Reply<'/api/v1/order-imports', 'post', 202>;
/** GET /order-imports/:id: the first 200 rows of the report; the whole report is errorsCsvUrl. */
export type OrderImportDetail = Reply<'/api/v1/order-imports/{id}', 'get'>;

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
  /** Checks the whole file and counts; writes nothing (a dry run answers 200 with the preview). */
  preview: async (file: File, source: string) =>
    (await unwrap(
      client.POST('/api/v1/order-imports', {
        params: { query: { fileName: file.name, source, dryRun: 'true' } },
        ...fileBody(file),
      }),
    )) as ImportPreview,
  /** Starts the import in the background (202 with the import). */
  start: async (file: File, source: string) =>
    (await unwrap(
      client.POST('/api/v1/order-imports', {
        params: { query: { fileName: file.name, source } },
        ...fileBody(file),
      }),
    )) as OrderImport,
  get: (id: number, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/order-imports/{id}', { params: { path: { id } }, signal })),
  list: (signal?: AbortSignal) => unwrap(client.GET('/api/v1/order-imports', { signal })),
  /** Plain links: the browser downloads them with the session cookie. */
  errorsCsvUrl: (id: number) => href('/api/v1/order-imports/{id}/errors.csv', { id }),
  templateUrl: href('/api/v1/order-imports/template.xlsx'),
};
