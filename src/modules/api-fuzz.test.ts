import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../demo/random.ts';
import type { Role } from '../platform/actor.ts';
import { openTestApp, type TestApp, type TestSession } from '../testing/app.ts';

/**
 * Walks every operation of the OpenAPI document as an HQ admin and as a front-line login and sends hostile
 * values in each path parameter, query parameter and body field (one at a time, the rest of the request
 * kept valid), then hostile bodies as a whole. Any 5xx fails, naming the route, the field and the value; a
 * 4xx is the expected answer. Seeded: the same run every time.
 */
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface Schema {
  type?: string | string[];
  $ref?: string;
  enum?: Json[];
  const?: Json;
  format?: string;
  pattern?: string;
  minLength?: number;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  minItems?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  default?: Json;
}
interface Operation {
  parameters?: { in: 'path' | 'query' | 'header'; name: string; required?: boolean; schema: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
}

const SEED = 20261201;
const rng = new Random(SEED);

let t: TestApp;
let fruitGroup: number;
const logged: string[] = [];
const sessions = {} as Record<'hq_admin' | 'staff', TestSession>;
const loginOf = (role: 'hq_admin' | 'staff') => (role === 'hq_admin' ? t.fx.logins.admin : t.fx.logins.sh1a);

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _enc, done) {
      const entry = JSON.parse(String(chunk)) as { msg?: string; err?: { message?: string } };
      if (entry.err) logged.push(`${entry.msg}: ${entry.err.message}`);
      done();
    },
  });
  t = await openTestApp({ logger: pino({ level: 'error' }, sink) });
  for (const role of ['hq_admin', 'staff'] as const) sessions[role] = await t.login(loginOf(role));
  fruitGroup = (
    await t.database.db
      .selectFrom('tags')
      .select('group_id')
      .where('id', '=', t.fx.tags.fruit)
      .executeTakeFirstOrThrow()
  ).group_id;
});
afterAll(() => t.close());

const deepObject = (depth: number): Json => {
  let v: Json = 'x';
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
};
const deepArray = (depth: number): Json => {
  let v: Json = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};

/** [label, value]: strings for every kind of field; the rest for fields of any type. */
const HOSTILE: [string, Json][] = [
  ['NUL', '\u0000'],
  ['NUL inside', 'ab\u0000cd'],
  ['lone surrogate', '\ud800'],
  ['lone low surrogate', 'x\udc00y'],
  ['1 MB string', 'x'.repeat(1_000_000)],
  ['empty string', ''],
  ['-1', -1],
  ['0', 0],
  ['1.5', 1.5],
  ['1e308', 1e308],
  ['-1e308', -1e308],
  ['2^63', 2 ** 63],
  ['"1e400"', '1e400'],
  ['"-0x10"', '-0x10'],
  ['year 275760', '+275760-09-13T00:00:00.000Z'],
  ['year -271821', '-271821-04-20'],
  ['year 275760 (date)', '275760-09-13'],
  ['year 0', '0000-01-01'],
  ['true', true],
  ['null', null],
  ['empty array', []],
  ['empty object', {}],
  ['object', { a: 1 }],
  ['array of strings', ['a', 'b']],
  ['array of numbers', [1, 2]],
  ['deep object', deepObject(2000)],
  ['deep array', deepArray(2000)],
];

/** A few seeded strings of characters that tend to break things: quotes, controls, wide and combining. */
function randomStrings(count: number): [string, Json][] {
  const alphabet = [...'\'"\\%_*?[](){}<>;:/ \t\n\r\u0001\u001f\u007f\u00a0\u200b\u202e\ufeff\u0301é王💥𠀀'];
  return Array.from({ length: count }, () => {
    const s = Array.from({ length: rng.int(1, 40) }, () => rng.pick(alphabet)).join('');
    return [`random ${JSON.stringify(s)}`, s];
  });
}

function resolve(doc: { components?: { schemas?: Record<string, Schema> } }, s: Schema): Schema {
  if (!s.$ref) return s;
  const name = s.$ref.split('/').pop()!;
  return resolve(doc, doc.components?.schemas?.[name] ?? {});
}

/** A valid value for a schema, so that the fields left alone pass validation. */
function sample(doc: object, schema: Schema, depth = 0): Json {
  const s = resolve(doc, schema);
  if (s.const !== undefined) return s.const;
  if (s.default !== undefined) return s.default;
  if (s.enum) return s.enum[0]!;
  const alt = s.anyOf ?? s.oneOf;
  if (alt) return sample(doc, alt.find((a) => resolve(doc, a).type !== 'null') ?? alt[0]!, depth);
  if (s.allOf) return Object.assign({}, ...s.allOf.map((a) => sample(doc, a, depth)));
  const type = Array.isArray(s.type) ? s.type.find((x) => x !== 'null') : s.type;
  switch (type) {
    case 'string':
      return sampleString(s);
    case 'integer':
    case 'number':
      return Math.max(s.minimum ?? 1, s.exclusiveMinimum === undefined ? 1 : s.exclusiveMinimum + 1);
    case 'boolean':
      return false;
    case 'array':
      return depth > 4 || !s.items
        ? []
        : Array.from({ length: Math.max(1, s.minItems ?? 0) }, () => sample(doc, s.items!, depth + 1));
    case 'object':
    case undefined: {
      const out: Record<string, Json> = {};
      for (const [k, v] of Object.entries(s.properties ?? {})) out[k] = sample(doc, v, depth + 1);
      return out;
    }
    default:
      return null;
  }
}

function sampleString(s: Schema): string {
  if (s.format === 'date') return '2026-06-01';
  if (s.format === 'date-time') return '2026-06-01T08:00:00Z';
  if (s.format === 'email') return 'a@example.com';
  if (s.format === 'uri') return 'https://example.com/';
  const candidates = ['x'.repeat(Math.max(1, s.minLength ?? 1)), 'abc', 'a1', '09:00', '1', 'sh1'];
  if (!s.pattern) return candidates[0]!;
  const re = new RegExp(s.pattern, 'u');
  return candidates.find((c) => re.test(c)) ?? candidates[0]!;
}

/** Ids that exist and that both logins see, so that a probe gets past the lookup (1 otherwise). */
function knownPathId(route: string): number {
  if (route.startsWith('/api/v1/customers/')) return t.fx.customers.wang;
  if (route.startsWith('/api/v1/staff/')) return t.fx.staff.sh1a;
  if (route.startsWith('/api/v1/acquisition-settings/')) return t.fx.units.sh1;
  if (route.startsWith('/api/v1/tags/')) return t.fx.tags.fruit;
  if (route.startsWith('/api/v1/tag-groups/')) return fruitGroup;
  return 1;
}

/** Valid bodies the generator cannot guess (cross-field rules, ids that must exist). */
function knownBody(method: string, url: string): Json | undefined {
  const rule = { field: 'order_count', cmp: 'gte', value: 1 };
  const channel = {
    name: '探针',
    scene: '收银台',
    method: 'table_card',
    unitId: t.fx.units.sh1,
    assignMode: 'pool',
    staff: [{ staffId: t.fx.staff.sh1a }],
  };
  const bodies: Record<string, Json> = {
    'POST /api/v1/channels': channel,
    'PUT /api/v1/channels/{id}': channel,
    'PUT /api/v1/lifecycle-settings': {
      recencyDays: [7, 14, 30, 60],
      frequencyOrders: [2, 4, 8, 15],
      monetaryFen: [5000, 15000, 40000, 100000],
      repeatOrders: 2,
      superMin: { r: 4, f: 4, m: 4 },
      dormantDays: 60,
      churnedDays: 180,
    },
    'POST /api/v1/segments/preview': { rule },
    'POST /api/v1/segments': { name: '探针', rule },
    'PUT /api/v1/segments/{id}': { name: '探针', rule },
    'POST /api/v1/customers/{id}/tags': { add: [t.fx.tags.vip] },
    'POST /api/v1/tag-groups': { name: '探针组', tags: ['探针'] },
    'POST /api/v1/auth/login': { login: 'nobody@acme', password: 'wrong' },
  };
  return bodies[`${method} ${url}`];
}

/** Every leaf and inner node of a sample body, as a path of keys. */
function pathsOf(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [...(prefix.length ? [prefix] : []), ...entries.flatMap(([k, v]) => pathsOf(v, [...prefix, k]))];
}

function setAt(value: Json, path: (string | number)[], to: Json): Json {
  if (path.length === 0) return to;
  const copy = structuredClone(value) as Record<string | number, Json>;
  let node = copy;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, Json>;
  node[path[path.length - 1]!] = to;
  return copy;
}

const asParam = (v: Json): string[] =>
  Array.isArray(v)
    ? v.length
      ? v.map((x) => String(x))
      : ['']
    : [typeof v === 'object' && v !== null ? '[object]' : String(v)];

/** encodeURIComponent, except that a lone surrogate becomes its WTF-8 bytes (%ED%A0%80) instead of throwing. */
const encode = (s: string) =>
  s.replace(/[^\ud800-\udfff]+|[\ud800-\udbff][\udc00-\udfff]|[\ud800-\udfff]/g, (part) => {
    if (part.length > 1 || !/[\ud800-\udfff]/.test(part)) return encodeURIComponent(part);
    const c = part.charCodeAt(0);
    return [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)]
      .map((b) => `%${b.toString(16).toUpperCase()}`)
      .join('');
  });

function queryString(query: Record<string, Json>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query))
    for (const s of asParam(v)) parts.push(`${encode(k)}=${encode(s)}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

interface Probe {
  role: Role | 'public';
  method: string;
  route: string;
  where: string;
  label: string;
  path: Record<string, Json>;
  query: Record<string, Json>;
  body?: { payload: string; type: string };
}

const failures: string[] = [];
let sent = 0;

async function send(p: Probe): Promise<void> {
  const url =
    p.route.replace(/\{(\w+)\}/g, (_, k: string) => encode(asParam(p.path[k] ?? 1)[0]!)) +
    queryString(p.query);
  const run = () => {
    const s = p.role === 'public' ? undefined : sessions[p.role as 'hq_admin' | 'staff'];
    const headers: Record<string, string> = s ? { cookie: s.cookie, 'x-csrf-token': s.csrfToken } : {};
    if (p.body) headers['content-type'] = p.body.type;
    return t.app.inject({ method: p.method as 'GET', url, headers, payload: p.body?.payload });
  };
  logged.length = 0;
  let res = await run();
  sent++;
  if (res.statusCode === 401 && p.role !== 'public' && res.json().error?.code === 'unauthenticated') {
    // the previous probe ended this session (logout, a revoked session): sign in again and resend
    sessions[p.role as 'hq_admin' | 'staff'] = await t.login(loginOf(p.role as 'hq_admin' | 'staff'));
    res = await run();
  }
  if (res.statusCode >= 500) {
    const why = logged.length ? logged.join(' | ') : res.body.slice(0, 200);
    failures.push(`${p.role} ${p.method} ${p.route} ${p.where} = ${p.label} → ${res.statusCode}: ${why}`);
  }
}

describe('every route under hostile input', () => {
  // every route of every module, several hostile inputs each: about 4 minutes on PGlite beside other files
  it('answers 4xx, never 5xx, to hostile parameters and bodies', { timeout: 600_000 }, async () => {
    const doc = t.app.swagger() as unknown as { paths: Record<string, Record<string, Operation>> };
    const access = new Map(t.app.apiRoutes.map((r) => [`${r.method} ${r.url}`, r.access]));
    let operations = 0;
    for (const [route, ops] of Object.entries(doc.paths)) {
      for (const [m, op] of Object.entries(ops)) {
        const method = m.toUpperCase();
        const rule = access.get(`${method} ${route.replace(/\{(\w+)\}/g, ':$1')}`);
        if (!rule) continue;
        operations++;
        const roles: Probe['role'][] =
          'public' in rule
            ? ['public']
            : (['hq_admin', 'staff'] as const).filter((r) => rule.roles.includes(r));
        const params = op.parameters ?? [];
        const basePath: Record<string, Json> = {};
        const baseQuery: Record<string, Json> = {};
        for (const p of params) {
          const v = sample(doc, p.schema);
          if (p.in === 'path') basePath[p.name] = /id$/i.test(p.name) ? knownPathId(route) : v;
          else if (p.in === 'query' && p.required) baseQuery[p.name] = v;
        }
        const json = op.requestBody?.content['application/json'];
        const baseBody = json ? (knownBody(method, route) ?? sample(doc, json.schema)) : undefined;
        const body = (v: Json | undefined) =>
          v === undefined ? undefined : { payload: JSON.stringify(v), type: 'application/json' };

        for (const role of roles) {
          const base = { role, method, route, path: basePath, query: baseQuery, body: body(baseBody) };
          const values = [...HOSTILE, ...randomStrings(2)];
          for (const p of params) {
            if (p.in === 'header') continue;
            for (const [label, value] of values) {
              const where = `${p.in}.${p.name}`;
              if (p.in === 'path')
                await send({ ...base, where, label, path: { ...basePath, [p.name]: value } });
              else await send({ ...base, where, label, query: { ...baseQuery, [p.name]: value } });
            }
          }
          if (baseBody !== undefined) {
            for (const path of pathsOf(baseBody)) {
              for (const [label, value] of values) {
                const where = `body.${path.join('.')}`;
                await send({ ...base, where, label, body: body(setAt(baseBody, path, value)) });
              }
            }
          }
          if (method !== 'GET') {
            const whole: [string, { payload: string; type: string } | undefined][] = [
              ['no body', undefined],
              ['empty JSON body', { payload: '', type: 'application/json' }],
              ['invalid JSON', { payload: '{"name": "x",', type: 'application/json' }],
              ['JSON null', { payload: 'null', type: 'application/json' }],
              ['JSON array', { payload: '[1,2]', type: 'application/json' }],
              ['JSON string', { payload: '"x"', type: 'application/json' }],
              [
                'deeply nested JSON',
                { payload: `${'['.repeat(100_000)}${']'.repeat(100_000)}`, type: 'application/json' },
              ],
              ['NUL in a key', { payload: '{"a\\u0000": 1}', type: 'application/json' }],
              ['wrong content-type', { payload: 'name=x', type: 'application/x-www-form-urlencoded' }],
              ['text/plain', { payload: JSON.stringify(baseBody ?? {}), type: 'text/plain' }],
              ['octet-stream', { payload: '\u0000\u0001\u0002', type: 'application/octet-stream' }],
            ];
            for (const [label, b] of whole) await send({ ...base, where: 'body', label, body: b });
          }
        }
      }
    }
    expect(operations).toBe(t.app.apiRoutes.length);
    expect(sent).toBeGreaterThan(1000);
    expect(failures).toEqual([]);
  });
});

describe('hostile session cookies', () => {
  it('answer 401, never 5xx', async () => {
    const cookies = [
      'acme%00.x',
      '%00.x',
      'acme.%00',
      'acme%ED%A0%80.x',
      `acme.${'x'.repeat(100_000)}`,
      '.',
      'a',
    ];
    for (const value of cookies) {
      const res = await t.app.inject({
        method: 'GET',
        url: '/api/v1/customers',
        headers: { cookie: `siyu_session=${value}` },
      });
      expect(res.statusCode, value.slice(0, 40)).toBe(401);
    }
  });
});
