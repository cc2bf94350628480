import { Alert, Button, Card, Col, Empty, List, Row, Statistic, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { useLang } from '../../i18n';
import { ErrorAlert, PageHeader } from '../../shared/components';
import { formatNumber } from '../../shared/format';
import { useAsync } from '../../shared/hooks';
import { useMe } from '../accounts/auth';
import { type Activity, type DrillQuery, insightApi } from './api';
import { Chart } from './Chart';
import { DrillDrawer } from './DrillDrawer';
import { FactorStrip, Waterfall } from './Gmv';

const STAGES = ['new', 'active', 'repeat', 'super', 'dormant', 'churned'] as const;

function ActivityCard({
  title,
  now,
  before,
  vs,
}: {
  title: string;
  now: Activity;
  before: Activity;
  vs: 'vsYesterday' | 'vsLastWeek';
}) {
  const { t } = useTranslation();
  const lang = useLang();
  const cell = (label: string, v: number, b: number, testId: string, extra?: string) => (
    <Col xs={12} sm={6}>
      <Statistic title={label} value={formatNumber(v, lang)} data-testid={testId} />
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {extra ?? t(`home.${vs}`, { v: formatNumber(b, lang) })}
      </Typography.Text>
    </Col>
  );
  const share = now.adds ? `${Math.round((now.welcomed / now.adds) * 100)}%` : '—';
  return (
    <Card title={title} size="small">
      <Row gutter={[12, 12]}>
        {cell(t('home.adds'), now.adds, before.adds, `${vs}-adds`)}
        {cell(t('home.deletions'), now.deletions, before.deletions, `${vs}-deletions`)}
        {cell(t('home.net'), now.netGrowth, before.netGrowth, `${vs}-net`)}
        {cell(
          t('home.welcomed'),
          now.welcomed,
          before.welcomed,
          `${vs}-welcomed`,
          t('home.welcomedOf', { p: share }),
        )}
      </Row>
    </Card>
  );
}

/** 工作台: the first page after login, for the caller's scope (a front-line member: their own numbers). */
export default function HomePage() {
  const { t } = useTranslation();
  const lang = useLang();
  const me = useMe();
  const state = useAsync((signal) => insightApi.home({}, signal), 'home');
  const [drill, setDrill] = useState<{ query: Omit<DrillQuery, 'offset' | 'limit'>; title: string } | null>(
    null,
  );
  const h = state.data;
  const stageOption = useMemo(
    () =>
      h
        ? {
            grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
            tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
            xAxis: { type: 'value' },
            yAxis: { type: 'category', inverse: true, data: STAGES.map((s) => t(`stage.${s}`)) },
            series: [
              {
                type: 'bar',
                data: STAGES.map((s) => h.stages[s] ?? 0),
                itemStyle: { color: '#1677ff' },
                label: { show: true, position: 'right' },
              },
            ],
          }
        : null,
    [h, t],
  );
  return (
    <>
      <PageHeader
        title={t('home.title')}
        subtitle={me.role === 'staff' ? t('home.mine') : t('home.subtitle', { scope: me.unitName })}
        extra={me.role === 'staff' ? null : <Link to="/insight">{t('home.more')}</Link>}
      />
      {state.error ? <ErrorAlert error={state.error} onRetry={state.reload} /> : null}
      {!h ? (
        <Card loading />
      ) : (
        <Row gutter={[12, 12]} data-testid="home">
          <Col xs={24} xl={12}>
            <ActivityCard
              title={`${t('home.today')} · ${h.today}`}
              now={h.activity.today}
              before={h.activity.yesterday}
              vs="vsYesterday"
            />
          </Col>
          <Col xs={24} xl={12}>
            <ActivityCard
              title={t('home.week')}
              now={h.activity.week}
              before={h.activity.lastWeek}
              vs="vsLastWeek"
            />
          </Col>
          <Col xs={24} xl={14}>
            <Card
              size="small"
              title={t('home.gmvTitle', {
                month: h.gmv.month.slice(0, 7),
                prev: h.gmv.previousMonth.slice(0, 7),
              })}
            >
              <FactorStrip current={h.gmv.total.current} previous={h.gmv.total.previous} />
              <Waterfall row={h.gmv.total} fileName={`gmv-${h.gmv.month.slice(0, 7)}`} />
            </Card>
          </Col>
          <Col xs={24} xl={10}>
            <Card
              size="small"
              title={t('home.stages')}
              extra={
                <Typography.Text type="secondary">
                  {t('home.customers')} {formatNumber(h.customers, lang)}
                </Typography.Text>
              }
            >
              {stageOption ? (
                <Chart
                  option={stageOption}
                  height={230}
                  fileName="stages"
                  testId="home-stages"
                  onClick={(i) => {
                    const stage = STAGES[i]!;
                    setDrill({
                      query: { stage },
                      title: t('insight.drillStage', { stage: t(`stage.${stage}`) }),
                    });
                  }}
                />
              ) : null}
            </Card>
          </Col>
          <Col xs={24} md={12}>
            <Card
              size="small"
              title={t('home.tasks')}
              extra={<Link to={me.role === 'staff' ? '/tasks/mine' : '/tasks'}>{t('home.tasks')}</Link>}
            >
              <Row>
                <Col span={8}>
                  <Statistic title={t('home.dueToday')} value={h.tasks.dueToday} data-testid="home-due" />
                </Col>
                <Col span={8}>
                  <Statistic
                    title={t('home.overdue')}
                    value={h.tasks.overdue}
                    valueStyle={h.tasks.overdue ? { color: '#cf1322' } : undefined}
                  />
                </Col>
                <Col span={8}>
                  <Statistic title={t('home.open')} value={h.tasks.open} />
                </Col>
              </Row>
            </Card>
          </Col>
          <Col xs={24} md={12}>
            <Card size="small" title={t('home.alerts')}>
              {h.alerts.length === 0 ? (
                <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('home.noAlerts')} />
              ) : (
                <List
                  size="small"
                  dataSource={h.alerts}
                  data-testid="home-alerts"
                  renderItem={(a) => (
                    <List.Item>
                      <Alert
                        type="warning"
                        showIcon
                        style={{ width: '100%' }}
                        message={
                          a.kind === 'deletions_spike'
                            ? t('home.spike', {
                                name: a.channelName,
                                n: a.deletions,
                                base: a.baseline.toFixed(1),
                              })
                            : t('home.noAdds', { name: a.unitName })
                        }
                      />
                    </List.Item>
                  )}
                />
              )}
            </Card>
          </Col>
          {me.role === 'staff' ? null : (
            <Col span={24}>
              <Link to="/insight">
                <Button type="link">{t('home.more')}</Button>
              </Link>
            </Col>
          )}
        </Row>
      )}
      <DrillDrawer query={drill?.query ?? null} title={drill?.title ?? ''} onClose={() => setDrill(null)} />
    </>
  );
}
