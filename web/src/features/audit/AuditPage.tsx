import { Card, DatePicker, Empty, Flex, Select, Table, type TableColumnsType, Tag, Typography } from 'antd';
import dayjs from 'dayjs';
import type { TFunction } from 'i18next';
import { type HTMLAttributes, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router-dom';
import { useLang } from '../../i18n';
import { CursorPager, ErrorAlert, ExportButton, PageHeader } from '../../shared/components';
import { formatDateTime } from '../../shared/format';
import { useAsync, useCursorPages } from '../../shared/hooks';
import { setParams } from '../../shared/params';
import type { Role } from '../accounts/api';
import { orgApi } from '../org/api';
import { tagsApi } from '../tags/api';
import { type AuditEntry, auditApi } from './api';
import type { zh } from './strings';

const PAGE_SIZE = 30;
type Action = keyof typeof zh.audit.actions;
const ACTIONS = [
  'auth.login',
  'auth.login_failed',
  'auth.login_blocked',
  'auth.password_set',
  'accounts.create',
  'accounts.disable',
  'accounts.enable',
  'accounts.reset_password',
  'accounts.permissions',
  'accounts.update',
  'customers.phone_search',
  'customers.phone_search.refused',
  'customers.phone_reveal',
  'customers.phone_reveal.refused',
  'customers.export',
  'customers.bulk_tags',
  'segments.export',
  'transfers.departure',
  'transfers.reassign',
  'integrations.create',
  'integrations.revoke',
  'outreach.mass_send.create',
  'outreach.content_guard.override',
  'outreach.budget',
  'outreach.settings',
  'audit.export',
] as const satisfies readonly Action[];
type Group = keyof typeof zh.audit.groups;
const GROUPS = [
  'auth.',
  'accounts.',
  'customers.',
  'transfers.',
  'integrations.',
  'outreach.',
] as const satisfies readonly Group[];

const isAction = (a: string): a is Action => (ACTIONS as readonly string[]).includes(a);

/** Names for the ids an entry's details carry (tags, units), as HQ sees them all. */
interface Names {
  tags: Map<number, string>;
  units: Map<number, string>;
}

function filterText(t: TFunction, filter: Record<string, unknown>, names: Names): string {
  const parts = Object.entries(filter).map(([k, v]) => {
    if (k === 'stage') return t(`stage.${v as 'new'}`);
    if (k === 'tagId') return names.tags.get(Number(v)) ?? `#${v}`;
    if (k === 'unitId') return names.units.get(Number(v)) ?? `#${v}`;
    if (k === 'q') return `“${String(v)}”`;
    return `${k} ${String(v)}`;
  });
  return parts.length ? parts.join('、') : t('audit.wholeList');
}

type Field = keyof typeof zh.audit.fields;
const FIELDS: readonly string[] = ['role', 'unitId', 'displayName', 'staffId'] satisfies Field[];
const ROLES = ['hq_admin', 'region_manager', 'store_manager', 'staff'] as const;
/** A role in words (the people page's labels), the raw value for one this console does not know. */
const roleText = (t: TFunction, role: unknown) =>
  (ROLES as readonly unknown[]).includes(role)
    ? t(`role.${role as (typeof ROLES)[number]}`)
    : String(role ?? '');

/** What an entry's details say, in words; the raw details for an action this console does not know. */
function summary(t: TFunction, e: AuditEntry, names: Names): string {
  const d = e.details as Record<string, unknown>;
  const tagNames = (ids: unknown) =>
    ((ids as number[] | undefined) ?? []).map((id) => names.tags.get(id) ?? `#${id}`).join('、');
  switch (e.action) {
    case 'customers.phone_search':
      return t('audit.phoneSearch', {
        phone: d.phoneMasked,
        use: t(`audit.use.${(d.use as 'list') ?? 'list'}`),
      });
    case 'customers.phone_search.refused': {
      const limit = d.limit as { window: 'hour' | 'day'; max: number } | undefined;
      return t('audit.refused', {
        phone: d.phoneMasked,
        window: t(`audit.window.${limit?.window ?? 'hour'}`),
        max: limit?.max ?? '?',
      });
    }
    case 'customers.export':
      return [
        t('audit.exportRows', { rows: d.rows, format: String(d.format).toUpperCase() }),
        t('audit.filter', { filter: filterText(t, (d.filter as Record<string, unknown>) ?? {}, names) }),
      ].join(' · ');
    case 'segments.export':
      return [
        t('audit.segment', { name: d.segmentName }),
        t('audit.exportRows', { rows: d.rows, format: String(d.format).toUpperCase() }),
      ].join(' · ');
    case 'customers.phone_reveal':
      return t('audit.reveal', { phone: d.phoneMasked });
    case 'auth.login_failed':
      return t('audit.loginFailed', {
        username: d.username,
        reason: t(`audit.loginReason.${(d.reason as 'wrong_password') ?? 'wrong_password'}`),
      });
    case 'auth.login_blocked':
      return String(d.username ?? '');
    case 'auth.login':
      return e.subject ?? '';
    case 'accounts.create':
      return t('audit.accountCreated', {
        username: d.username,
        role: roleText(t, d.role),
        unit: names.units.get(Number(d.unitId)) ?? `#${String(d.unitId)}`,
        credential: t(`audit.credential.${d.credential === 'link' ? 'link' : 'password'}`),
      });
    case 'accounts.disable':
      return [
        t('audit.account', { username: d.username }),
        typeof d.sessionsEnded === 'number' ? t('audit.sessionsEnded', { count: d.sessionsEnded }) : null,
      ]
        .filter(Boolean)
        .join(' · ');
    case 'accounts.enable':
      return t('audit.account', { username: d.username });
    case 'accounts.reset_password':
      return `${t('audit.account', { username: d.username })} · ${t(
        `audit.credential.${d.mode === 'link' ? 'link' : 'password'}`,
      )}`;
    case 'accounts.permissions':
    case 'accounts.update': {
      const changes = (d.changes ?? {}) as Record<string, { from: unknown; to: unknown }>;
      const value = (field: string, v: unknown) => {
        if (v === null || v === undefined) return '—';
        if (field === 'role') return roleText(t, v);
        if (field === 'unitId') return names.units.get(Number(v)) ?? `#${String(v)}`;
        return String(v);
      };
      return [
        t('audit.account', { username: d.username }),
        ...Object.entries(changes).map(([field, c]) =>
          t('audit.change', {
            field: FIELDS.includes(field as Field) ? t(`audit.fields.${field as Field}`) : field,
            from: value(field, c.from),
            to: value(field, c.to),
          }),
        ),
      ].join(' · ');
    }
    case 'auth.password_set':
      return e.subject ?? '';
    case 'integrations.create':
    case 'integrations.revoke':
      return t('audit.secret', { source: d.source });
    case 'transfers.departure':
    case 'transfers.reassign':
      return t('audit.transfer', {
        customers: d.customers,
        groups: d.groups,
        excluded: Array.isArray(d.excluded) ? d.excluded.length : 0,
      });
    case 'audit.export':
      return t('audit.auditExport', { rows: d.rows, format: String(d.format).toUpperCase() });
    case 'customers.bulk_tags':
      return [
        d.filter
          ? `${t('audit.byFilter', { count: d.customers as number })}（${filterText(t, d.filter as Record<string, unknown>, names)}）`
          : t('audit.selected', { count: d.customers as number }),
        (d.add as number[] | undefined)?.length ? t('audit.addTags', { tags: tagNames(d.add) }) : null,
        (d.remove as number[] | undefined)?.length
          ? t('audit.removeTags', { tags: tagNames(d.remove) })
          : null,
      ]
        .filter(Boolean)
        .join(' · ');
    default:
      return JSON.stringify(d);
  }
}

/** 审计日志 (HQ admins): the brand's audit log, newest first, by action. */
export default function AuditPage() {
  const { t } = useTranslation();
  const lang = useLang();
  const [params, setSearchParams] = useSearchParams();
  const action = params.get('action') ?? undefined;
  const from = params.get('from') ?? undefined;
  const to = params.get('to') ?? undefined;
  const filter = { action, from, to };

  const pages = useCursorPages(
    (cursor, signal) =>
      auditApi.entries({ ...filter, cursor: cursor ?? undefined, limit: PAGE_SIZE }, signal),
    JSON.stringify(filter),
    'siyu.pages.audit',
  );
  const tags = useAsync((signal) => tagsApi.tags(signal), 'tags');
  const units = useAsync((signal) => orgApi.units(signal), 'units');
  const names: Names = useMemo(
    () => ({
      tags: new Map((tags.data?.groups ?? []).flatMap((g) => g.tags.map((tag) => [tag.id, tag.name]))),
      units: new Map((units.data?.items ?? []).map((u) => [u.id, u.name])),
    }),
    [tags.data, units.data],
  );

  const columns: TableColumnsType<AuditEntry> = useMemo(
    () => [
      {
        key: 'at',
        title: t('audit.at'),
        render: (_, e) => (
          <span style={{ whiteSpace: 'nowrap' }}>{formatDateTime(e.at, lang, { seconds: true })}</span>
        ),
      },
      {
        key: 'who',
        title: t('audit.who'),
        render: (_, e) =>
          e.accountId === null ? (
            t('audit.system')
          ) : (
            <Flex vertical>
              <Typography.Text strong style={{ whiteSpace: 'nowrap' }}>
                {e.displayName ?? `#${e.accountId}`}
              </Typography.Text>
              <Typography.Text type="secondary" style={{ whiteSpace: 'nowrap', fontSize: 12 }}>
                {[e.role ? t(`role.${e.role as Role}`) : null, e.unitName].filter(Boolean).join(' · ')}
              </Typography.Text>
            </Flex>
          ),
      },
      {
        key: 'action',
        title: t('audit.action'),
        render: (_, e) => (
          <Tag
            color={e.action.endsWith('.refused') || e.action === 'auth.login_failed' ? 'red' : undefined}
            style={{ whiteSpace: 'nowrap' }}
          >
            {isAction(e.action) ? t(`audit.actions.${e.action}`) : e.action}
          </Tag>
        ),
      },
      {
        key: 'what',
        title: t('audit.what'),
        render: (_, e) => (
          <span style={{ minWidth: 240, display: 'inline-block' }}>{summary(t, e, names)}</span>
        ),
      },
      { key: 'address', title: t('audit.address'), render: (_, e) => e.address ?? '—' },
    ],
    [t, lang, names],
  );

  return (
    <>
      <PageHeader title={t('audit.title')} subtitle={t('audit.subtitle')} />
      <Card>
        <Flex gap={12} wrap style={{ marginBottom: 16 }}>
          <Select<string>
            allowClear
            value={action}
            placeholder={t('audit.allActions')}
            onChange={(v) => setSearchParams(setParams(params, { action: v }))}
            options={[
              ...GROUPS.map((g) => ({ value: g, label: `${t(`audit.groups.${g}`)} · *` })),
              ...ACTIONS.map((a) => ({ value: a, label: t(`audit.actions.${a}`) })),
            ]}
            style={{ width: 220 }}
            data-testid="audit-action"
          />
          <DatePicker.RangePicker
            placeholder={[t('audit.rangeFrom'), t('audit.rangeTo')]}
            value={from && to ? [dayjs(from), dayjs(to).subtract(1, 'day')] : null}
            onChange={(range) =>
              setSearchParams(
                setParams(params, {
                  from: range?.[0] ? range[0].startOf('day').toISOString() : undefined,
                  to: range?.[1] ? range[1].add(1, 'day').startOf('day').toISOString() : undefined,
                }),
              )
            }
            data-testid="audit-range"
          />
          <ExportButton onExport={(format) => auditApi.export(filter, format)} testId="audit-export" />
        </Flex>
        {pages.error ? <ErrorAlert error={pages.error} onRetry={pages.reload} /> : null}
        <Table<AuditEntry>
          rowKey="id"
          size="middle"
          columns={columns}
          dataSource={pages.items}
          loading={pages.loading}
          pagination={false}
          scroll={{ x: 'max-content' }}
          onRow={() => ({ 'data-testid': 'audit-row' }) as HTMLAttributes<HTMLElement>}
          locale={{
            emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('audit.empty')} />,
          }}
        />
        <CursorPager
          page={pages.page}
          hasPrev={pages.hasPrev}
          hasNext={pages.hasNext}
          loading={pages.loading}
          onPrev={pages.prev}
          onNext={pages.next}
        />
      </Card>
    </>
  );
}
