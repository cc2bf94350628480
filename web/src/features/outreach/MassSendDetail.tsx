import {
  App,
  Button,
  Card,
  Col,
  Flex,
  Popconfirm,
  Row,
  Select,
  Statistic,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router-dom';
import { useLang } from '../../i18n';
import { CursorPager, ErrorAlert, PageHeader } from '../../shared/components';
import { formatDateTime, formatMoney, formatNumber } from '../../shared/format';
import { useAsync, useCursorPages } from '../../shared/hooks';
import { type MassSend, outreachApi, RECIPIENT_STATUSES, type Recipient, type RecipientStatus } from './api';
import { NameUnit } from './cells';
import { sampleGroupText } from './GroupSendFields';
import { GroupSendResults } from './GroupSendResults';
import { STATUS_COLOR } from './MassSendsPage';
import { WeChatPreview } from './WeChatPreview';

const pct = (v: number) => `${Math.round(v * 100)}%`;

/** One mass send: its outcome, per-member confirmation, per-store conversion, each customer; remind, cancel. */
export function MassSendDetail({ id }: { id: number }) {
  const { t } = useTranslation();
  const lang = useLang();
  const navigate = useNavigate();
  const { message } = App.useApp();
  const [reloadKey, setReloadKey] = useState(0);
  const state = useAsync((signal) => outreachApi.get(id, signal), `mass-send:${id}:${reloadKey}`);
  const [busy, setBusy] = useState(false);
  const act = async (what: 'remind' | 'cancel') => {
    setBusy(true);
    try {
      await (what === 'remind' ? outreachApi.remind(id) : outreachApi.cancel(id));
      message.success(what === 'remind' ? t('massSends.reminded') : t('massSends.cancelled'));
      setReloadKey((k) => k + 1);
    } catch (err) {
      message.error(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  const m = state.data;
  if (state.error) return <ErrorAlert error={state.error} onRetry={state.reload} />;
  if (!m) return <Card loading />;
  const groups = m.target === 'groups';
  const waiting =
    (groups ? (m.groups?.byStatus.queued ?? 0) : m.recipients.queued) > 0 && m.status === 'sending';
  return (
    <>
      <PageHeader
        title={
          <Flex gap={8} align="center" wrap>
            <span>{m.name}</span>
            {groups ? <Tag color="purple">{t('massSends.targetTag.groups')}</Tag> : null}
            {m.recurrence ? <Tag color="cyan">{t('massSends.targetTag.recurring')}</Tag> : null}
            {m.status === 'done' && (m.groups?.byStatus.unconfirmed ?? 0) > 0 ? (
              <Tag color="orange" data-testid="mass-send-status">
                {t('massSends.status.partial')}
              </Tag>
            ) : (
              <Tag color={STATUS_COLOR[m.status]} data-testid="mass-send-status">
                {t(`massSends.status.${m.status}`)}
              </Tag>
            )}
          </Flex>
        }
        subtitle={`${t(`massSends.kind.${m.contentKind}`)} · ${formatDateTime(m.sendAt ?? m.dispatchedAt ?? m.createdAt, lang)}`}
        extra={
          <Flex gap={8} wrap>
            <Button onClick={() => navigate(m.seriesId ? `/mass-sends/${m.seriesId}` : '/mass-sends')}>
              {t('massSends.back')}
            </Button>
            {waiting ? (
              <Button
                onClick={() => act('remind')}
                loading={busy}
                disabled={m.reminds.used24h >= m.reminds.max}
                title={
                  m.reminds.nextAt
                    ? t('massSends.remindsNext', { at: formatDateTime(m.reminds.nextAt, lang) })
                    : t('massSends.remindsLeft', { count: m.reminds.max - m.reminds.used24h })
                }
                data-testid="mass-send-remind"
              >
                {t('massSends.remind')}
              </Button>
            ) : null}
            {m.status === 'scheduled' || m.status === 'sending' ? (
              <Popconfirm title={t('massSends.confirmCancel')} onConfirm={() => act('cancel')}>
                <Button danger loading={busy} data-testid="mass-send-cancel">
                  {t('massSends.cancel')}
                </Button>
              </Popconfirm>
            ) : null}
          </Flex>
        }
      />
      {m.overrideReason ? (
        <Typography.Paragraph type="warning">
          {t('massSends.overrideNote', { reason: m.overrideReason })}
        </Typography.Paragraph>
      ) : null}
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={16}>
          {groups ? (
            <GroupSendResults m={m} reloadKey={reloadKey} />
          ) : (
            <Flex vertical gap={16}>
              <Card size="small">
                <Flex gap={24} wrap data-testid="mass-send-outcome">
                  <Statistic title={t('massSends.receiving')} value={m.planned.receiving} />
                  <Statistic title={t('massSends.reached')} value={m.outcome.reached} />
                  <Statistic title={t('massSends.replied')} value={m.outcome.replied} />
                  <Statistic
                    title={t('massSends.confirmed')}
                    value={`${m.outcome.confirmedStaff} / ${m.outcome.staff}`}
                  />
                  <Statistic
                    title={t('massSends.converted')}
                    value={m.outcome.converted}
                    suffix={m.outcome.reached ? <small>({pct(m.outcome.conversionRate)})</small> : null}
                  />
                  <Statistic title={t('massSends.gmv')} value={formatMoney(m.outcome.gmvFen, lang)} />
                </Flex>
                <Flex gap={6} wrap style={{ marginTop: 12 }}>
                  {RECIPIENT_STATUSES.filter((s) => m.recipients[s] > 0).map((s) => (
                    <Tag key={s}>
                      {t(`massSends.recipientStatus.${s}`)} {formatNumber(m.recipients[s], lang)}
                    </Tag>
                  ))}
                </Flex>
                {Object.keys(m.reasons).length ? (
                  <Flex gap={6} wrap style={{ marginTop: 8 }}>
                    {Object.entries(m.reasons).map(([r, n]) => (
                      <Typography.Text key={r} type="secondary">
                        {t(`massSends.reason.${r as keyof MassSend['planned']['excluded'] & 'capped'}`, {
                          defaultValue: r,
                        })}{' '}
                        {n}
                      </Typography.Text>
                    ))}
                  </Flex>
                ) : null}
              </Card>
              <Card size="small" title={t('massSends.staffTitle')}>
                <Table
                  rowKey="staffId"
                  size="small"
                  pagination={false}
                  scroll={{ x: 'max-content' }}
                  dataSource={m.staff}
                  columns={[
                    {
                      key: 'name',
                      title: t('massSends.staff'),
                      render: (_, s) => (
                        <Flex vertical>
                          <NameUnit name={s.name} unit={s.unitName} />
                          {s.error ? (
                            <Typography.Text
                              type="danger"
                              style={{ fontSize: 12, maxWidth: 280 }}
                              ellipsis={{ tooltip: s.error }}
                              data-testid="mass-send-staff-error"
                            >
                              {t('massSends.taskFailed')}：{s.error}
                            </Typography.Text>
                          ) : null}
                        </Flex>
                      ),
                    },
                    {
                      key: 'rate',
                      title: t('massSends.confirmationRate'),
                      render: (_, s) => `${s.confirmed}/${s.tasks} · ${pct(s.confirmationRate)}`,
                    },
                    {
                      key: 'recipients',
                      title: t('massSends.recipients'),
                      dataIndex: 'recipients',
                      align: 'right',
                    },
                    { key: 'sent', title: t('massSends.reached'), dataIndex: 'sent', align: 'right' },
                    { key: 'orders', title: t('massSends.orders'), dataIndex: 'orders', align: 'right' },
                    {
                      key: 'gmv',
                      title: t('massSends.gmv'),
                      align: 'right',
                      render: (_, s) => formatMoney(s.gmvFen, lang),
                    },
                  ]}
                />
              </Card>
              {m.stores.length ? (
                <Card size="small" title={t('massSends.storesTitle')}>
                  <Table
                    rowKey={(s) => String(s.unitId)}
                    size="small"
                    pagination={false}
                    dataSource={m.stores}
                    columns={[
                      { key: 'name', title: t('massSends.store'), render: (_, s) => s.name ?? '—' },
                      { key: 'orders', title: t('massSends.orders'), dataIndex: 'orders', align: 'right' },
                      {
                        key: 'gmv',
                        title: t('massSends.gmv'),
                        align: 'right',
                        render: (_, s) => formatMoney(s.gmvFen, lang),
                      },
                    ]}
                  />
                </Card>
              ) : null}
              <Recipients id={id} reloadKey={reloadKey} />
            </Flex>
          )}
        </Col>
        <Col xs={24} lg={8}>
          <Typography.Text strong>{t(groups ? 'massSends.g.preview' : 'massSends.preview')}</Typography.Text>
          <div style={{ marginTop: 8 }}>
            <WeChatPreview
              sender={m.staff[0]?.name ?? t('massSends.staff')}
              text={groups ? sampleGroupText(m.text, t) : m.text}
              attachments={m.attachments as never}
            />
          </div>
        </Col>
      </Row>
    </>
  );
}

function Recipients({ id, reloadKey }: { id: number; reloadKey: number }) {
  const { t } = useTranslation();
  const lang = useLang();
  const [status, setStatus] = useState<RecipientStatus | undefined>();
  const pages = useCursorPages(
    (cursor, signal) =>
      outreachApi.recipients(id, { cursor: cursor ?? undefined, limit: 20, status }, signal),
    `${id}:${status ?? ''}:${reloadKey}`,
    'siyu.pages.mass-send-recipients',
  );
  return (
    <Card
      size="small"
      title={t('massSends.recipientsTitle')}
      extra={
        <Select<RecipientStatus | ''>
          size="small"
          style={{ minWidth: 140 }}
          value={status ?? ''}
          onChange={(v) => setStatus(v || undefined)}
          options={[
            { value: '', label: t('massSends.allStatuses') },
            ...RECIPIENT_STATUSES.map((s) => ({ value: s, label: t(`massSends.recipientStatus.${s}`) })),
          ]}
        />
      }
    >
      {pages.error ? <ErrorAlert error={pages.error} onRetry={pages.reload} /> : null}
      <Table<Recipient>
        rowKey="customerId"
        size="small"
        pagination={false}
        loading={pages.loading}
        scroll={{ x: 'max-content' }}
        dataSource={pages.items}
        columns={[
          {
            key: 'customer',
            title: t('massSends.customer'),
            render: (_, r) => <Link to={`/customers/${r.customerId}`}>{r.name}</Link>,
          },
          {
            key: 'status',
            title: t('massSends.columns.status'),
            render: (_, r) => (
              <Flex vertical>
                <span>{t(`massSends.recipientStatus.${r.status}`)}</span>
                {r.retryAt ? (
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {t('massSends.until', { at: formatDateTime(r.retryAt, lang) })}
                  </Typography.Text>
                ) : null}
              </Flex>
            ),
          },
          {
            key: 'staff',
            title: t('massSends.staff'),
            render: (_, r) =>
              r.staffName ? (
                <Flex vertical>
                  <span>{r.staffName}</span>
                  {r.senderReason ? (
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {t(`massSends.senderReason.${r.senderReason as 'home_store'}`, {
                        defaultValue: r.senderReason,
                      })}
                    </Typography.Text>
                  ) : null}
                </Flex>
              ) : (
                '—'
              ),
          },
          {
            key: 'reason',
            title: '',
            responsive: ['md'],
            render: (_, r) =>
              r.reason && r.status !== 'sent'
                ? t(`massSends.reason.${r.reason as 'capped'}`, { defaultValue: r.reason })
                : null,
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
