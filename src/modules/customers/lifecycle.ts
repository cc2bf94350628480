import { AppError } from '../../platform/http/errors.ts';
import type { Ctx } from '../context.ts';
import { lifecycleSettingsOf, saveLifecycleSettings } from './facts.ts';
import { DEFAULT_SETTINGS, type LifecycleSettings, settingsProblems } from './rfm.ts';

/** The brand's lifecycle settings, the defaults beside them, and the state of the recompute they cause. */
export async function getLifecycleSettings(ctx: Ctx) {
  const stored = await lifecycleSettingsOf(ctx.cdb);
  const { recompute } = stored;
  const finished =
    recompute.finishedAt !== null &&
    recompute.startedAt !== null &&
    recompute.finishedAt >= recompute.startedAt;
  const status =
    stored.recomputeVersion < stored.version
      ? 'pending'
      : recompute.startedAt && !finished
        ? 'running'
        : recompute.startedAt
          ? 'done'
          : 'never';
  const updatedBy = stored.updatedBy
    ? await ctx.cdb.db
        .selectFrom('accounts')
        .select('display_name')
        .where('corp_id', '=', ctx.cdb.corpId)
        .where('id', '=', stored.updatedBy)
        .executeTakeFirst()
    : undefined;
  return {
    settings: stored.settings,
    defaults: DEFAULT_SETTINGS,
    updatedAt: stored.settingsAt?.toISOString() ?? null,
    updatedBy: updatedBy?.display_name ?? null,
    recompute: {
      status: status as 'pending' | 'running' | 'done' | 'never',
      done: recompute.done,
      total: recompute.total,
      startedAt: recompute.startedAt?.toISOString() ?? null,
      finishedAt: finished ? recompute.finishedAt!.toISOString() : null,
    },
  };
}

/**
 * Saves the brand's thresholds after checking they make sense together; every customer's facts are then
 * recomputed by the facts job in the background (`kick` wakes it).
 */
export async function setLifecycleSettings(ctx: Ctx, input: LifecycleSettings, kick: () => void) {
  const problems = settingsProblems(input);
  if (problems.length) {
    throw new AppError('bad_request', {
      zh: problems.map((p) => p.zh).join('；'),
      en: problems.map((p) => p.en).join('; '),
    });
  }
  await saveLifecycleSettings(ctx.cdb, input, { accountId: ctx.actor.accountId, at: ctx.clock.now() });
  kick();
  return getLifecycleSettings(ctx);
}
