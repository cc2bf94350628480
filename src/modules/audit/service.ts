import { sql } from 'kysely';
import type { Actor } from '../../platform/actor.ts';
import { type ExportFormat, exportFile, MAX_EXPORT_ROWS } from '../../platform/export.ts';
import { AppError } from '../../platform/http/errors.ts';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import type { Ctx, SyncCtx } from '../context.ts';

/** One thing someone did with the brand's data. Never a phone number or a secret in clear in any field. */
export interface AuditEntry {
  /** `<module>.<verb>`, e.g. `customers.export`. */
  action: string;
  /** What it was done to, e.g. `segment:12`. */
  subject?: string | null;
  details?: Record<string, unknown>;
}

/** Who acts: a request's caller (with its address), or the system (a job, the CLI) without an actor. */
type AuditCtx = SyncCtx & { actor?: Actor; address?: string };

function row(ctx: AuditCtx, entry: AuditEntry, at: Date) {
  return {
    corp_id: ctx.cdb.corpId,
    at,
    account_id: ctx.actor?.accountId ?? null,
    role: ctx.actor?.role ?? null,
    unit_id: ctx.actor?.unitId ?? null,
    address: ctx.address ?? null,
    action: entry.action,
    subject: entry.subject ?? null,
    details: JSON.stringify(entry.details ?? {}),
  };
}

/** Appends an entry to the audit log, in the transaction of `ctx` when it has one. */
export async function recordAudit(ctx: AuditCtx, entry: AuditEntry): Promise<void> {
  await ctx.cdb.db
    .insertInto('audit_log')
    .values(row(ctx, entry, ctx.clock.now()))
    .execute();
}

/** How many entries of one action an account may make: per rolling hour and per rolling day. */
export interface Budget {
  perHour: number;
  perDay: number;
}

export type BudgetAnswer = { ok: true } | { ok: false; window: 'hour' | 'day'; max: number };

const HOUR_MS = 3_600_000;

/**
 * Records `entry` if the caller's budget for its action allows one more, else records `<action>.refused`
 * (so refusals are audited too, and do not use the budget). Counted in the audit log itself, under a lock
 * per account, so every process sharing the database shares the budget and concurrent requests cannot
 * both take the last one.
 */
export async function recordWithinBudget(ctx: Ctx, entry: AuditEntry, budget: Budget): Promise<BudgetAnswer> {
  const now = ctx.clock.now();
  const { corpId } = ctx.cdb;
  const accountId = ctx.actor.accountId;
  return ctx.cdb.transaction(async (tx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`siyu.audit:${corpId}:${accountId}:${entry.action}`}))`.execute(
      tx.db,
    );
    const used = await tx.db
      .selectFrom('audit_log')
      .select([
        (eb) => eb.fn.countAll<string>().as('day'),
        sql<string>`count(*) filter (where at > ${new Date(now.getTime() - HOUR_MS)})`.as('hour'),
      ])
      .where('corp_id', '=', corpId)
      .where('account_id', '=', accountId)
      .where('action', '=', entry.action)
      .where('at', '>', new Date(now.getTime() - 24 * HOUR_MS))
      .executeTakeFirstOrThrow();
    const refused: BudgetAnswer | null =
      Number(used.hour) >= budget.perHour
        ? { ok: false, window: 'hour', max: budget.perHour }
        : Number(used.day) >= budget.perDay
          ? { ok: false, window: 'day', max: budget.perDay }
          : null;
    const recorded = refused
      ? { ...entry, action: `${entry.action}.refused`, details: { ...entry.details, limit: refused } }
      : entry;
    await tx.db
      .insertInto('audit_log')
      .values(row({ ...ctx, cdb: tx }, recorded, now))
      .execute();
    return refused ?? { ok: true };
  });
}

export interface AuditListInput {
  action?: string;
  accountId?: number;
  subject?: string;
  from?: string;
  to?: string;
  cursor?: string;
  limit: number;
}

function auditQuery(ctx: Ctx, input: Omit<AuditListInput, 'cursor' | 'limit'>) {
  const { cdb } = ctx;
  let query = cdb.db
    .selectFrom('audit_log as l')
    .leftJoin('accounts as a', (j) =>
      j.onRef('a.corp_id', '=', 'l.corp_id').onRef('a.id', '=', 'l.account_id'),
    )
    .leftJoin('org_units as u', (j) => j.onRef('u.corp_id', '=', 'l.corp_id').onRef('u.id', '=', 'l.unit_id'))
    .select([
      'l.id',
      'l.at',
      'l.account_id',
      'a.username',
      'a.display_name',
      'l.role',
      'l.unit_id',
      'u.name as unit_name',
      'l.address',
      'l.action',
      'l.subject',
      'l.details',
    ])
    .where('l.corp_id', '=', cdb.corpId);
  if (input.action !== undefined) {
    // `customers.export` also finds nothing else; `customers.` every action of the module
    query = input.action.endsWith('.')
      ? query.where('l.action', 'like', `${input.action.replace(/[\\%_]/g, (m) => `\\${m}`)}%`)
      : query.where('l.action', '=', input.action);
  }
  if (input.accountId !== undefined) query = query.where('l.account_id', '=', input.accountId);
  if (input.subject !== undefined) query = query.where('l.subject', '=', input.subject);
  if (input.from !== undefined) query = query.where('l.at', '>=', new Date(input.from));
  if (input.to !== undefined) query = query.where('l.at', '<', new Date(input.to));
  return query;
}

/** The brand's audit log, newest first, with the acting account's name. */
export async function listAudit(ctx: Ctx, input: AuditListInput) {
  const after = decodeCursor(input.cursor);
  let query = auditQuery(ctx, input);
  if (after !== undefined) query = query.where('l.id', '<', after);
  const rows = await query
    .orderBy('l.id', 'desc')
    .limit(input.limit + 1)
    .execute();
  const page = toPage(rows, input.limit);
  return {
    nextCursor: page.nextCursor,
    items: page.items.map((r) => ({
      id: r.id,
      at: r.at.toISOString(),
      accountId: r.account_id,
      username: r.username,
      displayName: r.display_name,
      role: r.role,
      unitId: r.unit_id,
      unitName: r.unit_name,
      address: r.address,
      action: r.action,
      subject: r.subject,
      details: (r.details ?? {}) as Record<string, unknown>,
    })),
  };
}

/**
 * The entries a filter finds, as a file (at most MAX_EXPORT_ROWS; more: 422), newest first. The export is
 * itself an entry (`audit.export`, with its filter and row count), in the same transaction.
 */
export async function exportAudit(
  ctx: Ctx,
  input: Omit<AuditListInput, 'cursor' | 'limit'>,
  format: ExportFormat,
) {
  const rows = await auditQuery(ctx, input)
    .orderBy('l.id', 'desc')
    .limit(MAX_EXPORT_ROWS + 1)
    .execute();
  if (rows.length > MAX_EXPORT_ROWS)
    throw new AppError('too_many_rows', {
      zh: `审计记录超过 ${MAX_EXPORT_ROWS} 条，请缩小时间范围或按操作筛选`,
      en: `More than ${MAX_EXPORT_ROWS} entries: narrow the time range or the action`,
    });
  await recordAudit(ctx, {
    action: 'audit.export',
    details: { filter: { ...input }, rows: rows.length, format },
  });
  return exportFile(format, `audit-${ctx.clock.now().toISOString().slice(0, 10)}`, {
    name: 'audit',
    header: ['id', 'at', 'account', 'name', 'role', 'unit', 'address', 'action', 'subject', 'details'],
    rows: rows.map((r) => [
      r.id,
      r.at.toISOString(),
      r.username,
      r.display_name,
      r.role,
      r.unit_name,
      r.address,
      r.action,
      r.subject,
      JSON.stringify(r.details ?? {}),
    ]),
    widths: [8, 24, 14, 14, 14, 14, 16, 28, 20, 60],
  });
}
