import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The inbox/outbox tables' migrations, run with the modules' own. */
export const jobsMigrationDir = join(dirname(fileURLToPath(import.meta.url)), 'migrations');
