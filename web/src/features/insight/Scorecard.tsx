import {
  Alert,
  Button,
  Card,
  Col,
  Collapse,
  Empty,
  Flex,
  Progress,
  Row,
  Select,
  Tag,
  Typography,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useLang } from '../../i18n';
import { ErrorAlert, ExportButton } from '../../shared/components';
import { useAsync } from '../../shared/hooks';
import {
  addMonths,
  type DrillQuery,
  FORCES,
  type Force,
  leversApi,
  type ScorecardReply,
  type ScoreRow,
  thisMonth,
} from './api';
import { DrillDrawer } from './DrillDrawer';

type Indicator = ScorecardReply['indicators'][number];

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
/** An indicator's value: a ratio as a percentage, the order-value index as a multiple. */
const shown = (key: string, v: number | null) =>
  v === null ? null : key === 'orderValue' ? `${v.toFixed(2)}×` : pct(v);
const score = (v: number | null) => (v === null ? '—' : v.toFixed(2));

/** The indicators of each force: formula, weight and target, as the server computes them. */
function Definitions({ indicators }: { indicators: Indicator[] }) {
  const { t } = useTranslation();
  const lang = useLang();
  return (
    <Collapse
      size="small"
      data-testid="scorecard-definitions"
      items={[
        {
          key: 'defs',
          label: t('levers.indicators'),
          children: (
            <Row gutter={[12, 12]}>
              {FORCES.map((f) => (
                <Col key={f} xs={24} md={12} xl={6}>
                  <Typography.Text strong>{t(`levers.force.${f}`)}</Typography.Text>
                  {indicators
                    .filter((d) => d.force === f)
                    .map((d) => (
                      <div key={d.key} style={{ marginTop: 6 }}>
                        <Typography.Text>
                          {t(`levers.indicator.${d.key}` as 'levers.indicator.repurchase')}
                        </Typography.Text>{' '}
                        <Tag>{t('levers.weight', { w: Math.round(d.weight * 100) })}</Tag>
                        <Tag>
                          {d.lowerIsBetter
                            ? t('levers.goalMax', { v: shown(d.key, d.target) })
                            : t('levers.goal', { v: shown(d.key, d.target) })}
                        </Tag>
                        <div>
                          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                            {d.formula[lang]}
                          </Typography.Text>
                        </div>
                      </div>
                    ))}
                </Col>
              ))}
            </Row>
          ),
        },
      ]}
    />
  );
}

/** One store's card: the four forces as bars, their product, the weakest in red, its indicators below. */
function UnitCard({
  row,
  indicators,
  onDrill,
}: {
  row: ScoreRow;
  indicators: Indicator[];
  onDrill(query: Omit<DrillQuery, 'offset' | 'limit'>, title: string): void;
}) {
  const { t } = useTranslation();
  const lang = useLang();
  const byKey = new Map(row.indicators.map((i) => [i.key, i]));
  const store = { by: 'store' as const, key: String(row.unitId) };
  return (
    <Card
      size="small"
      data-testid="scorecard-unit"
      title={
        <Button
          type="link"
          style={{ padding: 0, fontWeight: 600 }}
          data-testid="scorecard-drill"
          onClick={() => onDrill(store, row.unitName)}
        >
          {row.unitName}
        </Button>
      }
      extra={
        <Typography.Text strong data-testid="scorecard-total">
          {t('levers.total')} {score(row.total)}
        </Typography.Text>
      }
    >
      {FORCES.map((f: Force) => {
        const v = row.forces[f];
        const weakest = row.weakest === f;
        return (
          <div
            key={f}
            className={weakest ? 'scorecard-weakest' : undefined}
            data-testid={weakest ? 'scorecard-weakest' : undefined}
            style={{
              padding: '2px 6px',
              borderRadius: 6,
              background: weakest ? '#fff1f0' : undefined,
            }}
          >
            <Flex justify="space-between" align="center" gap={8}>
              <Typography.Text type={weakest ? 'danger' : undefined} strong={weakest}>
                {t(`levers.force.${f}`)}
                {weakest ? (
                  <Tag color="red" style={{ marginInlineStart: 6 }}>
                    {t('levers.weakestTag')}
                  </Tag>
                ) : null}
              </Typography.Text>
              <Typography.Text>{v === null ? t('levers.unknown') : score(v)}</Typography.Text>
            </Flex>
            <Progress
              percent={v === null ? 0 : Math.round(v * 100)}
              showInfo={false}
              size="small"
              status={weakest ? 'exception' : 'normal'}
            />
          </div>
        );
      })}
      <Collapse
        ghost
        size="small"
        items={[
          {
            key: 'i',
            label: t('levers.indicators'),
            children: indicators.map((d) => {
              const x = byKey.get(d.key);
              return (
                <Flex key={d.key} justify="space-between" gap={8} wrap style={{ fontSize: 12 }}>
                  <span>
                    {t(`levers.force.${d.force}`)} ·{' '}
                    {t(`levers.indicator.${d.key}` as 'levers.indicator.repurchase')}
                  </span>
                  <span>
                    {d.key === 'repurchase' && x && x.numerator > 0 ? (
                      <Button
                        type="link"
                        size="small"
                        style={{ padding: 0, fontSize: 12, height: 'auto' }}
                        onClick={() =>
                          onDrill(
                            { ...store, step: 'repurchase' },
                            `${row.unitName} · ${t('levers.indicator.repurchase')}`,
                          )
                        }
                      >
                        {t('insight.drillTitle', { n: x.numerator })}
                      </Button>
                    ) : null}{' '}
                    {x && x.value !== null
                      ? `${shown(d.key, x.value)}（${x.numerator.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en')} / ${x.denominator.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en')}） ${t('levers.scoreOf', { s: score(x.score) })}`
                      : t('levers.unknown')}
                  </span>
                </Flex>
              );
            }),
          },
        ]}
      />
    </Card>
  );
}

/** The four-force scorecard (组织力 × 运营力 × 商品力 × 产品力) of each store in scope, cards on any width. */
export function ScorecardTab() {
  const { t } = useTranslation();
  const [month, setMonth] = useState(thisMonth());
  const state = useAsync((s) => leversApi.scorecard({ month }, s), `sc${month}`);
  const rows = state.data?.rows ?? [];
  const [drill, setDrill] = useState<{ query: Omit<DrillQuery, 'offset' | 'limit'>; title: string } | null>(
    null,
  );
  return (
    <Flex vertical gap={12}>
      <Flex wrap gap={8} align="center">
        <ExportButton
          onExport={(format) => leversApi.export({ view: 'scorecard', format, month })}
          testId="scorecard-export"
        />
        {t('insight.month')}
        <Select
          value={month}
          onChange={setMonth}
          style={{ width: 110 }}
          options={Array.from({ length: 12 }, (_, i) => addMonths(thisMonth(), -i)).map((m) => ({
            value: m,
            label: m,
          }))}
        />
      </Flex>
      <Alert type="info" showIcon message={t('levers.scoreHelp')} data-testid="scorecard-help" />
      {state.data ? <Definitions indicators={state.data.indicators} /> : null}
      {state.error ? <ErrorAlert error={state.error} onRetry={state.reload} /> : null}
      {state.data && rows.length === 0 ? <Empty description={t('levers.noUnits')} /> : null}
      <Row gutter={[12, 12]}>
        {rows.map((r) => (
          <Col key={r.unitId} xs={24} md={12} xl={8}>
            <UnitCard
              row={r}
              indicators={state.data?.indicators ?? []}
              onDrill={(query, title) => setDrill({ query, title })}
            />
          </Col>
        ))}
      </Row>
      <DrillDrawer query={drill?.query ?? null} title={drill?.title ?? ''} onClose={() => setDrill(null)} />
    </Flex>
  );
}
