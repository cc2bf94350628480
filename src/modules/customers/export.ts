import type { Role } from '../../platform/actor.ts';
import {
  beijingTime,
  type Cell,
  type ExportFile,
  type ExportFormat,
  exportFile,
  MAX_EXPORT_ROWS,
} from '../../platform/export.ts';
import { AppError } from '../../platform/http/errors.ts';
import { maskPhone, normalizePhone } from '../../platform/pii.ts';
import { recordAudit } from '../audit/index.ts';
import type { Ctx } from '../context.ts';
import type { LifecycleStage } from '../events.ts';
import { visibleTagIds } from '../tags/index.ts';
import { STAGE_ZH } from './facts.ts';
import { type CustomerFilter, countFiltered, filteredCustomers } from './service.ts';

/**
 * Phones in a file: masked unless the caller asks for them in full (`phones=full`), which only these roles
 * may, and which the export's audit entry records. Anyone else asking is refused (403) and the refusal is
 * recorded (`<action>.refused`).
 */
export const PHONE_EXPORT_ROLES: readonly Role[] = ['hq_admin'];
export type PhoneMode = 'masked' | 'full';
export const PHONE_MODES = ['masked', 'full'] as const;

/** Refuses (403, recorded as `<action>.refused`) full phones to a role that may not export them. */
export async function assertPhoneMode(ctx: Ctx, phones: PhoneMode, action: string, subject?: string) {
  if (phones === 'masked' || PHONE_EXPORT_ROLES.includes(ctx.actor.role)) return;
  await recordAudit(ctx, {
    action: `${action}.refused`,
    subject: subject ?? null,
    details: { phones, reason: 'phones_full_not_allowed' },
  });
  throw new AppError('forbidden', {
    zh: '只有总部管理员可以导出完整手机号；请导出脱敏手机号',
    en: 'Only HQ admins may export full phone numbers: export them masked',
  });
}

const HEADER = [
  '客户ID Customer ID',
  '姓名 Name',
  '性别 Gender',
  '手机号(脱敏) Phone (masked)',
  '阶段 Stage',
  '订单数 Orders',
  '累计实付(元) Paid (yuan)',
  '最近下单 Last order',
  '标签 Tags',
  '跟进员工 Staff',
  '首次添加 First added',
  'external_userid',
];
const WIDTHS = [12, 14, 8, 16, 10, 10, 14, 18, 30, 20, 18, 34];
const GENDER = ['未知', '男', '女'];

/** Too many to export: the caller is told how many and what the ceiling is. */
export function tooManyToExport(count: number): AppError {
  return new AppError('too_many_rows', {
    zh: `共 ${count} 位客户，超过单次导出上限 ${MAX_EXPORT_ROWS} 位：请缩小筛选范围后分批导出`,
    en: `${count} customers exceed the limit of ${MAX_EXPORT_ROWS} per export: narrow the filter and export in parts`,
  });
}

/**
 * One row per customer, in the order of `ids`: what the list shows (tags within the caller's tag view, the
 * staff who follow them), the facts, and the phone masked, never in clear. The ids must already be in scope.
 */
async function exportRows(ctx: Ctx, ids: readonly number[], phones: PhoneMode): Promise<Cell[][]> {
  const { cdb } = ctx;
  const shownTags = visibleTagIds(ctx);
  const out: Cell[][] = [];
  for (let i = 0; i < ids.length; i += 1000) {
    const batch = ids.slice(i, i + 1000);
    const [customers, tags, owners] = await Promise.all([
      cdb.db
        .selectFrom('customers as c')
        .leftJoin('customer_facts as cf', (j) =>
          j.onRef('cf.corp_id', '=', 'c.corp_id').onRef('cf.customer_id', '=', 'c.id'),
        )
        .select([
          'c.id',
          'c.name',
          'c.gender',
          'c.phone_masked',
          'c.phone_cipher',
          'c.external_userid',
          'c.first_added_at',
          'cf.stage',
          'cf.order_count',
          'cf.paid_fen',
          'cf.last_order_at',
        ])
        .where('c.corp_id', '=', cdb.corpId)
        .where('c.id', 'in', batch)
        .execute(),
      cdb.db
        .selectFrom('customer_tags as ct')
        .innerJoin('tags as t', (j) =>
          j.onRef('t.corp_id', '=', 'ct.corp_id').onRef('t.id', '=', 'ct.tag_id'),
        )
        .select(['ct.customer_id', 't.name'])
        .where('ct.corp_id', '=', cdb.corpId)
        .where('ct.customer_id', 'in', batch)
        .$if(shownTags !== null, (q) => q.where('t.id', 'in', shownTags!))
        .orderBy('t.id')
        .execute(),
      cdb.db
        .selectFrom('follows as f')
        .innerJoin('staff as s', (j) =>
          j.onRef('s.corp_id', '=', 'f.corp_id').onRef('s.id', '=', 'f.staff_id'),
        )
        .select(['f.customer_id', 's.name'])
        .where('f.corp_id', '=', cdb.corpId)
        .where('f.customer_id', 'in', batch)
        .where('f.status', '=', 'active')
        .orderBy('f.added_at')
        .execute(),
    ]);
    const byId = new Map(customers.map((c) => [c.id, c]));
    const joined = (rows: { customer_id: number; name: string }[], id: number) =>
      rows
        .filter((r) => r.customer_id === id)
        .map((r) => r.name)
        .join('、');
    for (const id of batch) {
      const c = byId.get(id);
      if (!c) continue;
      out.push([
        c.id,
        c.name,
        GENDER[c.gender] ?? '未知',
        phones === 'full' && c.phone_cipher ? ctx.pii.decrypt(c.phone_cipher) : c.phone_masked,
        c.stage ? STAGE_ZH[c.stage as LifecycleStage] : null,
        c.order_count ?? 0,
        (c.paid_fen ?? 0) / 100,
        beijingTime(c.last_order_at),
        joined(tags, id),
        joined(owners, id),
        beijingTime(c.first_added_at),
        c.external_userid,
      ]);
    }
  }
  return out;
}

/** The export file of these customers (in scope, at most MAX_EXPORT_ROWS), named `<base>-<date>.<format>`. */
export async function customersFile(
  ctx: Ctx,
  ids: readonly number[],
  format: ExportFormat,
  base: string,
  phones: PhoneMode = 'masked',
): Promise<ExportFile> {
  const date = beijingTime(ctx.clock.now())!.slice(0, 10);
  return exportFile(format, `${base}-${date}`, {
    name: '客户',
    header: phones === 'full' ? HEADER.map((h, i) => (i === 3 ? '手机号 Phone' : h)) : HEADER,
    rows: await exportRows(ctx, ids, phones),
    widths: WIDTHS,
  });
}

/** A filter as the audit log keeps it: a phone-shaped search only masked. */
export function filterForAudit(filter: CustomerFilter): Record<string, unknown> {
  const out: Record<string, unknown> = { ...filter };
  const q = filter.q?.trim();
  if (q && /^1\d{10}$/.test(normalizePhone(q))) out.q = maskPhone(q);
  for (const k of Object.keys(out)) if (out[k] === undefined || out[k] === '') delete out[k];
  return out;
}

/** The customer list with its filters, as a file; audited (who, which filter, how many rows). */
export async function exportCustomers(
  ctx: Ctx,
  filter: CustomerFilter,
  format: ExportFormat,
  phones: PhoneMode = 'masked',
) {
  await assertPhoneMode(ctx, phones, 'customers.export');
  const filtered = await filteredCustomers(ctx, filter, 'export');
  const rows = await filtered
    .select('c.id')
    .orderBy('c.id', 'desc')
    .limit(MAX_EXPORT_ROWS + 1)
    .execute();
  if (rows.length > MAX_EXPORT_ROWS) throw tooManyToExport(await countFiltered(filtered));
  const file = await customersFile(
    ctx,
    rows.map((r) => r.id),
    format,
    '客户列表',
    phones,
  );
  await recordAudit(ctx, {
    action: 'customers.export',
    details: { filter: filterForAudit(filter), format, rows: rows.length, phones },
  });
  return file;
}
