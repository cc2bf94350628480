import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type LogFormat = 'pretty' | 'json';

/** SIYU_LOG_FORMAT: `auto` is readable lines for a person at a terminal, JSON for anything else. */
export function resolveLogFormat(setting: 'auto' | LogFormat, isTTY: boolean | undefined): LogFormat {
  return setting === 'auto' ? (isTTY ? 'pretty' : 'json') : setting;
}

/**
 * Query parameters whose values may be logged: paging, periods, ids, enums. Any other value (a search
 * that may be a phone number, a file name, WeCom's signature and echostr) is logged as [redacted].
 */
const LOGGABLE_QUERY = new Set([
  'limit',
  'cursor',
  'days',
  'from',
  'to',
  'dryRun',
  'unitId',
  'tagId',
  'staffId',
  'stage',
  'source',
]);

/** A mainland mobile number anywhere in what is kept (a path like /customers/13812345678, a kept value). */
const PHONE_SHAPED = /(?<!\d)1\d{10}(?!\d)/g;

export function redactUrl(url: string): string {
  return keepLoggableQuery(url).replace(PHONE_SHAPED, '[redacted]');
}

function keepLoggableQuery(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = url
    .slice(q + 1)
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=');
      const key = eq < 0 ? pair : pair.slice(0, eq);
      let name = key;
      try {
        name = decodeURIComponent(key.replaceAll('+', ' '));
      } catch {}
      return LOGGABLE_QUERY.has(name) ? pair : `${key}=[redacted]`;
    });
  return `${url.slice(0, q)}?${params.join('&')}`;
}

/** Fields that hold secrets or personal data wherever they appear in a log entry (one level deep). */
const SECRET_FIELDS = [
  'password',
  'secret',
  'token',
  'csrfToken',
  'access_token',
  'corpsecret',
  'secretKey',
  'encodingAesKey',
  'phone',
  'mobile',
  'cookie',
  'authorization',
];

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Where lines go (default stdout). */
  destination?: { write(line: string): unknown };
}

/**
 * Siyu's logger: pino, with requests serialised without headers or body and with their query values
 * redacted, secret and personal fields censored anywhere in an entry, and, for a person at a terminal,
 * one readable line per entry instead of JSON.
 */
export function createLogger(opts: LoggerOptions): FastifyBaseLogger {
  const out = opts.destination ?? process.stdout;
  const destination = opts.format === 'json' ? out : { write: (line: string) => out.write(prettyLine(line)) };
  return pino(
    {
      level: opts.level,
      serializers: {
        req: (req: { method?: string; url?: string; ip?: string }) => ({
          method: req.method,
          url: req.url === undefined ? undefined : redactUrl(req.url),
          remoteAddress: req.ip,
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
        err: pino.stdSerializers.err,
      },
      redact: {
        paths: [...SECRET_FIELDS, ...SECRET_FIELDS.map((f) => `*.${f}`), 'req.headers', 'res.headers'],
        censor: '[redacted]',
      },
    },
    destination,
  ) as FastifyBaseLogger;
}

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const OMITTED = new Set([
  'level',
  'time',
  'pid',
  'hostname',
  'msg',
  'reqId',
  'req',
  'res',
  'err',
  'responseTime',
]);

/** One JSON entry as a terminal line: `12:30:01 WARN  message key=value`, a request as `GET /path 200 3 ms`. */
export function prettyLine(json: string): string {
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(json);
  } catch {
    return json;
  }
  const time = new Date(typeof e.time === 'number' ? e.time : Date.now()).toTimeString().slice(0, 8);
  const level = (LEVELS[e.level as number] ?? String(e.level)).padEnd(5);
  const parts = [String(e.msg ?? '')];
  const req = e.req as { method?: string; url?: string } | undefined;
  const res = e.res as { statusCode?: number } | undefined;
  if (req) parts.push(`${req.method} ${req.url}`);
  if (res?.statusCode !== undefined) parts.push(String(res.statusCode));
  if (typeof e.responseTime === 'number') parts.push(`${Math.round(e.responseTime)} ms`);
  for (const [k, v] of Object.entries(e)) {
    if (!OMITTED.has(k)) parts.push(`${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  const err = e.err as { message?: string; stack?: string } | undefined;
  if (err) parts.push((e.level as number) >= 50 && err.stack ? `\n${err.stack}` : `— ${err.message}`);
  return `${time} ${level} ${parts.filter(Boolean).join(' ')}\n`;
}
