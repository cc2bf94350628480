import { Alert, Card, Flex, Segmented, Table, type TableColumnsType, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router-dom';
import { useLang } from '../../i18n';
import { ErrorAlert } from '../../shared/components';
import { formatNumber } from '../../shared/format';
import { useAsync } from '../../shared/hooks';
import { numberParam, setParams } from '../../shared/params';
import { Chart, type ChartOption } from '../insight/Chart';
import { UnitTreeSelect } from '../org/UnitTreeSelect';
import { groupsApi, type StoreDay } from './api';

const METRICS = ['membersAdded', 'membersLost', 'newGroups', 'activeMembers', 'messages'] as const;
type Metric = (typeof METRICS)[number];
const RANGES = [7, 30, 90] as const;
/** Stores drawn as their own line; the rest are summed into one. */
const LINES = 6;

interface StoreRow {
  unitId: number;
  unitName: string;
  groups: number;
  members: number;
  newGroups: number;
  membersAdded: number;
  membersLost: number;
  activeMembers: number;
  messages: number;
}

/** Sums a store's days: flows summed, stocks (groups, members) as of its last day, speakers averaged per day. */
export function storeTotals(items: StoreDay[]): StoreRow[] {
  const by = new Map<number, StoreDay[]>();
  for (const d of items) by.set(d.unitId, [...(by.get(d.unitId) ?? []), d]);
  return [...by.values()]
    .map((days) => {
      const last = days.reduce((a, b) => (a.day > b.day ? a : b));
      const sum = (k: 'newGroups' | 'membersAdded' | 'membersLost' | 'messages' | 'activeMembers') =>
        days.reduce((n, d) => n + d[k], 0);
      return {
        unitId: last.unitId,
        unitName: last.unitName,
        groups: last.groups,
        members: last.members,
        newGroups: sum('newGroups'),
        membersAdded: sum('membersAdded'),
        membersLost: sum('membersLost'),
        activeMembers: Math.round(sum('activeMembers') / days.length),
        messages: sum('messages'),
      };
    })
    .sort((a, b) => b.members - a.members);
}

/**
 * 群统计: per store and day from GET /groups/stats — members joined and left, new groups, members who spoke
 * and messages — as a line per store (the largest ones; the others summed) and a table of the period's totals.
 */
export function GroupStats() {
  const { t } = useTranslation();
  const lang = useLang();
  const [params, setSearchParams] = useSearchParams();
  const unitId = numberParam(params, 'unit');
  const [days, setDays] = useState<number>(30);
  const [metric, setMetric] = useState<Metric>('membersAdded');
  const data = useAsync(
    (signal) => groupsApi.stats({ days, unitId }, signal),
    `groups:stats:${days}:${unitId ?? ''}`,
  );
  const items = data.data?.items ?? [];
  const rows = useMemo(() => storeTotals(items), [items]);
  const option = useMemo((): ChartOption => {
    const dayList = [...new Set(items.map((d) => d.day))].sort();
    const shown = rows.slice(0, LINES).map((r) => r.unitId);
    const value = new Map(items.map((d) => [`${d.unitId}:${d.day}`, d[metric]]));
    const series = shown.map((id) => ({
      type: 'line',
      name: rows.find((r) => r.unitId === id)!.unitName,
      smooth: true,
      showSymbol: false,
      data: dayList.map((day) => value.get(`${id}:${day}`) ?? 0),
    }));
    const rest = rows.slice(LINES).map((r) => r.unitId);
    if (rest.length) {
      series.push({
        type: 'line',
        name: t('groups.stats.others'),
        smooth: true,
        showSymbol: false,
        data: dayList.map((day) => rest.reduce((n, id) => n + (value.get(`${id}:${day}`) ?? 0), 0)),
      });
    }
    return {
      tooltip: { trigger: 'axis', confine: true },
      legend: { type: 'scroll', top: 0 },
      grid: { left: 8, right: 12, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: dayList.map((d) => d.slice(5)), boundaryGap: false },
      yAxis: { type: 'value', minInterval: 1 },
      series,
    };
  }, [items, rows, metric, t]);
  const columns: TableColumnsType<StoreRow> = [
    { title: t('groups.stats.store'), dataIndex: 'unitName', fixed: 'left' },
    { title: t('groups.stats.groups'), dataIndex: 'groups', align: 'right', responsive: ['sm'] },
    { title: t('groups.stats.members'), dataIndex: 'members', align: 'right' },
    {
      title: t('groups.stats.metric.newGroups'),
      dataIndex: 'newGroups',
      align: 'right',
      responsive: ['md'],
    },
    {
      title: t('groups.stats.metric.membersAdded'),
      key: 'flow',
      align: 'right',
      render: (_, r) => (
        <Typography.Text>
          <span style={{ color: '#389e0d' }}>+{formatNumber(r.membersAdded, lang)}</span> /{' '}
          <span style={{ color: '#cf1322' }}>−{formatNumber(r.membersLost, lang)}</span>
        </Typography.Text>
      ),
    },
    {
      title: t('groups.stats.metric.activeMembers'),
      dataIndex: 'activeMembers',
      align: 'right',
      responsive: ['md'],
    },
    {
      title: t('groups.stats.metric.messages'),
      dataIndex: 'messages',
      align: 'right',
      responsive: ['lg'],
      render: (v: number) => formatNumber(v, lang),
    },
  ];
  return (
    <Card size="small" title={t('groups.stats.title')} data-testid="group-stats">
      <Flex gap={8} wrap style={{ marginBottom: 12 }}>
        <UnitTreeSelect
          value={unitId}
          placeholder={t('groups.allUnits')}
          onChange={(v) => setSearchParams(setParams(params, { unit: v }))}
          style={{ minWidth: 180 }}
        />
        <Segmented<number>
          value={days}
          onChange={setDays}
          options={RANGES.map((d) => ({ value: d, label: t('groups.stats.days', { days: d }) }))}
        />
      </Flex>
      {data.error ? <ErrorAlert error={data.error} onRetry={data.reload} /> : null}
      {data.data && !data.data.lastDay ? (
        <Alert type="info" showIcon title={t('groups.stats.notPulled')} style={{ marginBottom: 12 }} />
      ) : null}
      <div style={{ overflowX: 'auto', marginBottom: 8 }}>
        <Segmented<Metric>
          value={metric}
          onChange={setMetric}
          options={METRICS.map((m) => ({ value: m, label: t(`groups.stats.metric.${m}`) }))}
          data-testid="group-stats-metric"
        />
      </div>
      <Chart option={option} height={260} fileName={`group-stats-${metric}`} testId="group-stats-chart" />
      <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
        {data.data?.lastDay ? `${t('groups.stats.lastDay', { day: data.data.lastDay })} · ` : ''}
        {t('groups.stats.activeNote')}
      </Typography.Paragraph>
      <Table<StoreRow>
        rowKey="unitId"
        size="small"
        loading={data.loading}
        columns={columns}
        dataSource={rows}
        pagination={false}
        scroll={{ x: true }}
        data-testid="group-stats-stores"
      />
    </Card>
  );
}
