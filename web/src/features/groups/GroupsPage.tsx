import {
  Card,
  Input,
  Progress,
  Segmented,
  Select,
  Space,
  Table,
  type TableColumnsType,
  Tag,
  Typography,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router-dom';
import { ErrorAlert, PageHeader } from '../../shared/components';
import { useAsync } from '../../shared/hooks';
import { numberParam, setParams } from '../../shared/params';
import { UnitTreeSelect } from '../org/UnitTreeSelect';
import { GROUP_TYPES, type GroupSummary, type GroupType, groupsApi, type Rollup } from './api';
import { GroupCodes } from './GroupCodes';
import { GroupStats } from './GroupStats';
import { RoutingRulesEditor } from './RoutingRules';

const TABS = ['list', 'persona', 'stats', 'codes', 'routing'] as const;
type Tab = (typeof TABS)[number];
const PAGE = 50;

/** Members against the 200 a QR admits (the bar) and the 500 a group holds. */
export function Fill({ count, qr, max }: { count: number; qr: number; max: number }) {
  const { t } = useTranslation();
  return (
    <Space size={6} title={t('groups.qrHint', { qr, max })}>
      <Progress
        percent={Math.min(100, Math.round((count / qr) * 100))}
        size="small"
        showInfo={false}
        status={count >= qr ? 'exception' : count >= qr * 0.9 ? 'active' : 'normal'}
        style={{ width: 64, margin: 0 }}
      />
      <Typography.Text>
        {count}/{qr}
      </Typography.Text>
    </Space>
  );
}

export function TypeTag({ type, suggested }: { type: GroupType | null; suggested?: GroupType | null }) {
  const { t } = useTranslation();
  if (type) return <Tag color="blue">{t(`groups.type.${type}`)}</Tag>;
  if (suggested)
    return (
      <Tag bordered={false} color="default">
        {t('groups.suggested', { type: t(`groups.type.${suggested}`) })}
      </Tag>
    );
  return <Typography.Text type="secondary">{t('groups.typeUnset')}</Typography.Text>;
}

function GroupList() {
  const { t } = useTranslation();
  const [params, setSearchParams] = useSearchParams();
  const unitId = numberParam(params, 'unit');
  const type = (params.get('type') as GroupType | 'unset' | null) ?? undefined;
  const [q, setQ] = useState(params.get('q') ?? '');
  const page = numberParam(params, 'page') ?? 1;
  const query = { unitId, type, q: params.get('q') || undefined, limit: PAGE, offset: (page - 1) * PAGE };
  const list = useAsync((signal) => groupsApi.list(query, signal), `groups:${JSON.stringify(query)}`);
  const columns: TableColumnsType<GroupSummary> = [
    {
      title: t('groups.name'),
      key: 'name',
      render: (_, g) => (
        <Space direction="vertical" size={0}>
          <Link to={`/groups/${g.id}`}>{g.name || g.chatId}</Link>
          <TypeTag type={g.type} suggested={g.suggestedType} />
        </Space>
      ),
    },
    {
      title: t('groups.owner'),
      key: 'owner',
      responsive: ['md'],
      render: (_, g) => (
        <Space direction="vertical" size={0}>
          <span>{g.ownerName ?? g.ownerUserid}</span>
          <Typography.Text type="secondary">{g.unitName}</Typography.Text>
        </Space>
      ),
    },
    {
      title: t('groups.members'),
      key: 'members',
      render: (_, g) => <Fill count={g.memberCount} qr={g.qrLimit} max={g.groupLimit} />,
    },
    { title: t('groups.customers'), dataIndex: 'customerCount', responsive: ['lg'] },
    {
      title: `${t('groups.joins')} / ${t('groups.leaves')}`,
      key: 'flow',
      render: (_, g) => (
        <Typography.Text>
          <span style={{ color: '#389e0d' }}>+{g.joins30d}</span> /{' '}
          <span style={{ color: '#cf1322' }}>−{g.leaves30d}</span>
        </Typography.Text>
      ),
    },
  ];
  return (
    <>
      <Space wrap style={{ marginBottom: 12 }}>
        <UnitTreeSelect
          value={unitId}
          placeholder={t('groups.allUnits')}
          onChange={(v) => setSearchParams(setParams(params, { unit: v, page: undefined }))}
        />
        <Select
          allowClear
          placeholder={t('groups.allTypes')}
          value={type}
          style={{ width: 140 }}
          onChange={(v) => setSearchParams(setParams(params, { type: v, page: undefined }))}
          options={[
            ...GROUP_TYPES.map((x) => ({ value: x, label: t(`groups.type.${x}`) })),
            { value: 'unset', label: t('groups.typeUnset') },
          ]}
        />
        <Input.Search
          allowClear
          placeholder={t('groups.search')}
          value={q}
          onChange={(e) => setQ(e.target.value)}
          onSearch={(v) => setSearchParams(setParams(params, { q: v || undefined, page: undefined }))}
          style={{ width: 200 }}
        />
      </Space>
      {list.error ? <ErrorAlert error={list.error} onRetry={list.reload} /> : null}
      <Table<GroupSummary>
        rowKey="id"
        size="small"
        data-testid="group-list"
        loading={list.loading}
        columns={columns}
        dataSource={list.data?.items ?? []}
        locale={{ emptyText: t('groups.empty') }}
        scroll={{ x: true }}
        pagination={{
          current: page,
          pageSize: PAGE,
          total: list.data?.total ?? 0,
          showSizeChanger: false,
          showTotal: (count) => t('groups.total', { count }),
          onChange: (p) => setSearchParams(setParams(params, { page: p === 1 ? undefined : p })),
        }}
      />
    </>
  );
}

function PersonaRollup() {
  const { t } = useTranslation();
  const data = useAsync((signal) => groupsApi.rollup(signal), 'groups:rollup');
  const share = (n: number, of: number) => (of ? `${Math.round((n / of) * 100)}%` : '—');
  const columns: TableColumnsType<Rollup> = [
    {
      title: t('groups.unit'),
      key: 'unit',
      render: (_, r) => (
        <span style={{ paddingLeft: r.kind === 'store' ? 24 : r.kind === 'region' ? 12 : 0 }}>
          {r.kind === 'store' ? r.unitName : <b>{r.unitName}</b>}
        </span>
      ),
    },
    { title: t('groups.persona.groups'), dataIndex: 'groups', responsive: ['md'] },
    { title: t('groups.persona.members'), dataIndex: 'members' },
    { title: t('groups.persona.withOrders'), key: 'wo', render: (_, r) => share(r.withOrders, r.members) },
    { title: t('groups.persona.loyalty'), key: 'lo', render: (_, r) => share(r.loyaltyMembers, r.members) },
    {
      title: t('groups.persona.highFrequency'),
      key: 'hf',
      render: (_, r) => share(r.highFrequency, r.members),
    },
    {
      title: t('groups.persona.priceBands'),
      key: 'bands',
      responsive: ['lg'],
      render: (_, r) => r.priceBands.map((n) => share(n, r.withOrders)).join(' · '),
    },
    {
      title: t('groups.persona.newOld'),
      key: 'no',
      responsive: ['md'],
      render: (_, r) => `${r.newBuyers} / ${r.oldBuyers}`,
    },
  ];
  return (
    <Card size="small" title={t('groups.persona.rollupTitle')}>
      {data.error ? <ErrorAlert error={data.error} onRetry={data.reload} /> : null}
      <Typography.Paragraph type="secondary">
        {t('groups.persona.priceBands')}: {t('groups.persona.band0')} · {t('groups.persona.band1')} ·{' '}
        {t('groups.persona.band2')} · {t('groups.persona.band3')}
      </Typography.Paragraph>
      <Table<Rollup>
        rowKey="unitId"
        size="small"
        data-testid="persona-rollup"
        loading={data.loading}
        columns={columns}
        dataSource={data.data?.units ?? []}
        pagination={false}
        scroll={{ x: true }}
      />
    </Card>
  );
}

/** Customer groups in the caller's scope: the list, personas rolled up, statistics per store, group codes and routing rules. */
export default function GroupsPage() {
  const { t } = useTranslation();
  const [params, setSearchParams] = useSearchParams();
  const raw = params.get('tab');
  const tab: Tab = (TABS as readonly (string | null)[]).includes(raw) ? (raw as Tab) : 'list';
  return (
    <>
      <PageHeader title={t('groups.title')} subtitle={t('groups.subtitle')} />
      <div style={{ overflowX: 'auto', marginBottom: 16 }}>
        <Segmented<Tab>
          value={tab}
          onChange={(v) => setSearchParams({ tab: v })}
          options={TABS.map((x) => ({ value: x, label: t(`groups.tab.${x}`) }))}
          data-testid="group-tabs"
        />
      </div>
      {tab === 'list' ? <GroupList /> : null}
      {tab === 'persona' ? <PersonaRollup /> : null}
      {tab === 'stats' ? <GroupStats /> : null}
      {tab === 'codes' ? <GroupCodes /> : null}
      {tab === 'routing' ? <RoutingRulesEditor /> : null}
    </>
  );
}
