import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildApp } from './http/app.ts';
import { createLogger, prettyLine, redactUrl, resolveLogFormat } from './log.ts';

const PHONE = '13812345678';

function capture() {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => lines.push(line) } };
}

let app: FastifyInstance | undefined;
afterEach(() => app?.close());

async function appLogging(opts: {
  level: 'info' | 'debug';
  format: 'json' | 'pretty';
  access?: 'info' | 'debug';
}) {
  const { lines, destination } = capture();
  app = await buildApp({
    logger: createLogger({ level: opts.level, format: opts.format, destination }),
    accessLogLevel: opts.access,
    authenticate: async () => null,
    routes: async (r) => {
      r.get(
        '/customers',
        {
          config: { access: { public: true } },
          schema: {
            querystring: z.object({ q: z.string().optional(), limit: z.coerce.number().optional() }),
          },
        },
        async () => ({ items: [] }),
      );
      r.post('/boom', { config: { access: { public: true } } }, async () => {
        throw new Error('kaput');
      });
    },
  });
  return { app, lines };
}

describe('request logs', () => {
  it('are one line per request, its query values redacted unless harmless', async () => {
    const { app, lines } = await appLogging({ level: 'info', format: 'json' });
    const res = await app.inject({
      method: 'GET',
      url: `/api/v1/customers?q=${PHONE}&limit=20`,
      headers: { cookie: 'siyu_session=acme.sekrit', 'x-csrf-token': 'csrf-sekrit' },
    });
    expect(res.statusCode).toBe(200);
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({
      msg: 'request',
      level: 30,
      req: { method: 'GET', url: '/api/v1/customers?q=[redacted]&limit=20' },
      res: { statusCode: 200 },
    });
    for (const secret of [PHONE, 'sekrit']) expect(lines.join('')).not.toContain(secret);
  });

  it('log an unhandled error without the request’s query values', async () => {
    const { app, lines } = await appLogging({ level: 'info', format: 'json' });
    await app.inject({ method: 'POST', url: `/api/v1/boom?phone=${PHONE}`, payload: { phone: PHONE } });
    const text = lines.join('');
    expect(text).toContain('kaput');
    expect(text).not.toContain(PHONE);
  });

  it('wait for debug on a terminal', async () => {
    const quiet = await appLogging({ level: 'info', format: 'pretty', access: 'debug' });
    await quiet.app.inject({ method: 'GET', url: '/api/v1/customers' });
    expect(quiet.lines).toEqual([]);
    await quiet.app.close();
    const chatty = await appLogging({ level: 'debug', format: 'pretty', access: 'debug' });
    await chatty.app.inject({ method: 'GET', url: `/api/v1/customers?q=${PHONE}` });
    expect(chatty.lines).toHaveLength(1);
    expect(chatty.lines[0]).toMatch(
      /^\d\d:\d\d:\d\d DEBUG request GET \/api\/v1\/customers\?q=\[redacted\] 200 \d+ ms\n$/,
    );
  });
});

describe('the logger', () => {
  it('censors secret and personal fields wherever an entry carries them', () => {
    const { lines, destination } = capture();
    const log = createLogger({ level: 'info', format: 'json', destination });
    log.info(
      { phone: PHONE, account: { password: 'pw-sekrit', token: 'tok-sekrit' }, secret: 's-sekrit' },
      'x',
    );
    expect(lines.join('')).not.toMatch(/sekrit|13812345678/);
    expect(JSON.parse(lines[0]!).account.password).toBe('[redacted]');
  });

  it('writes readable lines for a person, JSON for a shipper, as the terminal decides', () => {
    expect(resolveLogFormat('auto', true)).toBe('pretty');
    expect(resolveLogFormat('auto', undefined)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    const at = new Date(2026, 5, 1, 12, 30, 1).getTime();
    expect(prettyLine(JSON.stringify({ level: 40, time: at, msg: 'full sync failed', corp: 'demo' }))).toBe(
      '12:30:01 WARN  full sync failed corp=demo\n',
    );
    const withErr = prettyLine(
      JSON.stringify({ level: 40, time: at, msg: 'job failed', err: { message: 'boom' } }),
    );
    expect(withErr).toBe('12:30:01 WARN  job failed — boom\n');
  });

  it('keeps harmless query values and redacts the rest', () => {
    expect(redactUrl('/api/v1/staff')).toBe('/api/v1/staff');
    expect(redactUrl(`/api/v1/customers?q=${PHONE}&limit=20&cursor=aWQ6MQ`)).toBe(
      '/api/v1/customers?q=[redacted]&limit=20&cursor=aWQ6MQ',
    );
    expect(redactUrl('/wecom/callback/demo?msg_signature=ab&echostr=xyz&timestamp=1')).toBe(
      '/wecom/callback/demo?msg_signature=[redacted]&echostr=[redacted]&timestamp=[redacted]',
    );
    expect(redactUrl('/x?%71=1&flag')).toBe('/x?%71=[redacted]&flag=[redacted]');
    // a number pasted where an id goes, or into a value that is otherwise kept
    expect(redactUrl(`/api/v1/customers/${PHONE}/tags?unitId=${PHONE}&limit=20`)).toBe(
      '/api/v1/customers/[redacted]/tags?unitId=[redacted]&limit=20',
    );
    expect(redactUrl('/api/v1/customers/1381234567')).toBe('/api/v1/customers/1381234567');
  });
});
