import { Alert, Button, Drawer, Empty, Flex, Select, Spin, Timeline, Typography } from 'antd';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useLang } from '../../i18n';
import { ErrorAlert } from '../../shared/components';
import { formatDateTime } from '../../shared/format';
import { customersApi } from '../customers/api';
import { type DryRun, journeysApi } from './api';
import { KIND_COLOR } from './JourneyNodeCard';

/** Picks one of the caller's customers by name, pinyin or remark. */
function CustomerPicker({ value, onChange }: { value: number | undefined; onChange(id: number): void }) {
  const { t } = useTranslation();
  const [options, setOptions] = useState<{ value: number; label: string }[]>([]);
  const [loading, setLoading] = useState(false);
  const ctrl = useRef<AbortController | null>(null);
  const search = (q: string) => {
    ctrl.current?.abort();
    const c = new AbortController();
    ctrl.current = c;
    setLoading(true);
    customersApi
      .customers({ q: q || undefined, limit: 20 }, c.signal)
      .then((page) => {
        if (c.signal.aborted) return;
        setOptions(page.items.map((r) => ({ value: r.id, label: `${r.name} #${r.id}` })));
        setLoading(false);
      })
      .catch(() => !c.signal.aborted && setLoading(false));
  };
  return (
    <Select<number>
      showSearch
      filterOption={false}
      value={value}
      placeholder={t('journeys.customerSearch')}
      onSearch={search}
      onFocus={() => options.length === 0 && search('')}
      notFoundContent={loading ? <Spin size="small" /> : null}
      options={options}
      onChange={onChange}
      style={{ flex: 1, minWidth: 0 }}
      data-testid="dry-run-customer"
    />
  );
}

/** The dry run: one customer, the path they would take now, shown here and marked on the canvas. */
export function DryRunPanel(props: {
  open: boolean;
  journeyId: number;
  onClose(): void;
  onResult(result: DryRun | null): void;
}) {
  const { t } = useTranslation();
  const lang = useLang();
  const [customerId, setCustomerId] = useState<number>();
  const [result, setResult] = useState<DryRun | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [running, setRunning] = useState(false);
  const run = async () => {
    if (!customerId) return;
    setRunning(true);
    setError(null);
    try {
      const r = await journeysApi.dryRun(props.journeyId, customerId);
      setResult(r);
      props.onResult(r);
    } catch (e) {
      setError(e as Error);
    } finally {
      setRunning(false);
    }
  };
  const endText = (end: string) =>
    end === 'end' || end === 'loop' || end === 'too_long'
      ? t(`journeys.end.${end}`)
      : t('journeys.end.other', { reason: end });
  return (
    <Drawer
      open={props.open}
      onClose={() => {
        props.onClose();
        props.onResult(null);
      }}
      title={t('journeys.dryRunTitle')}
      size="min(440px, 100vw)"
      mask={false}
      data-testid="dry-run"
    >
      <Alert type="info" showIcon title={t('journeys.dryRunHint')} style={{ marginBottom: 16 }} />
      <Flex gap={8} style={{ marginBottom: 16 }}>
        <CustomerPicker value={customerId} onChange={setCustomerId} />
        <Button
          type="primary"
          onClick={run}
          loading={running}
          disabled={!customerId}
          data-testid="dry-run-go"
        >
          {t('journeys.run')}
        </Button>
      </Flex>
      {error ? <ErrorAlert error={error} /> : null}
      {result ? (
        <div data-testid="dry-run-path">
          <Timeline
            items={[
              ...result.path.map((s, i) => ({
                key: `${i}`,
                color: KIND_COLOR[s.kind] ?? 'gray',
                children: (
                  <>
                    <Typography.Text strong>
                      {t('journeys.step', { n: i + 1 })} ·{' '}
                      {t(`journeys.kind.${s.kind}` as 'journeys.kind.send')}{' '}
                      <Typography.Text code>{s.node}</Typography.Text>
                    </Typography.Text>
                    <div>
                      <Typography.Text type="secondary">{formatDateTime(s.at, lang)}</Typography.Text>
                    </div>
                    {Object.keys(s.outcome).length ? (
                      <Typography.Paragraph
                        type="secondary"
                        style={{ fontSize: 12, marginBottom: 0, wordBreak: 'break-all' }}
                      >
                        {Object.entries(s.outcome)
                          .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
                          .join(' · ')}
                      </Typography.Paragraph>
                    ) : null}
                  </>
                ),
              })),
              {
                key: 'end',
                color: 'gray',
                children: <Typography.Text strong>{endText(result.end)}</Typography.Text>,
              },
            ]}
          />
        </div>
      ) : !running ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('journeys.dryRunHint')} />
      ) : null}
    </Drawer>
  );
}
