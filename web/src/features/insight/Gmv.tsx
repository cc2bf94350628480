import { Flex, Statistic, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { type Lang, useLang } from '../../i18n';
import { formatMoney, formatNumber } from '../../shared/format';
import { FACTORS, type FactorName, type Factors, type GmvRow } from './api';
import { Chart, type ChartOption } from './Chart';

export function formatFactor(k: FactorName | 'gmvFen', v: number, lang: Lang): string {
  if (k === 'orderValueFen' || k === 'gmvFen') return formatMoney(Math.round(v), lang);
  if (k === 'conversion') return `${(v * 100).toFixed(1)}%`;
  if (k === 'repurchases') return v.toFixed(2);
  return formatNumber(v, lang);
}

function Delta({ now, before }: { now: number; before: number }) {
  if (before === 0) return <Typography.Text type="secondary">—</Typography.Text>;
  const p = (now / before - 1) * 100;
  return (
    <Typography.Text type={p >= 0 ? 'success' : 'danger'} style={{ fontSize: 12 }}>
      {p >= 0 ? '▲' : '▼'} {Math.abs(p).toFixed(1)}%
    </Typography.Text>
  );
}

/** GMV and its four factors, each against the previous period. */
export function FactorStrip({ current, previous }: { current: Factors; previous: Factors }) {
  const { t } = useTranslation();
  const lang = useLang();
  const items: { key: FactorName | 'gmvFen'; label: string }[] = [
    { key: 'gmvFen', label: t('insight.gmv') },
    ...FACTORS.map((k) => ({ key: k, label: t(`insight.factor.${k}`) })),
  ];
  return (
    <Flex wrap gap={16} className="insight-factors" data-testid="gmv-factors">
      {items.map((it, i) => (
        <Flex key={it.key} align="center" gap={8}>
          {i > 1 ? (
            <Typography.Text type="secondary">×</Typography.Text>
          ) : i === 1 ? (
            <Typography.Text type="secondary">=</Typography.Text>
          ) : null}
          <Statistic
            title={it.label}
            value={formatFactor(it.key, current[it.key], lang)}
            valueStyle={{ fontSize: i === 0 ? 24 : 18 }}
            suffix={<Delta now={current[it.key]} before={previous[it.key]} />}
          />
        </Flex>
      ))}
    </Flex>
  );
}

/** The waterfall from the previous GMV to the current, one bar per factor's contribution. */
export function waterfallOption(
  row: GmvRow | Omit<GmvRow, 'label'>,
  labels: string[],
  lang: Lang,
): ChartOption {
  const steps = FACTORS.map((k) => row.split.contributions[k]);
  const base: number[] = [0];
  const up: (number | string)[] = [row.previous.gmvFen / 100];
  const down: (number | string)[] = ['-'];
  let level = row.previous.gmvFen;
  for (const s of steps) {
    const next = level + s;
    base.push(Math.min(level, next) / 100);
    up.push(s >= 0 ? s / 100 : '-');
    down.push(s < 0 ? -s / 100 : '-');
    level = next;
  }
  base.push(0);
  up.push(row.current.gmvFen / 100);
  down.push('-');
  const money = (v: number) => formatMoney(Math.round(v * 100), lang);
  return {
    grid: { left: 8, right: 8, top: 16, bottom: 8, containLabel: true },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      formatter: (ps: { seriesIndex: number; value: number | string; name: string }[]) => {
        const p = ps.find((x) => x.seriesIndex > 0 && x.value !== '-');
        if (!p) return '';
        return `${p.name}: ${p.seriesIndex === 2 ? '−' : ''}${money(Number(p.value))}`;
      },
    },
    xAxis: { type: 'category', data: labels, axisLabel: { interval: 0, fontSize: 10, rotate: 30 } },
    yAxis: { type: 'value', axisLabel: { formatter: (v: number) => formatNumber(v, lang) } },
    series: [
      { type: 'bar', stack: 'w', itemStyle: { color: 'transparent' }, data: base, silent: true },
      {
        type: 'bar',
        stack: 'w',
        itemStyle: { color: '#52c41a' },
        data: up,
        label: {
          show: true,
          fontSize: 10,
          position: 'top',
          formatter: (p: { value: number }) => money(p.value),
        },
      },
      {
        type: 'bar',
        stack: 'w',
        itemStyle: { color: '#ff4d4f' },
        data: down,
        label: {
          show: true,
          fontSize: 10,
          position: 'bottom',
          formatter: (p: { value: number }) => `−${money(p.value)}`,
        },
      },
    ],
  };
}

export function Waterfall({ row, fileName }: { row: GmvRow | Omit<GmvRow, 'label'>; fileName: string }) {
  const { t } = useTranslation();
  const lang = useLang();
  const labels = [
    t('insight.previous'),
    ...FACTORS.map((k) => t(`insight.factor.${k}`)),
    t('insight.current'),
  ];
  return (
    <Chart
      option={waterfallOption(row, labels, lang)}
      fileName={fileName}
      height={260}
      testId="gmv-waterfall"
    />
  );
}
