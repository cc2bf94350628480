/**
 * The console's one door to the Siyu server: an openapi-fetch client typed by `paths`, which
 * `npm run gen:api` generates from the server's OpenAPI document (schema.d.ts). Same origin with the
 * session cookie, the CSRF header on mutating requests, Accept-Language following the UI language, and
 * every failure one ApiError. Each feature's api.ts makes its calls through `client` and names the
 * shapes it uses with Reply / Body / Query.
 */
import createClient from 'openapi-fetch';
import type { paths } from './schema';

type Method = 'get' | 'put' | 'post' | 'patch' | 'delete';
type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;

/** The JSON a route answers with on success, or with the status named (a route answering two shapes). */
export type Reply<P extends keyof paths, M extends Method, Status extends number = 200 | 201 | 202> =
  Operation<P, M> extends { responses: infer R }
    ? {
        [S in keyof R]: S extends Status
          ? R[S] extends { content: { 'application/json': infer T } }
            ? T
            : never
          : never;
      }[keyof R]
    : never;

/** The JSON body a route takes. */
export type Body<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { requestBody?: { content: { 'application/json': infer T } } } ? T : never;

/** A route's query parameters. */
export type Query<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

/** A route's path parameters. */
export type PathParams<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { parameters: { path: infer X } } ? X : never;

/** An error answered by the server (or a network failure, status 0), with its message already localised. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

let csrfToken: string | null = null;
let acceptLanguage = 'zh-CN';
let onUnauthorized: (() => void) | null = null;

export function setApiLanguage(lang: 'zh' | 'en') {
  acceptLanguage = lang === 'en' ? 'en' : 'zh-CN';
}

/** Called on a 401 from any call outside /auth/ (login, logout, the session probe): the console goes to /login. */
export function setUnauthorizedHandler(handler: (() => void) | null) {
  onUnauthorized = handler;
}

export function setCsrfToken(token: string | null) {
  csrfToken = token;
}

/**
 * The client's fetch: adds the session's headers, answers a 2xx response as it is, and throws anything
 * else as ApiError, read from the error envelope {"error":{"code","message","requestId"}}.
 */
async function send(request: Request): Promise<Response> {
  request.headers.set('Accept-Language', acceptLanguage);
  if (!SAFE.has(request.method) && csrfToken) request.headers.set('x-csrf-token', csrfToken);
  let res: Response;
  try {
    res = await fetch(request);
  } catch (err) {
    if (isAbort(err)) throw err;
    throw new ApiError(0, 'network', acceptLanguage === 'en' ? 'Cannot reach the server' : '无法连接服务器');
  }
  if (res.ok) return res;

  let envelope: { code?: string; message?: string; requestId?: string } | undefined;
  try {
    envelope = JSON.parse(await res.text())?.error;
  } catch {
    envelope = undefined;
  }
  // /auth/ answers 401 for a wrong password or no session: an answer there, not an expired session.
  if (res.status === 401 && !new URL(request.url).pathname.startsWith('/api/v1/auth/')) onUnauthorized?.();
  throw new ApiError(
    res.status,
    envelope?.code ?? `http_${res.status}`,
    envelope?.message ?? `${res.status} ${res.statusText}`,
    envelope?.requestId,
  );
}

export const client = createClient<paths>({
  fetch: send,
  headers: { Accept: 'application/json' },
  // Empty values are left out, as a form would.
  querySerializer: (query) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
    }
    return params.toString();
  },
});

/** The data of a call made through `client` (anything but a 2xx was thrown as ApiError by `send`). */
export async function unwrap<T>(call: Promise<{ data?: T }>): Promise<T> {
  return (await call).data as T;
}

/**
 * The options that send a file as it is (application/octet-stream) rather than as JSON: the order
 * import's upload, whose route reads the raw body (OpenAPI does not describe it).
 */
export function fileBody(file: Blob) {
  return {
    body: file as never,
    bodySerializer: (body: unknown) => body,
    headers: { 'Content-Type': 'application/octet-stream' },
  };
}

type GetPath = { [P in keyof paths]: paths[P]['get'] extends undefined ? never : P }[keyof paths];

/**
 * A plain link to a GET route, for a download the browser fetches itself with the session cookie (an
 * .xlsx template, a CSV report, a PNG).
 */
export function href<P extends GetPath>(
  path: P,
  ...[params]: PathParams<P, 'get'> extends never ? [] : [params: PathParams<P, 'get'>]
): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(String((params as Record<string, string | number>)[name])),
  );
}
