import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

// The console runs in a page, where a Request's relative URL resolves against the page's origin;
// Node's Request needs that origin given.
vi.stubGlobal(
  'Request',
  class extends Request {
    constructor(input: RequestInfo | URL, init?: RequestInit) {
      super(typeof input === 'string' ? new URL(input, 'http://console.test') : input, init);
    }
  },
);
const api = await import('./client');

const sent: Request[] = [];
function answer(status: number, body: unknown) {
  vi.stubGlobal(
    'fetch',
    vi.fn(async (request: Request) => {
      sent.push(request);
      return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
    }),
  );
}

beforeAll(() => {
  api.setApiLanguage('en');
});
afterEach(() => {
  sent.length = 0;
  api.setCsrfToken(null);
  api.setUnauthorizedHandler(null);
});

describe('the console API client', () => {
  it('sends the UI language, the CSRF token only on a mutating request, and leaves empty query values out', async () => {
    api.setCsrfToken('token-1');
    answer(200, { items: [], nextCursor: null });
    await api.unwrap(api.client.GET('/api/v1/customers', { params: { query: { q: '', limit: 5 } } }));
    answer(200, { id: 7 });
    const reply = await api.unwrap(api.client.POST('/api/v1/tag-groups', { body: { name: '会员' } }));

    expect(reply).toEqual({ id: 7 });
    const [get, post] = sent;
    expect(get?.url).toBe('http://console.test/api/v1/customers?limit=5');
    expect(get?.headers.get('accept-language')).toBe('en');
    expect(get?.headers.get('x-csrf-token')).toBeNull();
    expect(post?.headers.get('x-csrf-token')).toBe('token-1');
    expect(post?.headers.get('content-type')).toBe('application/json');
    expect(await post?.text()).toBe('{"name":"会员"}');
  });

  it('turns the error envelope into ApiError, and a 401 outside /auth/ into an expired session', async () => {
    const expired = vi.fn();
    api.setUnauthorizedHandler(expired);
    answer(403, { error: { code: 'forbidden', message: 'Not allowed', requestId: 'r-1' } });
    const forbidden = await api.unwrap(api.client.GET('/api/v1/wecom/status')).catch((e: unknown) => e);
    expect(forbidden).toBeInstanceOf(api.ApiError);
    expect(forbidden).toMatchObject({
      status: 403,
      code: 'forbidden',
      message: 'Not allowed',
      requestId: 'r-1',
    });

    answer(401, { error: { code: 'unauthenticated', message: 'Sign in', requestId: 'r-2' } });
    await expect(api.unwrap(api.client.GET('/api/v1/auth/me'))).rejects.toMatchObject({ status: 401 });
    expect(expired).not.toHaveBeenCalled();
    await expect(api.unwrap(api.client.GET('/api/v1/tags'))).rejects.toMatchObject({ status: 401 });
    expect(expired).toHaveBeenCalledOnce();
  });

  it('reports an unreachable server as status 0 and lets an abort through', async () => {
    vi.stubGlobal('fetch', vi.fn().mockRejectedValue(new TypeError('fetch failed')));
    await expect(api.unwrap(api.client.GET('/api/v1/tags'))).rejects.toMatchObject({
      status: 0,
      code: 'network',
      message: 'Cannot reach the server',
    });
    vi.stubGlobal('fetch', vi.fn().mockRejectedValue(new DOMException('aborted', 'AbortError')));
    const aborted = await api.unwrap(api.client.GET('/api/v1/tags')).catch((e: unknown) => e);
    expect(api.isAbort(aborted)).toBe(true);
  });

  it('posts a file as it is, and links downloads by path', async () => {
    answer(200, { lines: 1 });
    const file = new Blob(['订单号,门店\n1,S1\n']);
    await api.client.POST('/api/v1/order-imports', {
      params: { query: { fileName: 'a.csv', source: 'pos' } },
      ...api.fileBody(file),
    });
    expect(sent[0]?.headers.get('content-type')).toBe('application/octet-stream');
    expect(await sent[0]?.text()).toBe('订单号,门店\n1,S1\n');
    expect(
      api.href('/api/v1/channels/{id}/codes/{codeId}/material/{kind}', { id: 3, codeId: 9, kind: 'poster' }),
    ).toBe('/api/v1/channels/3/codes/9/material/poster');
  });
});
