import {
  CheckCircleOutlined,
  CloseCircleOutlined,
  DownloadOutlined,
  FileExcelOutlined,
  InboxOutlined,
  ReloadOutlined,
  SyncOutlined,
  UploadOutlined,
  WarningOutlined,
} from '@ant-design/icons';
import {
  Alert,
  Button,
  Card,
  Col,
  Empty,
  Flex,
  Input,
  Progress,
  Result,
  Row,
  Space,
  Statistic,
  Steps,
  Table,
  type TableColumnsType,
  Tag,
  Tooltip,
  Typography,
  Upload,
} from 'antd';
import { type ReactNode, useCallback, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useLang } from '../../i18n';
import { isAbort } from '../../shared/api/client';
import { ErrorAlert, PageHeader } from '../../shared/components';
import { formatDateTime, formatMoney, formatNumber } from '../../shared/format';
import { useAsync } from '../../shared/hooks';
import { useMe } from '../accounts/auth';
import {
  type ImportPreview,
  type ImportPreviewLine,
  type ImportRowError,
  type OrderImport,
  type OrderImportDetail,
  orderImportApi,
} from './api';

const POLL_MS = 1000;
const SOURCE_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const CHANNEL_COLOR = { miniprogram: 'green', ecommerce: 'blue', pos: 'orange' } as const;

type Stage = 'pick' | 'checking' | 'preview' | 'running' | 'result';

/** The same CSV as the server's report (UTF-8 with BOM, formulas defused), for a dry run's problems. */
function errorsCsv(errors: ImportRowError[]): string {
  const cell = (v: string | number | null) => {
    let s = v === null ? '' : String(v);
    if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  const rows = [
    ['行号 Row', '列 Column', '订单号 Order', '原因', 'Reason'],
    ...errors.map((e) => [e.row, e.column, e.orderNo, e.zh, e.en]),
  ];
  return `\uFEFF${rows.map((r) => r.map(cell).join(',')).join('\r\n')}\r\n`;
}

function download(name: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  URL.revokeObjectURL(url);
}

const reportName = (fileName: string) => `${fileName.replace(/\.(xlsx|csv|txt)$/i, '')}-errors.csv`;

function ErrorTable({ errors, testId }: { errors: ImportRowError[]; testId: string }) {
  const { t } = useTranslation();
  const lang = useLang();
  const columns: TableColumnsType<ImportRowError> = [
    { key: 'row', title: t('orderImport.row'), dataIndex: 'row', width: 80, align: 'right' },
    { key: 'column', title: t('orderImport.column'), dataIndex: 'column', width: 140 },
    {
      key: 'orderNo',
      title: t('orderImport.orderNo'),
      dataIndex: 'orderNo',
      width: 180,
      render: (v: string | null) => (v ? <Typography.Text className="mono">{v}</Typography.Text> : '—'),
    },
    {
      key: 'why',
      title: t('orderImport.why'),
      render: (_, e) => <Typography.Text type="danger">{lang === 'en' ? e.en : e.zh}</Typography.Text>,
    },
  ];
  return (
    <Table
      rowKey={(e) => `${e.row}:${e.column}:${e.zh}`}
      size="small"
      data-testid={testId}
      columns={columns}
      dataSource={errors}
      pagination={{ pageSize: 10, hideOnSinglePage: true, showSizeChanger: false }}
      scroll={{ x: 'max-content' }}
    />
  );
}

function PreviewTable({ lines }: { lines: ImportPreviewLine[] }) {
  const { t } = useTranslation();
  const lang = useLang();
  const money = (fen: number) => formatMoney(fen, lang);
  const columns: TableColumnsType<ImportPreviewLine> = [
    { key: 'row', title: t('orderImport.row'), dataIndex: 'row', align: 'right', width: 64 },
    {
      key: 'orderNo',
      title: t('orderImport.orderNo'),
      render: (_, l) => (
        <Space size={4}>
          <Typography.Text className="mono">{l.orderNo}</Typography.Text>
          {l.duplicate ? (
            <Tooltip title={t('orderImport.duplicateHelp')}>
              <Tag>{t('orderImport.duplicateTag')}</Tag>
            </Tooltip>
          ) : null}
        </Space>
      ),
    },
    { key: 'store', title: t('orderImport.store'), render: (_, l) => l.storeCode ?? '—' },
    {
      key: 'channel',
      title: t('orderImport.channel'),
      render: (_, l) => <Tag color={CHANNEL_COLOR[l.channel]}>{t(`orderImport.channels.${l.channel}`)}</Tag>,
    },
    // brand time, as written in the file
    {
      key: 'at',
      title: t('orderImport.orderedAt'),
      render: (_, l) => l.orderedAt.slice(0, 16).replace('T', ' '),
    },
    {
      key: 'product',
      title: t('orderImport.product'),
      render: (_, l) => (
        <span>
          {l.productName} <Typography.Text type="secondary">{l.productCode}</Typography.Text>
        </span>
      ),
    },
    { key: 'qty', title: t('orderImport.quantity'), dataIndex: 'quantity', align: 'right' },
    { key: 'price', title: t('orderImport.price'), align: 'right', render: (_, l) => money(l.priceFen) },
    { key: 'total', title: t('orderImport.total'), align: 'right', render: (_, l) => money(l.totalFen) },
    {
      key: 'coupon',
      title: t('orderImport.coupon'),
      align: 'right',
      render: (_, l) => (l.couponFen ? `${money(l.couponFen)} · ${l.couponCode}` : '—'),
    },
    {
      key: 'paid',
      title: t('orderImport.paid'),
      align: 'right',
      render: (_, l) => <Typography.Text strong>{money(l.paidFen)}</Typography.Text>,
    },
    {
      key: 'customer',
      title: t('orderImport.customer'),
      render: (_, l) =>
        l.identities.length ? (
          <Flex vertical gap={2}>
            {l.identities.map((id) => (
              <Typography.Text key={id} className="mono" style={{ fontSize: 12 }}>
                {id}
              </Typography.Text>
            ))}
          </Flex>
        ) : (
          <Tooltip title={t('orderImport.noIdentityHelp')}>
            <Typography.Text type="secondary">{t('orderImport.noIdentity')}</Typography.Text>
          </Tooltip>
        ),
    },
  ];
  return (
    <Table
      rowKey={(l) => `${l.row}`}
      size="small"
      data-testid="import-sample"
      columns={columns}
      dataSource={lines}
      pagination={false}
      scroll={{ x: 'max-content' }}
    />
  );
}

function Counts({
  items,
}: {
  items: { key: string; label: string; value: number; color?: string; icon?: ReactNode }[];
}) {
  const lang = useLang();
  return (
    <Row gutter={[16, 16]}>
      {items.map((i) => (
        <Col key={i.key} xs={12} sm={8} md={4}>
          <Card size="small" data-testid={`count-${i.key}`}>
            <Statistic
              title={i.label}
              value={i.value}
              formatter={(v) => formatNumber(Number(v), lang)}
              prefix={i.icon}
              valueStyle={i.color ? { color: i.color } : undefined}
            />
          </Card>
        </Col>
      ))}
    </Row>
  );
}

function JobProgress({ job }: { job: OrderImport }) {
  const { t } = useTranslation();
  const percent = job.orders ? Math.floor((job.processed / job.orders) * 100) : 100;
  return (
    <Card
      data-testid="import-progress"
      title={
        <span>
          <SyncOutlined spin /> {t('orderImport.running', { file: job.fileName })}
        </span>
      }
    >
      <Progress percent={percent} status="active" />
      <Typography.Paragraph type="secondary" style={{ marginTop: 8, marginBottom: 0 }}>
        {t('orderImport.progress', {
          processed: job.processed,
          orders: job.orders,
          created: job.created,
          duplicates: job.duplicates,
          invalid: job.invalid,
        })}
      </Typography.Paragraph>
      <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
        {t('orderImport.runningHelp')}
      </Typography.Paragraph>
    </Card>
  );
}

function JobResult({ job, onAgain }: { job: OrderImportDetail; onAgain(): void }) {
  const { t } = useTranslation();
  const status = job.status === 'failed' ? 'error' : job.invalid ? 'warning' : 'success';
  return (
    <Card data-testid="import-result">
      <Result
        status={status}
        style={{ padding: '16px 0' }}
        title={t(`orderImport.result.${status}`, { file: job.fileName })}
        subTitle={
          job.status === 'failed'
            ? t('orderImport.result.failure', { reason: job.failure ?? '' })
            : t('orderImport.result.summary', {
                created: job.created,
                duplicates: job.duplicates,
                invalid: job.invalid,
              })
        }
        extra={
          <Space wrap>
            {job.errorCount ? (
              <Button
                icon={<DownloadOutlined />}
                href={orderImportApi.errorsCsvUrl(job.id)}
                data-testid="import-report"
              >
                {t('orderImport.downloadReport', { count: job.errorCount })}
              </Button>
            ) : null}
            <Button type="primary" icon={<UploadOutlined />} onClick={onAgain}>
              {t('orderImport.importAnother')}
            </Button>
          </Space>
        }
      />
      <Counts
        items={[
          { key: 'orders', label: t('orderImport.orders'), value: job.orders },
          {
            key: 'created',
            label: t('orderImport.created'),
            value: job.created,
            color: '#389e0d',
            icon: <CheckCircleOutlined />,
          },
          { key: 'duplicates', label: t('orderImport.duplicates'), value: job.duplicates },
          {
            key: 'invalid',
            label: t('orderImport.invalid'),
            value: job.invalid,
            color: job.invalid ? '#cf1322' : undefined,
            icon: job.invalid ? <CloseCircleOutlined /> : undefined,
          },
          { key: 'lines', label: t('orderImport.lines'), value: job.lines },
        ]}
      />
      {job.errors.length ? (
        <div style={{ marginTop: 16 }}>
          <Typography.Title level={5}>
            {t('orderImport.errorsTitle', { count: job.errorCount })}
            {job.errorCount > job.errors.length ? (
              <Typography.Text type="secondary" style={{ fontWeight: 'normal', fontSize: 13 }}>
                {' '}
                {t('orderImport.errorsFirst', { shown: job.errors.length })}
              </Typography.Text>
            ) : null}
          </Typography.Title>
          <ErrorTable errors={job.errors} testId="import-result-errors" />
        </div>
      ) : null}
    </Card>
  );
}

function History({ reloadKey, onOpen }: { reloadKey: number; onOpen(id: number): void }) {
  const { t } = useTranslation();
  const lang = useLang();
  const list = useAsync((signal) => orderImportApi.list(signal), String(reloadKey));
  const columns: TableColumnsType<OrderImport> = [
    { key: 'at', title: t('orderImport.startedAt'), render: (_, j) => formatDateTime(j.startedAt, lang) },
    {
      key: 'file',
      title: t('orderImport.file'),
      render: (_, j) => (
        <span>
          <FileExcelOutlined /> {j.fileName}
        </span>
      ),
    },
    {
      key: 'source',
      title: t('orderImport.source'),
      render: (_, j) => <Typography.Text className="mono">{j.source}</Typography.Text>,
    },
    {
      key: 'status',
      title: t('orderImport.status'),
      render: (_, j) =>
        j.status === 'running' ? (
          <Tag color="processing" icon={<SyncOutlined spin />}>
            {Math.floor((j.processed / Math.max(j.orders, 1)) * 100)}%
          </Tag>
        ) : j.status === 'failed' ? (
          <Tooltip title={j.failure}>
            <Tag color="error" icon={<WarningOutlined />}>
              {t('orderImport.statuses.failed')}
            </Tag>
          </Tooltip>
        ) : (
          <Tag color={j.invalid ? 'warning' : 'success'}>{t('orderImport.statuses.done')}</Tag>
        ),
    },
    { key: 'created', title: t('orderImport.created'), dataIndex: 'created', align: 'right' },
    { key: 'duplicates', title: t('orderImport.duplicates'), dataIndex: 'duplicates', align: 'right' },
    {
      key: 'invalid',
      title: t('orderImport.invalid'),
      align: 'right',
      render: (_, j) => (j.invalid ? <Typography.Text type="danger">{j.invalid}</Typography.Text> : 0),
    },
    { key: 'by', title: t('orderImport.by'), dataIndex: 'createdBy' },
    {
      key: 'actions',
      title: '',
      render: (_, j) => (
        <Space size={4}>
          <Button size="small" type="link" onClick={() => onOpen(j.id)}>
            {t('orderImport.view')}
          </Button>
          {j.errorCount ? (
            <Button
              size="small"
              type="link"
              icon={<DownloadOutlined />}
              href={orderImportApi.errorsCsvUrl(j.id)}
            >
              {t('orderImport.report')}
            </Button>
          ) : null}
        </Space>
      ),
    },
  ];
  return (
    <Card
      title={t('orderImport.history')}
      extra={
        <Button size="small" icon={<ReloadOutlined />} onClick={list.reload} aria-label={t('common.retry')} />
      }
    >
      {list.error ? <ErrorAlert error={list.error} onRetry={list.reload} /> : null}
      <Table
        rowKey="id"
        size="small"
        data-testid="import-history"
        columns={columns}
        dataSource={list.data?.items}
        loading={list.loading}
        pagination={false}
        scroll={{ x: 'max-content' }}
        locale={{
          emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('orderImport.noHistory')} />,
        }}
      />
    </Card>
  );
}

export default function OrderImportPage() {
  const { t } = useTranslation();
  const me = useMe();
  const [stage, setStage] = useState<Stage>('pick');
  const [file, setFile] = useState<File | null>(null);
  const [source, setSource] = useState('import');
  const [preview, setPreview] = useState<ImportPreview | null>(null);
  const [job, setJob] = useState<OrderImportDetail | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [historyKey, setHistoryKey] = useState(0);
  const sourceOk = SOURCE_PATTERN.test(source);

  const check = useCallback(
    async (f: File) => {
      setStage('checking');
      setError(null);
      setPreview(null);
      try {
        setPreview(await orderImportApi.preview(f, source));
        setStage('preview');
      } catch (err) {
        setError(err as Error);
        setStage('pick');
      }
    },
    [source],
  );

  const start = async () => {
    if (!file) return;
    setError(null);
    try {
      const started = await orderImportApi.start(file, source);
      setJob({ ...started, errors: [] });
      setStage('running');
      setHistoryKey((k) => k + 1);
    } catch (err) {
      setError(err as Error);
    }
  };

  const open = async (id: number) => {
    setError(null);
    try {
      const detail = await orderImportApi.get(id);
      setJob(detail);
      setStage(detail.status === 'running' ? 'running' : 'result');
    } catch (err) {
      setError(err as Error);
    }
  };

  const reset = () => {
    setStage('pick');
    setFile(null);
    setPreview(null);
    setJob(null);
    setError(null);
  };

  // Poll the running import; each answer arms the next poll, so a slow server is never asked twice at once.
  const runningId = stage === 'running' ? job?.id : undefined;
  const [polls, setPolls] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `polls` counts the answers: each arms the next poll.
  useEffect(() => {
    if (runningId === undefined) return;
    const ctrl = new AbortController();
    const timer = window.setTimeout(() => {
      orderImportApi.get(runningId, ctrl.signal).then(
        (detail) => {
          setJob(detail);
          setPolls((n) => n + 1);
          if (detail.status !== 'running') {
            setStage('result');
            setHistoryKey((k) => k + 1);
          }
        },
        (err: unknown) => {
          if (isAbort(err)) return;
          setError(err as Error);
          setPolls((n) => n + 1);
        },
      );
    }, POLL_MS);
    return () => {
      window.clearTimeout(timer);
      ctrl.abort();
    };
  }, [runningId, polls]);

  const current = { pick: 0, checking: 1, preview: 1, running: 2, result: 3 }[stage];
  const steps = useMemo(
    () => [
      { title: t('orderImport.steps.pick') },
      { title: t('orderImport.steps.check') },
      { title: t('orderImport.steps.import') },
      { title: t('orderImport.steps.done') },
    ],
    [t],
  );

  if (me.role === 'staff') {
    return (
      <Result status="403" title="403" subTitle={t('orderImport.forbidden')} data-testid="import-forbidden" />
    );
  }

  return (
    <>
      <PageHeader
        title={t('orderImport.title')}
        subtitle={t('orderImport.subtitle')}
        extra={
          <Button icon={<DownloadOutlined />} href={orderImportApi.templateUrl} data-testid="import-template">
            {t('orderImport.template')}
          </Button>
        }
      />
      <Flex vertical gap={16}>
        <Card>
          <Steps
            size="small"
            current={current}
            status={stage === 'result' ? (job?.status === 'failed' ? 'error' : 'finish') : 'process'}
            items={steps}
          />
        </Card>
        {error ? (
          <Alert
            type="error"
            showIcon
            title={error.message}
            closable
            onClose={() => setError(null)}
            data-testid="import-error"
          />
        ) : null}

        {stage === 'pick' || stage === 'checking' || stage === 'preview' ? (
          <Card
            title={t('orderImport.uploadTitle')}
            extra={
              stage === 'preview' && file ? (
                <Button
                  size="small"
                  icon={<ReloadOutlined />}
                  onClick={() => check(file)}
                  disabled={!sourceOk}
                >
                  {t('orderImport.recheck')}
                </Button>
              ) : null
            }
          >
            <Flex vertical gap={16}>
              <Flex gap={12} align="center" wrap>
                <Typography.Text>{t('orderImport.source')}</Typography.Text>
                <Input
                  value={source}
                  onChange={(e) => setSource(e.target.value.trim())}
                  status={sourceOk ? undefined : 'error'}
                  style={{ width: 200 }}
                  data-testid="import-source"
                />
                <Typography.Text type={sourceOk ? 'secondary' : 'danger'}>
                  {sourceOk ? t('orderImport.sourceHelp') : t('orderImport.sourceInvalid')}
                </Typography.Text>
              </Flex>
              <div data-testid="import-upload">
                <Upload.Dragger
                  accept=".xlsx,.csv,.txt"
                  multiple={false}
                  showUploadList={false}
                  disabled={!sourceOk || stage === 'checking'}
                  beforeUpload={(f) => {
                    setFile(f);
                    void check(f);
                    return false;
                  }}
                >
                  <p className="ant-upload-drag-icon">
                    <InboxOutlined />
                  </p>
                  <p className="ant-upload-text">
                    {stage === 'checking'
                      ? t('orderImport.checking', { file: file?.name ?? '' })
                      : file
                        ? t('orderImport.chosen', { file: file.name })
                        : t('orderImport.drop')}
                  </p>
                  <p className="ant-upload-hint">{t('orderImport.dropHint')}</p>
                </Upload.Dragger>
              </div>
              <Alert
                type="info"
                showIcon
                title={t('orderImport.rules')}
                description={t('orderImport.rulesDetail')}
              />
            </Flex>
          </Card>
        ) : null}

        {stage === 'preview' && preview ? (
          <Card
            title={t('orderImport.previewTitle', { file: preview.fileName })}
            data-testid="import-preview"
            extra={
              <Space>
                <Button onClick={reset}>{t('orderImport.cancel')}</Button>
                <Button
                  type="primary"
                  icon={<UploadOutlined />}
                  disabled={preview.valid === 0}
                  onClick={start}
                  data-testid="import-start"
                >
                  {t('orderImport.start', { count: preview.valid })}
                </Button>
              </Space>
            }
          >
            <Flex vertical gap={16}>
              <Counts
                items={[
                  { key: 'lines', label: t('orderImport.lines'), value: preview.lines },
                  { key: 'orders', label: t('orderImport.orders'), value: preview.orders },
                  {
                    key: 'would-create',
                    label: t('orderImport.wouldCreate'),
                    value: preview.wouldCreate,
                    color: '#389e0d',
                    icon: <CheckCircleOutlined />,
                  },
                  { key: 'duplicates', label: t('orderImport.duplicates'), value: preview.duplicates },
                  {
                    key: 'invalid',
                    label: t('orderImport.invalid'),
                    value: preview.invalid,
                    color: preview.invalid ? '#cf1322' : undefined,
                    icon: preview.invalid ? <CloseCircleOutlined /> : undefined,
                  },
                ]}
              />
              {preview.ignoredColumns.length ? (
                <Alert
                  type="warning"
                  showIcon
                  title={t('orderImport.ignored', { columns: preview.ignoredColumns.join('、') })}
                />
              ) : null}
              {preview.sample.length ? (
                <div>
                  <Typography.Title level={5}>
                    {t('orderImport.sampleTitle', { count: preview.sample.length })}
                  </Typography.Title>
                  <PreviewTable lines={preview.sample} />
                </div>
              ) : null}
              {preview.errorCount ? (
                <div>
                  <Flex justify="space-between" align="center" wrap gap={8}>
                    <Typography.Title level={5} style={{ margin: 0 }}>
                      {t('orderImport.errorsTitle', { count: preview.errorCount })}
                    </Typography.Title>
                    <Button
                      icon={<DownloadOutlined />}
                      onClick={() => download(reportName(preview.fileName), errorsCsv(preview.errors))}
                      data-testid="import-preview-report"
                    >
                      {t('orderImport.downloadReport', { count: preview.errors.length })}
                    </Button>
                  </Flex>
                  <Typography.Paragraph type="secondary" style={{ margin: '4px 0 8px' }}>
                    {t('orderImport.wholeOrder')}
                  </Typography.Paragraph>
                  <ErrorTable errors={preview.errors} testId="import-preview-errors" />
                </div>
              ) : (
                <Alert type="success" showIcon title={t('orderImport.noErrors')} />
              )}
            </Flex>
          </Card>
        ) : null}

        {stage === 'running' && job ? <JobProgress job={job} /> : null}
        {stage === 'result' && job ? <JobResult job={job} onAgain={reset} /> : null}

        <History reloadKey={historyKey} onOpen={open} />
      </Flex>
    </>
  );
}
