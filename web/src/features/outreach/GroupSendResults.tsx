import { Card, Empty, Flex, Select, Statistic, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { useLang } from '../../i18n';
import { CursorPager, ErrorAlert } from '../../shared/components';
import { formatDateTime, formatNumber } from '../../shared/format';
import { useCursorPages } from '../../shared/hooks';
import { TypeTag } from '../groups/GroupsPage';
import {
  GROUP_CONFIRM_HOURS,
  GROUP_RECIPIENT_STATUSES,
  type GroupRecipient,
  type GroupRecipientStatus,
  type MassSend,
  outreachApi,
} from './api';
import { NameUnit } from './cells';
import { recurrenceText } from './GroupSendFields';
import { STATUS_COLOR } from './MassSendsPage';

const GROUP_STATUS_COLOR: Partial<Record<GroupRecipientStatus, string>> = {
  sent: 'green',
  queued: 'gold',
  unsent: 'red',
  failed: 'red',
  not_owner: 'orange',
  over_cap: 'orange',
  unconfirmed: 'red',
};
type Reason =
  | 'no_owner'
  | 'owner_inactive'
  | 'over_cap'
  | 'coupon_guard'
  | 'unsent'
  | 'not_owner'
  | 'wecom_fail_list'
  | 'cancelled'
  | 'unconfirmed';

/**
 * A group send's results: groups by status and why some were left out, each owner's confirmation, and either
 * each group (a single send or one occurrence) or each occurrence (a weekly series, linked to its results).
 */
export function GroupSendResults({ m, reloadKey }: { m: MassSend; reloadKey: number }) {
  const { t } = useTranslation();
  const lang = useLang();
  const g = m.groups;
  if (!g) return null;
  const series = m.recurrence !== null;
  const reason = (r: string) =>
    t(`massSends.g.reason.${r as Reason}`, { defaultValue: r, hours: GROUP_CONFIRM_HOURS });
  return (
    <Flex vertical gap={16}>
      {series ? (
        <Card size="small" data-testid="group-series">
          <Typography.Text strong>{recurrenceText(m.recurrence!, t)}</Typography.Text>
          {m.status === 'scheduled' && m.sendAt ? (
            <Typography.Paragraph type="secondary" style={{ margin: 0 }}>
              {t('massSends.g.nextAt', { at: formatDateTime(m.sendAt, lang) })}
            </Typography.Paragraph>
          ) : null}
        </Card>
      ) : (
        <Card size="small">
          <Flex gap={24} wrap data-testid="group-send-outcome">
            <Statistic title={t('massSends.g.receiving')} value={m.planned.receiving} />
            <Statistic title={t('massSends.g.sent')} value={g.byStatus.sent ?? 0} />
            <Statistic
              title={t('massSends.g.confirmed')}
              value={`${m.outcome.confirmedStaff} / ${m.outcome.staff}`}
            />
          </Flex>
          <Flex gap={6} wrap style={{ marginTop: 12 }}>
            {GROUP_RECIPIENT_STATUSES.filter((s) => (g.byStatus[s] ?? 0) > 0).map((s) => (
              <Tag key={s} color={GROUP_STATUS_COLOR[s]}>
                {t(`massSends.g.status.${s}`)} {formatNumber(g.byStatus[s] ?? 0, lang)}
              </Tag>
            ))}
          </Flex>
          {Object.keys(g.reasons).length ? (
            <Flex gap={12} wrap style={{ marginTop: 8 }}>
              {Object.entries(g.reasons).map(([r, n]) => (
                <Typography.Text key={r} type="secondary">
                  {reason(r)} {n}
                </Typography.Text>
              ))}
            </Flex>
          ) : null}
        </Card>
      )}
      {series ? (
        <Card size="small" title={t('massSends.g.occurrencesTitle')}>
          <Table
            rowKey="id"
            size="small"
            pagination={false}
            data-testid="group-occurrences"
            dataSource={g.occurrences}
            locale={{
              emptyText: (
                <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('massSends.g.noOccurrence')} />
              ),
            }}
            columns={[
              {
                key: 'at',
                title: t('massSends.g.occurrence'),
                render: (_, o) => (
                  <Link to={`/mass-sends/${o.id}`}>{o.sendAt ? formatDateTime(o.sendAt, lang) : '—'}</Link>
                ),
              },
              {
                key: 'status',
                title: t('massSends.columns.status'),
                render: (_, o) =>
                  o.status === 'done' && o.unconfirmed > 0 ? (
                    <Tag color="orange" data-testid="occurrence-partial">
                      {t('massSends.status.partial')}
                    </Tag>
                  ) : (
                    <Tag color={STATUS_COLOR[o.status]}>{t(`massSends.status.${o.status}`)}</Tag>
                  ),
              },
              {
                key: 'sent',
                title: t('massSends.g.occurrenceSent'),
                align: 'right',
                render: (_, o) => `${formatNumber(o.sent, lang)} / ${formatNumber(o.groups, lang)}`,
              },
            ]}
          />
        </Card>
      ) : null}
      {!series ? (
        <Card size="small" title={t('massSends.g.ownersTitle')}>
          <Table
            rowKey="staffId"
            size="small"
            pagination={false}
            dataSource={m.staff}
            data-testid="group-send-owners"
            columns={[
              {
                key: 'name',
                title: t('massSends.g.owner'),
                render: (_, s) => <NameUnit name={s.name} unit={s.unitName} />,
              },
              {
                key: 'confirmed',
                title: t('massSends.g.confirmed'),
                render: (_, s) =>
                  s.expired > 0 ? (
                    <Tag color="red" data-testid="owner-unconfirmed">
                      {t('massSends.g.expired', { hours: GROUP_CONFIRM_HOURS })}
                    </Tag>
                  ) : (
                    `${s.confirmed}/${s.tasks}`
                  ),
              },
              {
                key: 'sent',
                title: t('massSends.g.sent'),
                align: 'right',
                render: (_, s) => `${s.sent} / ${s.recipients}`,
              },
            ]}
          />
        </Card>
      ) : null}
      {!series ? <GroupRows id={m.id} reloadKey={reloadKey} /> : null}
    </Flex>
  );
}

function GroupRows({ id, reloadKey }: { id: number; reloadKey: number }) {
  const { t } = useTranslation();
  const lang = useLang();
  const [status, setStatus] = useState<GroupRecipientStatus | undefined>();
  const pages = useCursorPages(
    (cursor, signal) => outreachApi.groups(id, { cursor: cursor ?? undefined, limit: 20, status }, signal),
    `${id}:${status ?? ''}:${reloadKey}`,
    'siyu.pages.mass-send-groups',
  );
  return (
    <Card
      size="small"
      title={t('massSends.g.groupsTitle')}
      extra={
        <Select<GroupRecipientStatus | ''>
          size="small"
          style={{ minWidth: 130 }}
          value={status ?? ''}
          onChange={(v) => setStatus(v || undefined)}
          options={[
            { value: '', label: t('massSends.allStatuses') },
            ...GROUP_RECIPIENT_STATUSES.map((s) => ({ value: s, label: t(`massSends.g.status.${s}`) })),
          ]}
        />
      }
    >
      {pages.error ? <ErrorAlert error={pages.error} onRetry={pages.reload} /> : null}
      <Table<GroupRecipient>
        rowKey="groupId"
        size="small"
        pagination={false}
        loading={pages.loading}
        scroll={{ x: 'max-content' }}
        dataSource={pages.items}
        data-testid="group-send-groups"
        columns={[
          {
            key: 'group',
            title: t('massSends.g.group'),
            render: (_, r) => (
              <Flex vertical gap={2}>
                <Link to={`/groups/${r.groupId}`}>{r.name}</Link>
                <span>
                  <TypeTag type={r.type} /> {r.memberCount}
                </span>
              </Flex>
            ),
          },
          {
            key: 'owner',
            title: t('massSends.g.owner'),
            render: (_, r) => <NameUnit name={r.ownerName} unit={r.unitName} />,
          },
          {
            key: 'confirmed',
            title: t('massSends.g.confirmed'),
            render: (_, r) =>
              r.ownerConfirmedAt ? (
                <Typography.Text type="success">
                  {t('massSends.g.confirmedAt', { at: formatDateTime(r.ownerConfirmedAt, lang) })}
                </Typography.Text>
              ) : (
                <Typography.Text type="secondary">{t('massSends.g.notConfirmed')}</Typography.Text>
              ),
          },
          {
            key: 'status',
            title: t('massSends.columns.status'),
            render: (_, r) => (
              <Flex vertical>
                <Tag
                  color={GROUP_STATUS_COLOR[r.status as GroupRecipientStatus]}
                  data-testid="group-row-status"
                >
                  {t(`massSends.g.status.${r.status as GroupRecipientStatus}`)}
                </Tag>
                {r.reason && r.status !== 'sent' && r.reason !== r.status ? (
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {t(`massSends.g.reason.${r.reason as Reason}`, {
                      defaultValue: r.reason,
                      hours: GROUP_CONFIRM_HOURS,
                    })}
                  </Typography.Text>
                ) : null}
              </Flex>
            ),
          },
        ]}
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
  );
}
