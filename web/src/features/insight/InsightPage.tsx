import { Alert, Button, Card, Col, Flex, Row, Segmented, Select, Slider, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router-dom';
import { useLang } from '../../i18n';
import { ErrorAlert, ExportButton, PageHeader } from '../../shared/components';
import { formatMoney, formatNumber } from '../../shared/format';
import { useAsync } from '../../shared/hooks';
import { ResponsiveTable } from '../../shared/ResponsiveTable';
import { useMe } from '../accounts/auth';
import {
  addMonths,
  type Dimension,
  type DrillQuery,
  FACTORS,
  type FactorName,
  type GmvRow,
  insightApi,
  productOf,
  thisMonth,
} from './api';
import { Chart } from './Chart';
import { DrillDrawer } from './DrillDrawer';
import { FactorStrip, formatFactor, Waterfall } from './Gmv';

const TABS = ['gmv', 'funnel', 'performance'] as const;
type Tab = (typeof TABS)[number];
const DIMS: Dimension[] = ['total', 'channel', 'method', 'store', 'staff', 'persona'];
const STEPS = ['scans', 'customers', 'retained7d', 'joinedGroup', 'firstOrder', 'repurchase'] as const;
const months = (n: number) => Array.from({ length: n }, (_, i) => addMonths(thisMonth(), -i));

function useLabel() {
  const { t } = useTranslation();
  return (by: Dimension, key: string, label: string) =>
    by === 'method'
      ? key === 'none'
        ? t('insight.none')
        : t(`channelMethod.${key}` as 'channelMethod.sms', { code: key })
      : by === 'channel' && key === '0'
        ? t('insight.none')
        : by === 'total'
          ? t('insight.dim.total')
          : by === 'persona'
            ? t(`persona.${key}` as 'persona.sales', { defaultValue: key })
            : label;
}

function MonthSelect({
  value,
  onChange,
  testId,
}: {
  value: string;
  onChange(v: string): void;
  testId?: string;
}) {
  return (
    <Select
      value={value}
      onChange={onChange}
      style={{ width: 110 }}
      options={months(24).map((m) => ({ value: m, label: m }))}
      data-testid={testId}
    />
  );
}

function DimSelect({
  value,
  onChange,
  dims = DIMS,
}: {
  value: Dimension;
  onChange(v: Dimension): void;
  dims?: Dimension[];
}) {
  const { t } = useTranslation();
  return (
    <Select
      value={value}
      onChange={onChange}
      style={{ width: 110 }}
      options={dims.map((d) => ({ value: d, label: t(`insight.dim.${d}`) }))}
    />
  );
}

function WhatIf({ row }: { row: GmvRow }) {
  const { t } = useTranslation();
  const lang = useLang();
  const [moves, setMoves] = useState<Record<FactorName, number>>({
    customers: 0,
    conversion: 0,
    repurchases: 0,
    orderValueFen: 0,
  });
  const f = row.current;
  const moved = productOf({
    customers: f.customers * (1 + moves.customers / 100),
    conversion: f.conversion * (1 + moves.conversion / 100),
    repurchases: f.repurchases * (1 + moves.repurchases / 100),
    orderValueFen: f.orderValueFen * (1 + moves.orderValueFen / 100),
  });
  const ratio = f.gmvFen ? moved / f.gmvFen : 0;
  return (
    <Card
      size="small"
      title={t('insight.whatIf')}
      extra={
        <Button
          size="small"
          onClick={() => setMoves({ customers: 0, conversion: 0, repurchases: 0, orderValueFen: 0 })}
        >
          {t('insight.reset')}
        </Button>
      }
    >
      <Typography.Paragraph type="secondary">{t('insight.whatIfHelp')}</Typography.Paragraph>
      {FACTORS.map((k) => (
        <Row key={k} align="middle" gutter={8}>
          <Col xs={9} sm={6}>
            {t(`insight.factor.${k}`)}
          </Col>
          <Col xs={11} sm={14}>
            <Slider
              min={-50}
              max={50}
              value={moves[k]}
              onChange={(v) => setMoves({ ...moves, [k]: v })}
              data-testid={`whatif-${k}`}
            />
          </Col>
          <Col xs={4}>{`${moves[k] > 0 ? '+' : ''}${moves[k]}%`}</Col>
        </Row>
      ))}
      <Typography.Title level={5} data-testid="whatif-result">
        {t('insight.whatIfResult', {
          v: formatMoney(Math.round(moved), lang),
          p: `${(ratio * 100).toFixed(1)}%`,
        })}
      </Typography.Title>
    </Card>
  );
}

function GmvTab() {
  const { t } = useTranslation();
  const lang = useLang();
  const label = useLabel();
  // the last whole month against the one before (as on 工作台): this month is still running
  const [month, setMonth] = useState(addMonths(thisMonth(), -1));
  const [compareTo, setCompareTo] = useState(addMonths(thisMonth(), -2));
  const [by, setBy] = useState<Dimension>('channel');
  const total = useAsync(
    (s) => insightApi.gmv({ month, compareTo, by: 'total' }, s),
    `t${month}${compareTo}`,
  );
  const rows = useAsync((s) => insightApi.gmv({ month, compareTo, by }, s), `r${month}${compareTo}${by}`);
  const row = total.data?.rows[0];
  const money = (v: number) => formatMoney(Math.round(v), lang);
  return (
    <Flex vertical gap={12}>
      <Flex wrap gap={8} align="center">
        {t('insight.month')} <MonthSelect value={month} onChange={setMonth} testId="gmv-month" />
        {t('insight.compareTo')} <MonthSelect value={compareTo} onChange={setCompareTo} />
      </Flex>
      <Alert type="info" showIcon message={t('insight.definitions')} data-testid="gmv-definitions" />
      {total.error ? <ErrorAlert error={total.error} onRetry={total.reload} /> : null}
      {row ? (
        <Row gutter={[12, 12]}>
          <Col xs={24} xl={14}>
            <Card size="small" title={t('insight.waterfall', { prev: compareTo, month })}>
              <FactorStrip current={row.current} previous={row.previous} />
              <Waterfall row={row} fileName={`gmv-waterfall-${month}`} />
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {t('insight.waterfallHelp')}
              </Typography.Text>
            </Card>
          </Col>
          <Col xs={24} xl={10}>
            <WhatIf row={row} />
          </Col>
        </Row>
      ) : null}
      <Card
        size="small"
        title={
          <Flex gap={8} align="center">
            {t('insight.by')} <DimSelect value={by} onChange={setBy} />
          </Flex>
        }
        extra={
          <ExportButton
            onExport={(format) => insightApi.export({ view: 'gmv', format, month, compareTo, by })}
            testId="gmv-export"
          />
        }
      >
        {rows.error ? <ErrorAlert error={rows.error} onRetry={rows.reload} /> : null}
        <ResponsiveTable
          size="small"
          rowKey="key"
          loading={rows.loading}
          scroll={{ x: 900 }}
          pagination={false}
          dataSource={rows.data?.rows ?? []}
          data-testid="gmv-table"
          columns={[
            {
              title: t(`insight.dim.${by}`),
              key: 'label',
              fixed: 'left',
              render: (_, r) => label(by, r.key, r.label),
            },
            ...FACTORS.map((k) => ({
              title: t(`insight.factor.${k}`),
              key: k,
              render: (_: unknown, r: GmvRow) => formatFactor(k, r.current[k], lang),
            })),
            { title: 'GMV', key: 'gmv', render: (_: unknown, r: GmvRow) => money(r.current.gmvFen) },
            {
              title: t('insight.change'),
              key: 'change',
              render: (_: unknown, r: GmvRow) => money(r.split.change),
            },
            ...FACTORS.map((k) => ({
              title: `Δ ${t(`insight.factor.${k}`)}`,
              key: `d${k}`,
              render: (_: unknown, r: GmvRow) => money(r.split.contributions[k]),
            })),
          ]}
        />
      </Card>
    </Flex>
  );
}

function FunnelTab() {
  const { t } = useTranslation();
  const lang = useLang();
  const label = useLabel();
  const [to, setTo] = useState(thisMonth());
  const [from, setFrom] = useState(addMonths(thisMonth(), -2));
  const [by, setBy] = useState<Dimension>('channel');
  const [n, setN] = useState(3);
  const [drill, setDrill] = useState<{ query: Omit<DrillQuery, 'offset' | 'limit'>; title: string } | null>(
    null,
  );
  const total = useAsync((s) => insightApi.funnel({ from, to, by: 'total' }, s), `ft${from}${to}`);
  const rows = useAsync((s) => insightApi.funnel({ from, to, by }, s), `fr${from}${to}${by}`);
  const cohorts = useAsync((s) => insightApi.cohorts({ months: n, last: to }, s), `c${n}${to}`);
  const tot = total.data?.rows[0];
  const funnelOption = useMemo(
    () =>
      tot
        ? {
            tooltip: { trigger: 'item' },
            series: [
              {
                type: 'funnel',
                sort: 'none',
                left: 8,
                right: 8,
                top: 8,
                bottom: 8,
                minSize: '12%',
                label: { show: true, position: 'inside', formatter: '{b}\n{c}' },
                data: STEPS.map((s) => ({ name: t(`insight.step.${s}`), value: tot[s] ?? 0 })),
              },
            ],
          }
        : null,
    [tot, t],
  );
  const pct = (a: number, b: number) => (b ? `${Math.round((a / b) * 100)}%` : '—');
  const open = (step: (typeof STEPS)[number], key?: string, name?: string) => {
    if (step === 'scans') return;
    setDrill({
      query: { step, from, to, by: key === undefined ? 'total' : by, key },
      title: `${name ? `${name} · ` : ''}${t(`insight.step.${step}`)}`,
    });
  };
  return (
    <Flex vertical gap={12}>
      <Flex wrap gap={8} align="center">
        {t('insight.from')} <MonthSelect value={from} onChange={setFrom} />
        {t('insight.to')} <MonthSelect value={to} onChange={setTo} />
      </Flex>
      <Row gutter={[12, 12]}>
        <Col xs={24} lg={10}>
          <Card size="small" title={t('insight.funnelTitle', { from, to })}>
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('insight.funnelHelp')}
            </Typography.Text>
            {funnelOption ? (
              <Chart
                option={funnelOption}
                height={300}
                fileName={`funnel-${from}-${to}`}
                testId="funnel-chart"
                onClick={(i) => open(STEPS[i]!)}
              />
            ) : null}
          </Card>
        </Col>
        <Col xs={24} lg={14}>
          <Card
            size="small"
            title={
              <Flex gap={8} align="center">
                {t('insight.by')} <DimSelect value={by} onChange={setBy} />
              </Flex>
            }
            extra={
              <ExportButton
                onExport={(format) => insightApi.export({ view: 'funnel', format, from, to, by })}
              />
            }
          >
            {rows.error ? <ErrorAlert error={rows.error} onRetry={rows.reload} /> : null}
            <ResponsiveTable
              size="small"
              rowKey="key"
              loading={rows.loading}
              scroll={{ x: 700 }}
              pagination={false}
              dataSource={rows.data?.rows ?? []}
              data-testid="funnel-table"
              columns={[
                {
                  title: t(`insight.dim.${by}`),
                  key: 'label',
                  fixed: 'left',
                  render: (_, r) => label(by, r.key, r.label),
                },
                ...STEPS.map((s, i) => ({
                  title: t(`insight.step.${s}`),
                  key: s,
                  render: (_: unknown, r: NonNullable<typeof rows.data>['rows'][number]) => {
                    const v = r[s];
                    if (v === null) return '—';
                    const prev = i > 1 ? (r[STEPS[i - 1]!] as number) : null;
                    return (
                      <Button
                        type="link"
                        size="small"
                        style={{ padding: 0 }}
                        disabled={s === 'scans'}
                        onClick={() => open(s, r.key, label(by, r.key, r.label))}
                      >
                        {formatNumber(v, lang)}
                        {prev !== null ? (
                          <Typography.Text type="secondary" style={{ fontSize: 11 }}>
                            {' '}
                            {pct(v, prev)}
                          </Typography.Text>
                        ) : null}
                      </Button>
                    );
                  },
                })),
              ]}
            />
          </Card>
        </Col>
      </Row>
      <Card
        size="small"
        title={t('insight.cohortsTitle')}
        extra={
          <Flex gap={8} align="center">
            {t('insight.months')}
            <Select
              value={n}
              onChange={setN}
              style={{ width: 80 }}
              options={[3, 6, 12, 18].map((v) => ({ value: v, label: v }))}
              data-testid="cohort-months"
            />
            <ExportButton
              onExport={(format) => insightApi.export({ view: 'cohorts', format, to, months: n })}
            />
          </Flex>
        }
      >
        <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>
          {t('insight.cohortsHelp')}
        </Typography.Paragraph>
        {cohorts.error ? <ErrorAlert error={cohorts.error} onRetry={cohorts.reload} /> : null}
        <ResponsiveTable
          size="small"
          rowKey="month"
          loading={cohorts.loading}
          pagination={false}
          scroll={{ x: 200 + n * 90 }}
          dataSource={cohorts.data?.rows ?? []}
          data-testid="cohort-table"
          columns={[
            {
              title: t('insight.cohortMonth'),
              key: 'm',
              fixed: 'left',
              render: (_, r) => (
                <Button
                  type="link"
                  size="small"
                  style={{ padding: 0 }}
                  onClick={() =>
                    setDrill({
                      query: { from: r.month.slice(0, 7), to: r.month.slice(0, 7) },
                      title: r.month.slice(0, 7),
                    })
                  }
                >
                  {r.month.slice(0, 7)}
                </Button>
              ),
            },
            { title: t('insight.cohortSize'), dataIndex: 'customers', key: 'c' },
            ...Array.from({ length: n }, (_, k) => ({
              title: t('insight.mk', { k }),
              key: `k${k}`,
              render: (_: unknown, r: { customers: number; friends: number[]; buyers: number[] }) =>
                k < r.friends.length ? (
                  <div
                    className="cohort-cell"
                    style={{
                      background: `rgba(22,119,255,${r.customers ? (r.friends[k]! / r.customers) * 0.35 : 0})`,
                    }}
                  >
                    <div>{pct(r.friends[k]!, r.customers)}</div>
                    <Typography.Text type="secondary" style={{ fontSize: 11 }}>
                      {t('insight.buyers')} {pct(r.buyers[k]!, r.customers)}
                    </Typography.Text>
                  </div>
                ) : null,
            })),
          ]}
        />
      </Card>
      <DrillDrawer query={drill?.query ?? null} title={drill?.title ?? ''} onClose={() => setDrill(null)} />
    </Flex>
  );
}

const SORTS = [
  'adds',
  'deletions',
  'activeFollows',
  'customers',
  'firstOrderRate',
  'repurchaseRate',
] as const;

function PerformanceTab() {
  const { t } = useTranslation();
  const lang = useLang();
  const [by, setBy] = useState<'staff' | 'store'>('staff');
  const [sort, setSort] = useState<(typeof SORTS)[number]>('adds');
  const [to, setTo] = useState(thisMonth());
  const [from, setFrom] = useState(addMonths(thisMonth(), -2));
  const state = useAsync(
    (s) => insightApi.performance({ by, sort, from, to }, s),
    `p${by}${sort}${from}${to}`,
  );
  const rows = state.data?.rows ?? [];
  const rate = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);
  const top = rows.slice(0, 10);
  const option = useMemo(
    () => ({
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: { type: 'value' },
      yAxis: { type: 'category', inverse: true, data: top.map((r) => r.label) },
      series: [
        {
          type: 'bar',
          data: top.map((r) => (sort.endsWith('Rate') ? Math.round((r[sort] ?? 0) * 1000) / 10 : r[sort])),
          itemStyle: { color: '#13c2c2' },
          label: { show: true, position: 'right' },
        },
      ],
    }),
    [top, sort],
  );
  return (
    <Flex vertical gap={12}>
      <Flex wrap gap={8} align="center">
        <Segmented
          value={by}
          onChange={(v) => setBy(v as 'staff' | 'store')}
          options={[
            { value: 'staff', label: t('insight.byStaff') },
            { value: 'store', label: t('insight.byStore') },
          ]}
        />
        {t('insight.from')} <MonthSelect value={from} onChange={setFrom} />
        {t('insight.to')} <MonthSelect value={to} onChange={setTo} />
        {t('insight.rankBy')}
        <Select
          value={sort}
          onChange={setSort}
          style={{ width: 130 }}
          options={SORTS.map((s) => ({ value: s, label: t(`insight.perf.${s}`) }))}
        />
      </Flex>
      {state.error ? <ErrorAlert error={state.error} onRetry={state.reload} /> : null}
      <Card
        size="small"
        title={t('insight.performanceTitle')}
        extra={
          <ExportButton
            onExport={(format) => insightApi.export({ view: 'performance', format, from, to, by })}
          />
        }
      >
        {top.length ? (
          <Chart option={option} height={Math.max(160, top.length * 28)} fileName={`ranking-${by}-${sort}`} />
        ) : null}
        <ResponsiveTable
          size="small"
          rowKey="key"
          loading={state.loading}
          scroll={{ x: 760 }}
          pagination={{ pageSize: 20, hideOnSinglePage: true }}
          dataSource={rows}
          data-testid="performance-table"
          columns={[
            { title: t('insight.rank'), dataIndex: 'rank', key: 'rank', width: 60, fixed: 'left' },
            { title: t('insight.name'), dataIndex: 'label', key: 'label', fixed: 'left' },
            ...(['adds', 'deletions', 'activeFollows', 'customers', 'newCustomers'] as const).map((k) => ({
              title: t(`insight.perf.${k}`),
              key: k,
              render: (_: unknown, r: (typeof rows)[number]) => formatNumber(r[k], lang),
            })),
            { title: t('insight.perf.firstOrderRate'), key: 'f', render: (_, r) => rate(r.firstOrderRate) },
            { title: t('insight.perf.repurchaseRate'), key: 'r', render: (_, r) => rate(r.repurchaseRate) },
          ]}
        />
      </Card>
    </Flex>
  );
}

/** 经营分析: GMV and its factors, the funnel and cohorts, staff and store performance, in the caller's scope. */
export default function InsightPage() {
  const { t } = useTranslation();
  const me = useMe();
  const [params, setParams] = useSearchParams();
  const raw = params.get('tab');
  const tab: Tab = (TABS as readonly (string | null)[]).includes(raw) ? (raw as Tab) : 'gmv';
  return (
    <>
      <PageHeader title={t('insight.title')} subtitle={`${me.unitName} · ${t('insight.subtitle')}`} />
      <Segmented
        value={tab}
        onChange={(v) => setParams({ tab: String(v) }, { replace: true })}
        options={[
          { value: 'gmv', label: t('insight.tabGmv') },
          { value: 'funnel', label: t('insight.tabFunnel') },
          { value: 'performance', label: t('insight.tabPerformance') },
        ]}
        style={{ marginBottom: 12 }}
        data-testid="insight-tabs"
      />
      {tab === 'gmv' ? <GmvTab /> : tab === 'funnel' ? <FunnelTab /> : <PerformanceTab />}
    </>
  );
}
