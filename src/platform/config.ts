import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { z } from 'zod';
import { FRAME_ANCESTOR } from './http/security-headers.ts';

/** Every setting Siyu reads from the environment, with its default. Documented in the README and `siyu start --help`. */
export const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  DATABASE_URL: z.url().optional(),
  SIYU_DATA_DIR: z.string().default('./.siyu/data'),
  SIYU_BACKUPS: z.coerce.number().int().min(0).max(1000).default(7),
  SIYU_SECRET_KEY: z
    .string()
    .regex(/^[0-9a-f]{64}$/i, 'SIYU_SECRET_KEY must be 64 hex characters (32 bytes)')
    .optional(),
  SIYU_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SIYU_LOG_FORMAT: z.enum(['auto', 'pretty', 'json']).default('auto'),
  SIYU_SECURE_COOKIES: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  SIYU_TRUSTED_PROXIES: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    )
    .refine((list) => list.every(isProxySpec), {
      error:
        'SIYU_TRUSTED_PROXIES lists addresses or CIDR ranges (or loopback, linklocal, uniquelocal), comma-separated',
    }),
  SIYU_FETCH_PRIVATE: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    )
    .refine((list) => list.every(isProxySpec), {
      error:
        'SIYU_FETCH_PRIVATE lists addresses or CIDR ranges (or loopback, linklocal, uniquelocal), comma-separated',
    }),
  SIYU_FRAME_ANCESTORS: z
    .string()
    .default('')
    .transform((v) => v.split(/[\s,]+/).filter(Boolean))
    .refine((list) => list.every((o) => FRAME_ANCESTOR.test(o)), {
      error:
        'SIYU_FRAME_ANCESTORS lists origins such as https://work.weixin.qq.com or https://*.example.com, comma-separated',
    }),
  SIYU_DEMO: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  SIYU_DEMO_CUSTOMERS: z.coerce.number().int().min(0).max(1_000_000).default(3000),
  SIYU_PUBLIC_URL: z.url().optional(),
  SIYU_SIM_PORT: z.coerce.number().int().min(0).max(65535).default(3001),
  WECOM_CORP_ID: z.string().min(1).optional(),
  WECOM_SECRET: z.string().min(1).optional(),
  WECOM_TOKEN: z.string().min(1).optional(),
  WECOM_ENCODING_AES_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}$/, 'WECOM_ENCODING_AES_KEY must be the 43-character EncodingAESKey')
    .optional(),
  WECOM_AGENT_ID: z.string().optional(),
  WECOM_API_URL: z.url().default('https://qyapi.weixin.qq.com'),
  SIYU_BRAND: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{1,31}$/, 'SIYU_BRAND is a short lower-case id, e.g. mybrand')
    .default('brand'),
  SIYU_BRAND_NAME: z.string().min(1).max(64).default('我的品牌'),
  SIYU_ADMIN_PASSWORD: z.string().min(8, 'SIYU_ADMIN_PASSWORD needs at least 8 characters').optional(),
});

export type Config = z.infer<typeof configSchema> & { dataDir: string };

export const configHelp: Record<keyof z.infer<typeof configSchema>, string> = {
  PORT: 'HTTP port (default 3000)',
  HOST: 'address to listen on (default 127.0.0.1; 0.0.0.0 to expose)',
  DATABASE_URL: 'PostgreSQL server, e.g. postgres://siyu:pw@localhost:5432/siyu (default: embedded PGlite)',
  SIYU_DATA_DIR: 'where the embedded database and the secret key live (default ./.siyu/data)',
  SIYU_BACKUPS:
    'embedded database: backups kept in the data folder’s sibling backups/ (daily and at each clean stop; 0 = none; default 7)',
  SIYU_SECRET_KEY: '64 hex chars; encrypts PII at rest (default: generated once into the data folder)',
  SIYU_LOG_LEVEL:
    'fatal|error|warn|info|debug|trace|silent (default info); on a terminal a line per HTTP request shows at debug',
  SIYU_LOG_FORMAT:
    'auto|pretty|json: auto is readable lines on a terminal, JSON (a line per HTTP request at info) otherwise (default auto)',
  SIYU_SECURE_COOKIES: 'true behind HTTPS: session cookies get the Secure flag (default false)',
  SIYU_TRUSTED_PROXIES:
    'behind a reverse proxy: its addresses or CIDR ranges, comma-separated (loopback for one on this machine); the client address is then read from X-Forwarded-For (default: none, X-Forwarded-For ignored)',
  SIYU_FETCH_PRIVATE:
    'non-public addresses Siyu may fetch library files from (an intranet file server): addresses or CIDR ranges, comma-separated, or loopback, linklocal, uniquelocal (default: none; only public addresses)',
  SIYU_FRAME_ANCESTORS:
    'origins besides Siyu itself that may show the console in a frame (CSP frame-ancestors), comma-separated, e.g. the WeCom client’s for the staff sidebar (default: none)',
  SIYU_DEMO:
    'without WeCom credentials: build the demo brand in the WeCom simulator on an empty database (default true)',
  SIYU_DEMO_CUSTOMERS: 'how many customers the demo brand gets (default 3000)',
  SIYU_PUBLIC_URL: 'the URL WeCom reaches Siyu at, for the callback URL (default http://HOST:PORT)',
  SIYU_SIM_PORT:
    'port of the bundled WeCom simulator, started when no WeCom credentials are set (default 3001)',
  WECOM_CORP_ID: 'real WeCom: your corpid (with WECOM_SECRET, WECOM_TOKEN, WECOM_ENCODING_AES_KEY)',
  WECOM_SECRET: 'real WeCom: the secret of the self-built app that may call 客户联系 APIs',
  WECOM_TOKEN: 'real WeCom: the callback Token set in the app’s 接收事件服务器',
  WECOM_ENCODING_AES_KEY: 'real WeCom: the callback EncodingAESKey (43 characters)',
  WECOM_AGENT_ID: 'real WeCom: the app’s AgentId (optional)',
  WECOM_API_URL: 'real WeCom: API base URL (default https://qyapi.weixin.qq.com)',
  SIYU_BRAND: 'real WeCom: the brand id created and connected on first start (default brand)',
  SIYU_BRAND_NAME: 'real WeCom: the brand’s display name (default 我的品牌)',
  SIYU_ADMIN_PASSWORD:
    'real WeCom: password of admin@<SIYU_BRAND> on first start (default: generated and printed once)',
};

/** The WeCom credentials, when all four are set; none means the bundled simulator. */
export function wecomCredentials(config: Config) {
  const { WECOM_CORP_ID, WECOM_SECRET, WECOM_TOKEN, WECOM_ENCODING_AES_KEY } = config;
  const given = [WECOM_CORP_ID, WECOM_SECRET, WECOM_TOKEN, WECOM_ENCODING_AES_KEY].filter(Boolean).length;
  if (given === 0) return null;
  if (!WECOM_CORP_ID || !WECOM_SECRET || !WECOM_TOKEN || !WECOM_ENCODING_AES_KEY) {
    throw new Error(
      'Set all of WECOM_CORP_ID, WECOM_SECRET, WECOM_TOKEN and WECOM_ENCODING_AES_KEY, or none of them',
    );
  }
  return {
    corpId: WECOM_CORP_ID,
    secret: WECOM_SECRET,
    token: WECOM_TOKEN,
    encodingAesKey: WECOM_ENCODING_AES_KEY,
    agentId: config.WECOM_AGENT_ID ?? null,
    apiUrl: config.WECOM_API_URL,
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return { ...parsed.data, dataDir: resolve(parsed.data.SIYU_DATA_DIR) };
}

/** An address, a CIDR range, or one of the names proxy-addr (Fastify's trustProxy) knows. */
function isProxySpec(spec: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(spec)) return true;
  const [address = '', bits, ...rest] = spec.split('/');
  const family = isIP(address);
  if (!family || rest.length) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}
