import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Empty,
  Flex,
  Form,
  Input,
  List,
  Modal,
  Popconfirm,
  Row,
  Select,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Lang, useLang } from '../../i18n';
import { ErrorAlert, ExportButton } from '../../shared/components';
import { formatMoney, formatNumber } from '../../shared/format';
import { useAsync } from '../../shared/hooks';
import { orgApi } from '../org/api';
import { type DrillQuery, leversApi, MEASURES, type Measure, type Pilot, type PilotInput } from './api';
import { DrillDrawer } from './DrillDrawer';
import { formatFactor } from './Gmv';

const KINDS = ['journey', 'linkage', 'channel', 'policy'] as const;

/** A measure's value (a level, or with `signed` a difference) in its unit. */
function fmt(m: Measure, v: number, lang: Lang, signed = false): string {
  const sign = signed && v > 0 ? '+' : signed && v < 0 ? '−' : '';
  const a = signed ? Math.abs(v) : v;
  if (m === 'gmvFen' || m === 'orderValueFen') return `${sign}${formatMoney(Math.round(a), lang)}`;
  if (m === 'conversion') return `${sign}${(a * 100).toFixed(1)}${signed ? ' pt' : '%'}`;
  if (m === 'repurchases') return `${sign}${a.toFixed(2)}`;
  return `${sign}${formatNumber(Math.round(a * 10) / 10, lang)}`;
}

type PilotForm = Omit<PilotInput, 'endsOn'>;

function CreatePilot({
  open,
  onClose,
  onCreated,
}: {
  open: boolean;
  onClose(): void;
  onCreated(p: Pilot): void;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<PilotForm>();
  const [busy, setBusy] = useState(false);
  const units = useAsync((s) => orgApi.units(s), 'units');
  const stores = (units.data?.items ?? []).filter((u) => u.kind === 'store');
  const req = [{ required: true, message: t('levers.required') }];
  const submit = async (v: PilotForm) => {
    setBusy(true);
    try {
      const p = await leversApi.createPilot({ ...v, note: v.note || undefined });
      message.success(t('levers.pilotCreated', { name: p.name }));
      form.resetFields();
      onCreated(p);
    } catch (err) {
      message.error((err as Error).message, 6);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open={open}
      title={t('levers.newPilot')}
      onCancel={onClose}
      okText={t('levers.save')}
      cancelText={t('levers.cancel')}
      confirmLoading={busy}
      onOk={() => form.submit()}
      okButtonProps={{ 'data-testid': 'pilot-save' } as Record<string, string>}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" onFinish={submit} initialValues={{ kind: 'journey' }}>
        <Form.Item name="name" label={t('levers.pilotName')} rules={req}>
          <Input maxLength={60} data-testid="pilot-name" />
        </Form.Item>
        <Form.Item name="kind" label={t('levers.pilotKind')} rules={req}>
          <Select options={KINDS.map((k) => ({ value: k, label: t(`levers.pilotKinds.${k}`) }))} />
        </Form.Item>
        <Form.Item name="unitIds" label={t('levers.pilotUnits')} rules={req}>
          <Select
            mode="multiple"
            options={stores.map((u) => ({ value: u.id, label: u.name }))}
            optionFilterProp="label"
            data-testid="pilot-units"
          />
        </Form.Item>
        <Form.Item name="startsOn" label={t('levers.startsOn')} rules={req}>
          <Input type="date" data-testid="pilot-starts" />
        </Form.Item>
        <Form.Item name="note" label={t('levers.pilotNote')}>
          <Input.TextArea maxLength={500} rows={3} data-testid="pilot-note" />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** A pilot's difference-in-differences on each GMV factor, its interval, and plainly whether it is significant. */
function Effect({ pilot }: { pilot: Pilot }) {
  const { t } = useTranslation();
  const lang = useLang();
  const state = useAsync((s) => leversApi.pilotEffect({ pilotId: pilot.id }, s), `pe${pilot.id}`);
  const e = state.data;
  const [drill, setDrill] = useState<{ query: Omit<DrillQuery, 'offset' | 'limit'>; title: string } | null>(
    null,
  );
  return (
    <Card
      size="small"
      title={`${t('levers.effect')} · ${pilot.name}`}
      loading={state.loading}
      data-testid="pilot-effect"
      extra={
        <ExportButton
          onExport={(format) => leversApi.export({ view: 'pilot', format, pilotId: pilot.id })}
          testId="pilot-export"
        />
      }
    >
      <DrillDrawer query={drill?.query ?? null} title={drill?.title ?? ''} onClose={() => setDrill(null)} />
      {state.error ? <ErrorAlert error={state.error} onRetry={state.reload} /> : null}
      {e ? (
        <Flex vertical gap={12}>
          <Typography.Text type="secondary">
            {t('levers.before', { from: e.before.from, to: e.before.to })} ·{' '}
            {t('levers.after', { from: e.after.from, to: e.after.to })}
          </Typography.Text>
          <Row gutter={[12, 12]}>
            {MEASURES.map((m) => {
              const d = e.measures[m];
              return (
                <Col key={m} xs={24} sm={12} xl={8}>
                  <Card size="small" data-testid={`did-${m}`}>
                    <Flex justify="space-between" align="center" wrap gap={4}>
                      <Typography.Text strong>{t(`levers.measure.${m}`)}</Typography.Text>
                      {d ? (
                        <Tag color={d.significant ? 'green' : 'default'} data-testid="did-verdict">
                          {d.significant ? t('levers.significant') : t('levers.notSignificant')}
                        </Tag>
                      ) : null}
                    </Flex>
                    {d ? (
                      <>
                        <Typography.Title level={4} style={{ margin: '4px 0' }}>
                          {fmt(m, d.estimate, lang, true)}
                        </Typography.Title>
                        <div>
                          {t('levers.ci')}：[{fmt(m, d.low, lang, true)}, {fmt(m, d.high, lang, true)}]
                        </div>
                        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                          {t('levers.pilotGroup', {
                            n: d.pilotUnits,
                            b: fmt(m, d.pilotBefore, lang),
                            a: fmt(m, d.pilotAfter, lang),
                          })}
                          <br />
                          {t('levers.controlGroup', {
                            n: d.controlUnits,
                            b: fmt(m, d.controlBefore, lang),
                            a: fmt(m, d.controlAfter, lang),
                          })}
                        </Typography.Text>
                      </>
                    ) : (
                      <Typography.Paragraph type="secondary">{t('levers.noEffect')}</Typography.Paragraph>
                    )}
                  </Card>
                </Col>
              );
            })}
          </Row>
          <Table
            size="small"
            rowKey="id"
            title={() => t('levers.stores')}
            pagination={false}
            scroll={{ x: 640 }}
            dataSource={e.stores}
            columns={[
              {
                title: t('levers.unit'),
                key: 'name',
                fixed: 'left',
                render: (_, s) => (
                  <>
                    <Button
                      type="link"
                      size="small"
                      style={{ padding: 0 }}
                      data-testid="pilot-store-drill"
                      onClick={() => setDrill({ query: { by: 'store', key: String(s.id) }, title: s.name })}
                    >
                      {s.name}
                    </Button>{' '}
                    <Tag color={s.pilot ? 'blue' : 'default'}>
                      {s.pilot ? t('levers.pilot') : t('levers.control')}
                    </Tag>
                  </>
                ),
              },
              ...(['gmvFen', 'customers', 'conversion', 'repurchases', 'orderValueFen'] as const).map(
                (k) => ({
                  title: t(`levers.measure.${k}`),
                  key: k,
                  render: (_: unknown, s: (typeof e.stores)[number]) =>
                    `${formatFactor(k, s.before[k], lang)} → ${formatFactor(k, s.after[k], lang)}`,
                }),
              ),
            ]}
          />
        </Flex>
      ) : null}
    </Card>
  );
}

/** Pilots: the list, a new pilot, and the chosen pilot's effect against the other stores. */
export function PilotsTab() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [creating, setCreating] = useState(false);
  const [chosen, setChosen] = useState<number | null>(null);
  const list = useAsync((s) => leversApi.pilots(s), 'pilots');
  const items = list.data?.items ?? [];
  const current = items.find((p) => p.id === chosen) ?? items[0];
  return (
    <Flex vertical gap={12}>
      <Alert type="info" showIcon message={t('levers.pilotsHelp')} />
      <Flex>
        <Button
          type="primary"
          icon={<PlusOutlined />}
          onClick={() => setCreating(true)}
          data-testid="pilot-add"
        >
          {t('levers.newPilot')}
        </Button>
      </Flex>
      {list.error ? <ErrorAlert error={list.error} onRetry={list.reload} /> : null}
      <Card size="small" loading={list.loading}>
        {items.length === 0 ? (
          <Empty description={t('levers.noPilots')} />
        ) : (
          <List
            dataSource={items}
            data-testid="pilot-list"
            renderItem={(p) => (
              <List.Item
                data-testid="pilot-item"
                style={{
                  cursor: 'pointer',
                  background: p.id === current?.id ? '#e6f4ff' : undefined,
                  paddingInline: 8,
                }}
                onClick={() => setChosen(p.id)}
                actions={[
                  <Popconfirm
                    key="d"
                    title={t('levers.delete')}
                    onConfirm={async () => {
                      try {
                        await leversApi.deletePilot(p.id);
                        message.success(t('levers.pilotDeleted'));
                        list.reload();
                      } catch (err) {
                        message.error((err as Error).message, 6);
                      }
                    }}
                  >
                    <Button
                      size="small"
                      type="text"
                      danger
                      icon={<DeleteOutlined />}
                      aria-label={t('levers.delete')}
                      onClick={(ev) => ev.stopPropagation()}
                    />
                  </Popconfirm>,
                ]}
              >
                <List.Item.Meta
                  title={
                    <>
                      {p.name} <Tag>{t(`levers.pilotKinds.${p.kind}`)}</Tag>
                    </>
                  }
                  description={
                    <>
                      {t('levers.since', { d: p.startsOn })} · {p.units.map((u) => u.name).join('、')}
                      {p.note ? <div>{p.note}</div> : null}
                    </>
                  }
                />
              </List.Item>
            )}
          />
        )}
      </Card>
      {current ? <Effect key={current.id} pilot={current} /> : null}
      <CreatePilot
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(p) => {
          setCreating(false);
          setChosen(p.id);
          list.reload();
        }}
      />
    </Flex>
  );
}
