import { resolve } from 'node:path';
import { z } from 'zod';

/** Every setting Siyu reads from the environment, with its default. Documented in the README and `siyu start --help`. */
export const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  DATABASE_URL: z.url().optional(),
  SIYU_DATA_DIR: z.string().default('./.siyu/data'),
  SIYU_SECRET_KEY: z
    .string()
    .regex(/^[0-9a-f]{64}$/i, 'SIYU_SECRET_KEY must be 64 hex characters (32 bytes)')
    .optional(),
  SIYU_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SIYU_SECURE_COOKIES: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  SIYU_DEMO: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
});

export type Config = z.infer<typeof configSchema> & { dataDir: string };

export const configHelp: Record<keyof z.infer<typeof configSchema>, string> = {
  PORT: 'HTTP port (default 3000)',
  HOST: 'address to listen on (default 127.0.0.1; 0.0.0.0 to expose)',
  DATABASE_URL: 'PostgreSQL server, e.g. postgres://siyu:pw@localhost:5432/siyu (default: embedded PGlite)',
  SIYU_DATA_DIR: 'where the embedded database and the secret key live (default ./.siyu/data)',
  SIYU_SECRET_KEY: '64 hex chars; encrypts PII at rest (default: generated once into the data folder)',
  SIYU_LOG_LEVEL: 'fatal|error|warn|info|debug|trace|silent (default info)',
  SIYU_SECURE_COOKIES: 'true behind HTTPS: session cookies get the Secure flag (default false)',
  SIYU_DEMO: 'seed the demo brand into an empty database (default true)',
};

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return { ...parsed.data, dataDir: resolve(parsed.data.SIYU_DATA_DIR) };
}
