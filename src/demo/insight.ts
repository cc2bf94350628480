import { syncCtxOf } from '../modules/context.ts';
import { rebuildInsight } from '../modules/insight/index.ts';
import type { Runtime } from '../runtime.ts';

/**
 * The insight rollups of the demo brand, built once at the end of the demo build (set-based: one statement
 * per mirror and rollup over every customer): the home page and the dashboards read them from the first login. Changes after this
 * reach them through the domain events and the insight.rollups job.
 */
export async function buildDemoInsight(runtime: Runtime, corpId: string): Promise<number> {
  await runtime.drain();
  return rebuildInsight(syncCtxOf(runtime.deps, corpId).cdb);
}
