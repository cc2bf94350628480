import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { jobsMigrationDir } from '../platform/jobs/index.ts';
import { type AccountRouteOptions, accountRoutes } from './accounts/routes.ts';
import { type ChannelRouteOptions, channelRoutes } from './channels/routes.ts';
import type { SyncRunner } from './connector/full-sync.ts';
import { connectorRoutes } from './connector/routes.ts';
import type { Deps } from './context.ts';
import { factsRoutes } from './customers/facts-routes.ts';
import { customerRoutes } from './customers/routes.ts';
import { importRoutes } from './orders/import-routes.ts';
import type { ImportRunner } from './orders/import-runner.ts';
import { orderRoutes } from './orders/routes.ts';
import { orgRoutes } from './org/routes.ts';
import { segmentRoutes } from './segments/routes.ts';
import { staffRoutes } from './staff/routes.ts';
import { tagRoutes } from './tags/routes.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** The platform's and every module's migrations folder; the runner orders their files by number. */
export const migrationDirs: string[] = [
  jobsMigrationDir,
  ...readdirSync(here, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(here, d.name, 'migrations'))
    .filter((dir) => {
      try {
        return readdirSync(dir).length > 0;
      } catch {
        return false;
      }
    }),
];

export function moduleRoutes(
  deps: Deps,
  runtime: { sync: SyncRunner; imports: ImportRunner; facts: { kick(): void } },
  opts: AccountRouteOptions & ChannelRouteOptions,
) {
  return async (app: FastifyInstance) => {
    await app.register(accountRoutes(deps, opts));
    await app.register(orgRoutes(deps));
    await app.register(staffRoutes(deps));
    await app.register(customerRoutes(deps));
    await app.register(factsRoutes(deps, runtime.facts));
    await app.register(tagRoutes(deps));
    await app.register(connectorRoutes(deps, runtime.sync));
    await app.register(channelRoutes(deps, opts));
    await app.register(importRoutes(deps, runtime.imports));
    await app.register(orderRoutes(deps));
    await app.register(segmentRoutes(deps));
  };
}
