import { CrownOutlined, GiftOutlined, SettingOutlined } from '@ant-design/icons';
import { Button, Card, Col, Empty, Flex, Row, Segmented, Statistic, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import type { TFunction } from 'i18next';
import { type HTMLAttributes, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { type Lang, useLang } from '../../i18n';
import { CursorPager, ErrorAlert, PageHeader } from '../../shared/components';
import { formatDate, formatMoney } from '../../shared/format';
import { useCursorPages } from '../../shared/hooks';
import { setParams } from '../../shared/params';
import { ResponsiveTable } from '../../shared/ResponsiveTable';
import { customersApi, type SuperUser } from './api';
import { CustomerAvatar } from './customer';
import { KeyDateTag, LifecycleRulesDrawer, RfmScores } from './Lifecycle';

const WINDOWS = [7, 30, 90] as const;
const PAGE_SIZE = 20;

function columns(t: TFunction, lang: Lang): ColumnsType<SuperUser> {
  const none = <Typography.Text type="secondary">{t('common.none')}</Typography.Text>;
  return [
    {
      title: t('superUsers.customer'),
      key: 'name',
      fixed: 'left',
      render: (_, u) => (
        <Flex align="center" gap={10}>
          <CustomerAvatar name={u.name} avatar={u.avatar} />
          <Flex vertical>
            <Typography.Text strong data-testid="super-user-name">
              {u.name}
            </Typography.Text>
            {u.memberLevel ? (
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                <CrownOutlined /> {u.memberLevel}
              </Typography.Text>
            ) : null}
          </Flex>
        </Flex>
      ),
    },
    {
      title: t('superUsers.nextKeyDate'),
      key: 'keyDate',
      render: (_, u) =>
        u.keyDates.length === 0 ? (
          <Typography.Text type="secondary">{t('superUsers.noKeyDate')}</Typography.Text>
        ) : (
          <Flex vertical gap={4} align="flex-start">
            {u.keyDates.map((k) => (
              <KeyDateTag key={k.kind} keyDate={k} highlight={u.upcoming && k === u.keyDates[0]} />
            ))}
          </Flex>
        ),
    },
    { title: t('facts.rfm'), key: 'rfm', render: (_, u) => <RfmScores rfm={u.rfm} /> },
    {
      title: t('facts.ltv'),
      key: 'ltv',
      align: 'right',
      render: (_, u) => <Typography.Text strong>{formatMoney(u.paidFen, lang)}</Typography.Text>,
    },
    { title: t('facts.orders'), dataIndex: 'orderCount', key: 'orders', align: 'right' },
    {
      title: t('facts.lastOrder'),
      key: 'lastOrder',
      render: (_, u) => <span style={{ whiteSpace: 'nowrap' }}>{formatDate(u.lastOrderAt, lang)}</span>,
    },
    { title: t('facts.topStore'), key: 'topStore', render: (_, u) => u.topUnit?.name ?? none },
  ];
}

/**
 * 超级用户: the super users in the caller's scope and their key dates (birthday, membership anniversary) —
 * the "six interactions a year" — those with a key date in the chosen window first.
 */
export default function SuperUsersPage() {
  const { t } = useTranslation();
  const lang = useLang();
  const navigate = useNavigate();
  const [params, setSearchParams] = useSearchParams();
  const asked = Number(params.get('days'));
  const days = (WINDOWS as readonly number[]).includes(asked) ? asked : 30;
  const [rulesOpen, setRulesOpen] = useState(false);

  // Every page carries the counts for the header.
  const [summary, setSummary] = useState<{ days: number; total: number; upcoming: number } | null>(null);
  const pages = useCursorPages(
    (cursor, signal) =>
      customersApi
        .superUsers({ days, cursor: cursor ?? undefined, limit: PAGE_SIZE }, signal)
        .then((page) => {
          setSummary({ days, total: page.total, upcoming: page.upcoming });
          return page;
        }),
    `days:${days}`,
    'siyu.pages.superUsers',
  );
  const counts = summary?.days === days ? summary : null;
  const cols = useMemo(() => columns(t, lang), [t, lang]);

  return (
    <>
      <PageHeader
        title={t('superUsers.title')}
        subtitle={t('superUsers.subtitle')}
        extra={
          <Button
            icon={<SettingOutlined />}
            onClick={() => setRulesOpen(true)}
            data-testid="lifecycle-rules-open"
          >
            {t('superUsers.rules')}
          </Button>
        }
      />
      <Row gutter={[16, 16]} style={{ marginBottom: 16 }}>
        <Col xs={24} sm={12}>
          <Card size="small">
            <Statistic
              title={t('superUsers.total')}
              value={counts?.total ?? '—'}
              prefix={<CrownOutlined style={{ color: '#faad14' }} />}
              loading={!counts}
              data-testid="super-users-total"
            />
          </Card>
        </Col>
        <Col xs={24} sm={12}>
          <Card size="small">
            <Statistic
              title={t('superUsers.upcoming', { count: days })}
              value={counts?.upcoming ?? '—'}
              prefix={<GiftOutlined style={{ color: '#eb2f96' }} />}
              loading={!counts}
              data-testid="super-users-upcoming"
            />
          </Card>
        </Col>
      </Row>
      <Card>
        <Flex align="center" gap={12} wrap style={{ marginBottom: 16 }}>
          <Typography.Text type="secondary">{t('superUsers.window')}</Typography.Text>
          <Segmented<number>
            value={days}
            options={WINDOWS.map((d) => ({ value: d, label: t('superUsers.days', { count: d }) }))}
            onChange={(d) => setSearchParams(setParams(params, { days: d }))}
            data-testid="key-date-window"
          />
        </Flex>
        {pages.error ? <ErrorAlert error={pages.error} onRetry={pages.reload} /> : null}
        <ResponsiveTable<SuperUser>
          className="clickable-rows"
          rowKey="id"
          size="middle"
          columns={cols}
          dataSource={pages.items}
          loading={pages.loading}
          pagination={false}
          scroll={{ x: 'max-content' }}
          rowClassName={(u) => (u.upcoming ? 'row-upcoming' : '')}
          onRow={(u) =>
            ({
              'data-testid': 'super-user-row',
              tabIndex: 0,
              onClick: () => navigate(`/customers/${u.id}`),
              onKeyDown: (e) => {
                if (e.key === 'Enter') navigate(`/customers/${u.id}`);
              },
            }) as HTMLAttributes<HTMLElement>
          }
          locale={{
            emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('superUsers.empty')} />,
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
      <LifecycleRulesDrawer
        open={rulesOpen}
        onClose={() => setRulesOpen(false)}
        onRecomputed={pages.reload}
      />
    </>
  );
}
