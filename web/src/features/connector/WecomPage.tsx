import {
  ApiOutlined,
  CheckCircleOutlined,
  CloudServerOutlined,
  DisconnectOutlined,
  ExperimentOutlined,
  InboxOutlined,
  LoadingOutlined,
  ReloadOutlined,
  SendOutlined,
  SyncOutlined,
  WarningOutlined,
  WechatWorkOutlined,
} from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Descriptions,
  Empty,
  Flex,
  Result,
  Row,
  Skeleton,
  Statistic,
  Steps,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import { type ReactNode, useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { useLang } from '../../i18n';
import { ApiError, isAbort } from '../../shared/api/client';
import { ErrorAlert, PageHeader } from '../../shared/components';
import { formatDateTime } from '../../shared/format';
import { useMe } from '../accounts/auth';
import { connectorApi, WECOM_SYNC_PHASES, type WecomStatus, type WecomSyncPhase } from './api';

const INBOX_STATUSES = ['pending', 'done', 'parked'] as const;
const OUTBOX_STATUSES = ['pending', 'done', 'failed', 'expired', 'unknown'] as const;
const COUNT_KEYS = [
  'departments',
  'staff',
  'staffCreated',
  'tagGroups',
  'tags',
  'followUsers',
  'follows',
  'customersCreated',
  'followsEnded',
  'addsRecovered',
  'channelAddsRecovered',
  'addsLeftToCallback',
  'groups',
] as const;
type CountKey = (typeof COUNT_KEYS)[number];

const POLL_MS = 1000;
const DANGER = '#cf1322';

/**
 * What the latest run looks like from here: `starting` while the server runs a sync whose row is not yet
 * `running` (just started or resuming), `interrupted` when a row says running but nothing runs (a restart).
 */
type RunView = 'running' | 'done' | 'failed' | 'starting' | 'interrupted';

function runView(status: WecomStatus): RunView | null {
  const run = status.sync;
  if (status.syncRunning) return run?.status === 'running' ? 'running' : 'starting';
  if (!run) return null;
  return run.status === 'running' ? 'interrupted' : run.status;
}

const RUN_TAG: Record<RunView, { color: string; icon: ReactNode }> = {
  running: { color: 'processing', icon: <SyncOutlined spin /> },
  starting: { color: 'processing', icon: <SyncOutlined spin /> },
  done: { color: 'success', icon: <CheckCircleOutlined /> },
  failed: { color: 'error', icon: <WarningOutlined /> },
  interrupted: { color: 'warning', icon: <WarningOutlined /> },
};

const STEPS_STATUS: Record<RunView, 'wait' | 'process' | 'finish' | 'error'> = {
  running: 'process',
  starting: 'process',
  done: 'finish',
  failed: 'error',
  interrupted: 'wait',
};

/**
 * Loads /wecom/status, and again every second while a sync runs. Polls are quiet (no loading flag); leaving
 * the page stops them and aborts the call in flight.
 */
function useWecomStatus() {
  const [data, setData] = useState<WecomStatus>();
  const [error, setError] = useState<Error | null>(null);
  const [loading, setLoading] = useState(true);
  const [call, setCall] = useState({ n: 0, quiet: false });
  const [answers, setAnswers] = useState(0);

  useEffect(() => {
    const ctrl = new AbortController();
    if (!call.quiet) setLoading(true);
    connectorApi.wecomStatus(ctrl.signal).then(
      (value) => {
        if (ctrl.signal.aborted) return;
        setData(value);
        setError(null);
        setLoading(false);
        setAnswers((n) => n + 1);
      },
      (err: unknown) => {
        if (ctrl.signal.aborted || isAbort(err)) return;
        setError(err instanceof Error ? err : new Error(String(err)));
        setLoading(false);
        setAnswers((n) => n + 1);
      },
    );
    return () => ctrl.abort();
  }, [call]);

  // Each answer re-arms the timer, so a slow server is never asked twice at once.
  const running = data?.syncRunning ?? false;
  useEffect(() => {
    if (!running || answers === 0) return;
    const timer = window.setTimeout(() => setCall((c) => ({ n: c.n + 1, quiet: true })), POLL_MS);
    return () => window.clearTimeout(timer);
  }, [running, answers]);

  const reload = useCallback(() => setCall((c) => ({ n: c.n + 1, quiet: false })), []);
  const markRunning = useCallback(() => setData((d) => (d ? { ...d, syncRunning: true } : d)), []);
  return { data, error, loading, reload, markRunning };
}

function Forbidden() {
  const { t } = useTranslation();
  return (
    <Result
      status="403"
      title="403"
      subTitle={t('wecom.forbidden')}
      extra={
        <Link to="/customers">
          <Button type="primary">{t('wecom.backHome')}</Button>
        </Link>
      }
      data-testid="wecom-forbidden"
    />
  );
}

function CardTitle({ icon, children }: { icon: ReactNode; children: ReactNode }) {
  return (
    <Flex align="center" gap={8}>
      {icon}
      <span>{children}</span>
    </Flex>
  );
}

function ConnectionCard({ status }: { status: WecomStatus | undefined }) {
  const { t } = useTranslation();
  return (
    <Card
      title={<CardTitle icon={<ApiOutlined />}>{t('wecom.connection')}</CardTitle>}
      extra={
        status ? (
          status.connected ? (
            <Tag color="success" icon={<CheckCircleOutlined />} style={{ marginInlineEnd: 0 }}>
              {t('wecom.connected')}
            </Tag>
          ) : (
            <Tag icon={<DisconnectOutlined />} style={{ marginInlineEnd: 0 }}>
              {t('wecom.notConnected')}
            </Tag>
          )
        ) : null
      }
      style={{ height: '100%' }}
      data-testid="wecom-connection"
    >
      {!status ? (
        <Skeleton active paragraph={{ rows: 3 }} />
      ) : status.connected ? (
        <Flex vertical gap={16}>
          <Descriptions
            size="small"
            column={1}
            items={[
              {
                key: 'corpId',
                label: t('wecom.corpId'),
                children: status.wecomCorpId ? (
                  <Typography.Text className="mono" copyable data-testid="wecom-corpid">
                    {status.wecomCorpId}
                  </Typography.Text>
                ) : (
                  <Typography.Text type="secondary">{t('common.none')}</Typography.Text>
                ),
              },
              {
                key: 'mode',
                label: t('wecom.mode'),
                children: status.simulated ? (
                  <Tag color="purple" icon={<ExperimentOutlined />} data-testid="wecom-mode">
                    {t('wecom.simulator')}
                  </Tag>
                ) : (
                  <Tag color="green" icon={<WechatWorkOutlined />} data-testid="wecom-mode">
                    {t('wecom.real')}
                  </Tag>
                ),
              },
            ]}
          />
          {status.simulated ? (
            <Alert
              type="info"
              showIcon
              icon={<ExperimentOutlined />}
              title={t('wecom.simulatorTitle')}
              description={t('wecom.simulatorDesc')}
            />
          ) : null}
        </Flex>
      ) : (
        <Alert
          type="warning"
          showIcon
          icon={<DisconnectOutlined />}
          title={t('wecom.notConnectedTitle')}
          description={t('wecom.notConnectedDesc')}
          data-testid="wecom-not-connected"
        />
      )}
    </Card>
  );
}

function QueueCard({
  kind,
  icon,
  counts,
  parked = [],
}: {
  kind: 'inbox' | 'outbox';
  icon: ReactNode;
  counts: Record<string, number> | undefined;
  /** The latest parked events, with why (inbox only). */
  parked?: WecomStatus['inboxParked'];
}) {
  const { t } = useTranslation();
  const lang = useLang();
  const known: readonly string[] = kind === 'inbox' ? INBOX_STATUSES : OUTBOX_STATUSES;
  // A status the console does not know yet still shows, under its own name.
  const keys = [...known, ...Object.keys(counts ?? {}).filter((k) => !known.includes(k))];
  const label = (key: string) =>
    known.includes(key)
      ? kind === 'inbox'
        ? t(`wecom.inboxStatus.${key as (typeof INBOX_STATUSES)[number]}`)
        : t(`wecom.outboxStatus.${key as (typeof OUTBOX_STATUSES)[number]}`)
      : key;
  const alarming = (key: string) => key === 'parked' || key === 'failed';
  const hint = (key: string) =>
    key === 'parked' ? t('wecom.parkedHint') : key === 'unknown' ? t('wecom.unknownHint') : null;
  return (
    <Card title={<CardTitle icon={icon}>{t(`wecom.${kind}`)}</CardTitle>} data-testid={`wecom-${kind}`}>
      <Typography.Paragraph type="secondary" style={{ marginBottom: 12 }}>
        {t(kind === 'inbox' ? 'wecom.inboxHint' : 'wecom.outboxHint')}
      </Typography.Paragraph>
      {!counts ? (
        <Skeleton active title={false} paragraph={{ rows: 1 }} />
      ) : (
        <Row gutter={[16, 8]}>
          {keys.map((key) => {
            const value = counts[key] ?? 0;
            const danger = alarming(key) && value > 0;
            const why = value > 0 ? hint(key) : null;
            const title = why ? (
              <Tooltip title={why}>
                <span>
                  {label(key)} <WarningOutlined style={danger ? { color: DANGER } : undefined} />
                </span>
              </Tooltip>
            ) : (
              label(key)
            );
            return (
              <Col key={key} xs={12} sm={24 / Math.min(keys.length, 4)}>
                <Statistic
                  title={title}
                  value={value}
                  styles={danger ? { content: { color: DANGER } } : undefined}
                  data-testid={`wecom-${kind}-${key}`}
                />
              </Col>
            );
          })}
        </Row>
      )}
      {parked.length > 0 ? (
        <Flex vertical gap={4} style={{ marginTop: 12 }} data-testid="wecom-inbox-parked-list">
          <Typography.Text type="secondary">{t('wecom.parkedLatest')}</Typography.Text>
          {parked.map((p) => (
            <Typography.Text key={p.id} style={{ fontSize: 12 }}>
              <span className="mono">#{p.id}</span> {p.eventType} ·{' '}
              {formatDateTime(p.receivedAt, lang, { seconds: true })}
              {p.lastError ? (
                <Typography.Text type="danger" className="mono" style={{ fontSize: 12 }}>
                  {' '}
                  {p.lastError}
                </Typography.Text>
              ) : null}
            </Typography.Text>
          ))}
        </Flex>
      ) : null}
    </Card>
  );
}

function SyncCard({
  status,
  starting,
  onStart,
}: {
  status: WecomStatus | undefined;
  starting: boolean;
  onStart(): void;
}) {
  const { t } = useTranslation();
  const lang = useLang();
  const view = status ? runView(status) : null;
  const run = status?.sync ?? null;
  const busy = view === 'running' || view === 'starting';
  const resumable = view === 'failed' || view === 'interrupted';
  // Starting afresh (after a finished run, or the very first): the old run's figures are not this one's.
  const fresh = view === 'starting' && (!run || run.status === 'done');
  const phase: WecomSyncPhase = fresh || !run ? 'staff' : run.phase;
  const counts = fresh || !run ? {} : run.counts;
  const current = WECOM_SYNC_PHASES.indexOf(phase);
  const shownCounts = [
    ...COUNT_KEYS.filter((k) => counts[k] !== undefined).map((k) => ({
      key: k,
      label: t(`wecom.count.${k as CountKey}`),
      value: counts[k],
    })),
    ...Object.keys(counts)
      .filter((k) => !(COUNT_KEYS as readonly string[]).includes(k))
      .map((k) => ({ key: k, label: k, value: counts[k] })),
  ];

  const disabledReason = !status
    ? null
    : !status.connected
      ? t('wecom.syncNeedsConnection')
      : busy
        ? t('wecom.syncRunningHint')
        : null;
  const button = (
    <Tooltip title={disabledReason}>
      <Button
        type="primary"
        icon={<SyncOutlined spin={busy} />}
        disabled={!status || disabledReason !== null}
        loading={starting}
        onClick={onStart}
        data-testid="wecom-sync-start"
      >
        {resumable ? t('wecom.syncResume') : t('wecom.syncStart')}
      </Button>
    </Tooltip>
  );

  return (
    <Card
      title={
        <Flex align="center" gap={8} wrap>
          <CloudServerOutlined />
          <span>{t('wecom.sync')}</span>
          {view ? (
            <Tag color={RUN_TAG[view].color} icon={RUN_TAG[view].icon} data-testid="wecom-sync-status">
              {t(`wecom.syncStatus.${view}`)}
            </Tag>
          ) : null}
          {run && !fresh ? (
            <Typography.Text type="secondary" style={{ fontWeight: 'normal', fontSize: 13 }}>
              {t('wecom.run', { id: run.id })}
            </Typography.Text>
          ) : null}
        </Flex>
      }
      extra={button}
      data-testid="wecom-sync"
    >
      <Typography.Paragraph type="secondary">{t('wecom.syncHint')}</Typography.Paragraph>
      {!status ? (
        <Skeleton active paragraph={{ rows: 4 }} />
      ) : !view ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('wecom.syncNever')} />
      ) : (
        <Flex vertical gap={20}>
          <Steps
            current={current}
            status={STEPS_STATUS[view]}
            items={WECOM_SYNC_PHASES.map((p, i) => ({
              key: p,
              title: t(`wecom.phase.${p}`),
              content: t(`wecom.phaseDesc.${p}`),
              icon: busy && i === current ? <LoadingOutlined /> : undefined,
            }))}
            data-testid="wecom-sync-steps"
          />
          {view === 'failed' && run?.error ? (
            <Alert
              type="error"
              showIcon
              title={t('wecom.errorTitle')}
              description={<span className="mono wecom-error">{run.error}</span>}
              data-testid="wecom-sync-error"
            />
          ) : null}
          {view === 'interrupted' ? (
            <Alert type="warning" showIcon title={t('wecom.interruptedHint')} />
          ) : null}
          {shownCounts.length > 0 ? (
            <Row gutter={[16, 16]} data-testid="wecom-sync-counts">
              {shownCounts.map((c) => (
                <Col key={c.key} xs={12} sm={8} md={6} xl={4} xxl={3}>
                  <Statistic title={c.label} value={c.value} />
                </Col>
              ))}
            </Row>
          ) : busy ? null : (
            <Typography.Text type="secondary">{t('wecom.noCounts')}</Typography.Text>
          )}
          {run && !fresh ? (
            <Descriptions
              size="small"
              column={{ xs: 1, sm: 2, lg: 3 }}
              items={[
                {
                  key: 'startedAt',
                  label: t('wecom.startedAt'),
                  children: formatDateTime(run.startedAt, lang, { seconds: true }),
                },
                {
                  key: 'updatedAt',
                  label: t('wecom.updatedAt'),
                  children: formatDateTime(run.updatedAt, lang, { seconds: true }),
                },
                {
                  key: 'finishedAt',
                  label: t('wecom.finishedAt'),
                  children: formatDateTime(run.finishedAt, lang, { seconds: true }),
                },
              ]}
            />
          ) : null}
        </Flex>
      )}
    </Card>
  );
}

function WecomConsole() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const status = useWecomStatus();
  const [starting, setStarting] = useState(false);
  const data = status.data;

  // Tell when a run this page watched comes to an end.
  const view = data ? runView(data) : null;
  const previous = useRef<RunView | null>(null);
  useEffect(() => {
    const was = previous.current;
    previous.current = view;
    if (was !== 'running' && was !== 'starting') return;
    if (view === 'done') message.success(t('wecom.syncDone'));
    else if (view === 'failed') message.error(t('wecom.syncFailedToast'));
  }, [view, message, t]);

  const onStart = async () => {
    setStarting(true);
    try {
      const r = await connectorApi.startWecomSync();
      if (r.started) message.success(t('wecom.syncStarted'));
      else message.info(t('wecom.syncAlreadyRunning'));
      status.markRunning();
    } catch (err) {
      message.error(err instanceof Error ? err.message : String(err));
    } finally {
      setStarting(false);
      status.reload();
    }
  };

  if (status.error instanceof ApiError && status.error.status === 403) return <Forbidden />;

  return (
    <>
      <PageHeader
        title={t('wecom.title')}
        subtitle={t('wecom.subtitle')}
        extra={
          <Button
            icon={<ReloadOutlined />}
            onClick={status.reload}
            loading={status.loading && Boolean(data)}
            data-testid="wecom-refresh"
          >
            {t('wecom.refresh')}
          </Button>
        }
      />
      {status.error ? <ErrorAlert error={status.error} onRetry={status.reload} /> : null}
      {status.error && !data ? null : (
        <Row gutter={[16, 16]} align="stretch">
          <Col xs={24} xl={10}>
            <ConnectionCard status={data} />
          </Col>
          <Col xs={24} xl={14}>
            <Flex vertical gap={16}>
              <QueueCard
                kind="inbox"
                icon={<InboxOutlined />}
                counts={data?.inbox}
                parked={data?.inboxParked}
              />
              <QueueCard kind="outbox" icon={<SendOutlined />} counts={data?.outbox} />
            </Flex>
          </Col>
          <Col span={24}>
            <SyncCard status={data} starting={starting} onStart={onStart} />
          </Col>
        </Row>
      )}
    </>
  );
}

/** The brand's link to WeCom (hq_admin only): connection, callback and call queues, the full sync. */
export default function WecomPage() {
  const me = useMe();
  return me.role === 'hq_admin' ? <WecomConsole /> : <Forbidden />;
}
