import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildApp } from './app.ts';

let app: FastifyInstance;
beforeAll(async () => {
  app = await buildApp({
    logger: false,
    authenticate: async () => null,
    routes: async (base) => {
      const r = base.withTypeProvider<ZodTypeProvider>();
      r.post(
        '/echo/:code',
        {
          config: { access: { public: true } },
          schema: {
            params: z.object({ code: z.string() }),
            querystring: z.object({ q: z.string().optional(), from: z.coerce.date().optional() }),
            body: z.object({ name: z.string(), extra: z.unknown().optional() }),
          },
        },
        async (request) => ({ name: request.body.name, from: request.query.from?.toISOString() ?? null }),
      );
    },
  });
});
afterAll(() => app.close());

const post = (url: string, body: unknown, lang = 'zh-CN') =>
  app.inject({
    method: 'POST',
    url: `/api/v1${url}`,
    payload: body as object,
    headers: { 'accept-language': lang },
  });

describe('input every route refuses', () => {
  it('refuses a NUL character in a body field, naming it in Chinese and English', async () => {
    const zh = await post('/echo/a', { name: 'a\u0000b' });
    expect(zh.statusCode).toBe(400);
    expect(zh.json().error).toMatchObject({
      code: 'bad_request',
      message: '请求参数有误: body.name: 不能包含空字符（U+0000）',
    });
    const en = await post('/echo/a', { name: '\u0000' }, 'en');
    expect(en.json().error.message).toBe(
      'The request is invalid: body.name: must not contain the NUL character (U+0000)',
    );
  });

  it('refuses lone surrogates and NULs anywhere: nested values, keys, the query, the path', async () => {
    const nested = await post('/echo/a', { name: 'x', extra: { list: ['ok', 'x\ud800'] } }, 'en');
    expect(nested.json().error.message).toContain(
      'body.extra.list.1: contains invalid Unicode (a lone surrogate)',
    );
    const key = await post('/echo/a', { name: 'x', extra: { 'k\u0000': 1 } }, 'en');
    expect(key.json().error.message).toContain('body.extra.k\u0000: must not contain the NUL');
    const query = await post('/echo/a?q=%00', { name: 'x' }, 'en');
    expect(query.statusCode).toBe(400);
    expect(query.json().error.message).toContain('querystring.q: must not contain the NUL');
    const path = await post('/echo/%00', { name: 'x' }, 'en');
    expect(path.statusCode).toBe(400);
    expect(path.json().error.message).toContain('params.code: must not contain the NUL');
  });

  it('keeps well-formed text, surrogate pairs included', async () => {
    const res = await post('/echo/a', { name: '王💥𠀀\u0001é' });
    expect(res.statusCode).toBe(200);
    expect(res.json().name).toBe('王💥𠀀\u0001é');
  });

  it('refuses dates outside 1900–9999 that the schema itself accepts', async () => {
    for (const from of ['-271821-04-20', '%2B275760-09-13T00:00:00Z', '1899-12-31']) {
      const res = await post(`/echo/a?from=${from}`, { name: 'x' }, 'en');
      expect(res.statusCode, from).toBe(400);
      expect(res.json().error.message).toContain(
        'querystring.from: must be a date from 1900-01-01 to 9999-12-31',
      );
    }
    const ok = await post('/echo/a?from=2026-06-01', { name: 'x' });
    expect(ok.json().from).toBe('2026-06-01T00:00:00.000Z');
  });

  it('refuses nesting deeper than 64 levels without walking it recursively', async () => {
    const n = 100_000;
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/echo/a',
      headers: { 'content-type': 'application/json', 'accept-language': 'en' },
      payload: `{"name":"x","extra":${'['.repeat(n)}${']'.repeat(n)}}`,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain('must not be nested deeper than 64 levels');
    let fine: unknown = 'x';
    for (let i = 0; i < 60; i++) fine = [fine];
    expect((await post('/echo/a', { name: 'x', extra: fine })).statusCode).toBe(200);
  });
});
