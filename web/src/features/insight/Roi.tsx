import { DeleteOutlined, DownloadOutlined, PlusOutlined, UploadOutlined } from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Card,
  Flex,
  Form,
  Grid,
  Input,
  InputNumber,
  List,
  Modal,
  Popconfirm,
  Select,
  Table,
  Tag,
  Upload,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useLang } from '../../i18n';
import { ErrorAlert, ExportButton } from '../../shared/components';
import { formatMoney, formatNumber } from '../../shared/format';
import { useAsync } from '../../shared/hooks';
import { ResponsiveTable } from '../../shared/ResponsiveTable';
import { useMe } from '../accounts/auth';
import { channelsApi } from '../channels/api';
import { orgApi } from '../org/api';
import {
  addMonths,
  type DrillQuery,
  leversApi,
  type RoiReply,
  type RoiRow,
  SPEND_TEMPLATE,
  type SpendInput,
  type TargetKind,
  thisMonth,
} from './api';
import { DrillDrawer } from './DrillDrawer';

const KINDS: TargetKind[] = ['channel', 'method', 'campaign', 'journey'];
const METHODS = [
  'package_card',
  'sms',
  'ai_call',
  'rollup_banner',
  'table_card',
  'poster',
  'wangwang',
  'livestream',
  'mini_program',
  'other',
] as const;
const WINDOWS = [7, 14, 30, 60, 90];
type Campaign = RoiReply['campaigns'][number];
const monthOptions = (n: number) =>
  Array.from({ length: n }, (_, i) => addMonths(thisMonth(), -i)).map((m) => ({ value: m, label: m }));

/** The spend import's columns and one example line, as a CSV the server reads back (UTF-8 with BOM for Excel). */
function downloadTemplate(unitCode: string) {
  const example = `${thisMonth()},${unitCode},渠道,门店台卡,1200,物料与奖品`;
  const blob = new Blob([`\ufeff${SPEND_TEMPLATE}\n${example}\n`], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = 'spend-template.csv';
  a.click();
  URL.revokeObjectURL(url);
}

interface SpendForm {
  unitId: number;
  targetKind: TargetKind;
  targetKey: string;
  month: string;
  yuan: number;
  note?: string;
}

/** The form that enters one spend: a unit of the caller's, a channel / method / campaign / journey, a month, an amount. */
function SpendModal({
  open,
  campaigns,
  onClose,
  onSaved,
}: {
  open: boolean;
  campaigns: RoiReply['campaigns'];
  onClose(): void;
  onSaved(): void;
}) {
  const { t } = useTranslation();
  const lang = useLang();
  const me = useMe();
  const { message } = App.useApp();
  const [form] = Form.useForm<SpendForm>();
  const [busy, setBusy] = useState(false);
  const kind = Form.useWatch('targetKind', form) ?? 'channel';
  const units = useAsync((s) => orgApi.units(s), 'units');
  const channels = useAsync((s) => channelsApi.channels({}, s), 'channels');
  const targets =
    kind === 'channel'
      ? (channels.data?.items ?? []).map((c) => ({ value: String(c.id), label: c.name }))
      : kind === 'method'
        ? METHODS.map((m) => ({ value: m, label: t(`channelMethod.${m}`) }))
        : campaigns
            .filter((c) => c.kind === (kind === 'journey' ? 'journey' : 'mass_send'))
            .map((c) => ({ value: String(c.id), label: `${c.name}（${c.unitName}）` }));
  const submit = async (v: SpendForm) => {
    setBusy(true);
    try {
      const body: SpendInput = {
        unitId: v.unitId,
        targetKind: v.targetKind,
        targetKey: v.targetKey,
        month: v.month,
        amountFen: Math.round(v.yuan * 100),
        ...(v.note ? { note: v.note } : {}),
      };
      const saved = await leversApi.addSpend(body);
      message.success(t('levers.saved', { v: formatMoney(saved.amountFen, lang) }));
      form.resetFields(['targetKey', 'yuan', 'note']);
      onSaved();
    } catch (err) {
      message.error((err as Error).message, 6);
    } finally {
      setBusy(false);
    }
  };
  const req = [{ required: true, message: t('levers.required') }];
  return (
    <Modal
      open={open}
      title={t('levers.addSpend')}
      onCancel={onClose}
      okText={t('levers.save')}
      cancelText={t('levers.cancel')}
      confirmLoading={busy}
      onOk={() => form.submit()}
      okButtonProps={{ 'data-testid': 'spend-save' } as Record<string, string>}
      destroyOnHidden
    >
      <Form
        form={form}
        layout="vertical"
        onFinish={submit}
        initialValues={{ unitId: me.unitId, targetKind: 'channel', month: thisMonth() }}
      >
        <Form.Item name="unitId" label={t('levers.unit')} rules={req}>
          <Select
            options={(units.data?.items ?? []).map((u) => ({ value: u.id, label: u.name }))}
            showSearch
            optionFilterProp="label"
          />
        </Form.Item>
        <Form.Item name="targetKind" label={t('levers.targetKind')} rules={req}>
          <Select
            options={KINDS.map((k) => ({ value: k, label: t(`levers.kind.${k}`) }))}
            onChange={() => form.setFieldValue('targetKey', undefined)}
          />
        </Form.Item>
        <Form.Item name="targetKey" label={t('levers.target')} rules={req}>
          <Select options={targets} showSearch optionFilterProp="label" data-testid="spend-target" />
        </Form.Item>
        <Form.Item name="month" label={t('levers.spendMonth')} rules={req}>
          <Select options={monthOptions(12)} />
        </Form.Item>
        <Form.Item name="yuan" label={t('levers.amount')} rules={req}>
          <InputNumber
            min={0.01}
            max={1e10}
            precision={2}
            style={{ width: '100%' }}
            data-testid="spend-amount"
          />
        </Form.Item>
        <Form.Item name="note" label={t('levers.note')}>
          <Input maxLength={200} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** The drill-down to the customers with an order credited to a mass send or a journey. */
const creditedTo = (kind: 'mass_send' | 'journey', id: number) =>
  kind === 'journey' ? { journey: id } : { massSend: id };

/** CAC and ROI per spend: spend entered by a form or imported, the attribution window stated. */
export function RoiTab() {
  const { t } = useTranslation();
  const lang = useLang();
  const me = useMe();
  const { message, modal } = App.useApp();
  const [to, setTo] = useState(thisMonth());
  const [from, setFrom] = useState(addMonths(thisMonth(), -2));
  const [windowDays, setWindowDays] = useState(30);
  const [adding, setAdding] = useState(false);
  const [importing, setImporting] = useState(false);
  const [drill, setDrill] = useState<{ query: Omit<DrillQuery, 'offset' | 'limit'>; title: string } | null>(
    null,
  );
  const units = useAsync((s) => orgApi.units(s), 'units');
  const unitCode = units.data?.items.find((u) => u.id === me.unitId)?.code ?? 'hq';
  const roi = useAsync((s) => leversApi.roi({ from, to, windowDays }, s), `roi${from}${to}${windowDays}`);
  const spend = useAsync((s) => leversApi.spend({ from, to }, s), `spend${from}${to}`);
  const reload = () => {
    roi.reload();
    spend.reload();
  };
  const money = (v: number | null) => (v === null ? '—' : formatMoney(Math.round(v), lang));
  const target = (r: { targetKind: TargetKind; targetKey: string; targetName: string }) =>
    r.targetKind === 'method'
      ? t(`channelMethod.${r.targetKey}` as 'channelMethod.sms', { code: r.targetKey })
      : r.targetName;
  const upload = async (file: File) => {
    setImporting(true);
    try {
      const r = await leversApi.importSpend(file);
      if (r.errors.length) {
        modal.error({
          title: t('levers.importFailed', { n: r.errors.length }),
          content: (
            <List
              size="small"
              dataSource={r.errors.slice(0, 20)}
              renderItem={(e) => (
                <List.Item>
                  {t('levers.line', { n: e.line })}：{e.message}
                </List.Item>
              )}
            />
          ),
        });
      } else {
        message.success(t('levers.importDone', { n: r.imported }));
        reload();
      }
    } catch (err) {
      message.error((err as Error).message, 6);
    } finally {
      setImporting(false);
    }
  };
  const rows = roi.data?.rows ?? [];
  // on a phone the campaign table is cards, titled by the kind and the name
  const phone = !Grid.useBreakpoint().md;
  return (
    <Flex vertical gap={12}>
      <Flex wrap gap={8} align="center">
        {t('insight.from')}
        <Select value={from} onChange={setFrom} style={{ width: 110 }} options={monthOptions(24)} />
        {t('insight.to')}
        <Select value={to} onChange={setTo} style={{ width: 110 }} options={monthOptions(24)} />
        {t('levers.windowDays')}
        <Select
          value={windowDays}
          onChange={setWindowDays}
          style={{ width: 90 }}
          options={WINDOWS.map((d) => ({ value: d, label: t('levers.days', { n: d }) }))}
        />
      </Flex>
      <Alert
        type="info"
        showIcon
        data-testid="roi-window"
        message={t('levers.roiWindow', {
          d: roi.data?.windowDays ?? windowDays,
          a: roi.data?.attributionDays ?? '…',
        })}
      />
      <Flex wrap gap={8}>
        <Button
          type="primary"
          icon={<PlusOutlined />}
          onClick={() => setAdding(true)}
          data-testid="spend-add"
        >
          {t('levers.addSpend')}
        </Button>
        <Upload
          accept=".xlsx,.csv"
          showUploadList={false}
          beforeUpload={(file) => {
            void upload(file);
            return false;
          }}
        >
          <Button icon={<UploadOutlined />} loading={importing} data-testid="spend-import">
            {t('levers.importSpend')}
          </Button>
        </Upload>
        <Button icon={<DownloadOutlined />} onClick={() => downloadTemplate(unitCode)}>
          {t('levers.template')}
        </Button>
      </Flex>
      {roi.error ? <ErrorAlert error={roi.error} onRetry={roi.reload} /> : null}
      <Card
        size="small"
        title={t('levers.roiTable')}
        extra={
          <ExportButton
            onExport={(format) => leversApi.export({ view: 'roi', format, from, to, windowDays })}
            testId="roi-export"
          />
        }
      >
        {!roi.loading && rows.length === 0 ? <Alert type="warning" message={t('levers.noSpend')} /> : null}
        <Table<RoiRow>
          size="small"
          rowKey={(r) => `${r.unitId}|${r.targetKind}|${r.targetKey}|${r.month}`}
          loading={roi.loading}
          scroll={{ x: 900 }}
          pagination={{ pageSize: 20, hideOnSinglePage: true }}
          dataSource={rows}
          data-testid="roi-table"
          columns={[
            {
              title: t('levers.target'),
              key: 'target',
              fixed: 'left',
              render: (_, r) => `${t(`levers.kind.${r.targetKind}`)} · ${target(r)}`,
            },
            { title: t('levers.unit'), dataIndex: 'unitName', key: 'unit' },
            { title: t('levers.spendMonth'), key: 'month', render: (_, r) => r.month.slice(0, 7) },
            { title: t('levers.spend'), key: 'spend', render: (_, r) => money(r.spendFen) },
            {
              title: t('levers.newCustomers'),
              key: 'new',
              render: (_, r) =>
                r.newCustomers === 0 ? (
                  formatNumber(r.newCustomers, lang)
                ) : r.targetKind === 'campaign' || r.targetKind === 'journey' ? (
                  // the customers the campaign (a mass send or a journey) is credited with an order of
                  <Button
                    type="link"
                    size="small"
                    style={{ padding: 0 }}
                    data-testid="roi-campaign-drill"
                    onClick={() =>
                      setDrill({
                        query: creditedTo(
                          r.targetKind === 'journey' ? 'journey' : 'mass_send',
                          Number(r.targetKey),
                        ),
                        title: target(r),
                      })
                    }
                  >
                    {formatNumber(r.newCustomers, lang)}
                  </Button>
                ) : (
                  // the customers behind it: acquired that month through the channel or method, in the unit
                  <Button
                    type="link"
                    size="small"
                    style={{ padding: 0 }}
                    data-testid="roi-drill"
                    onClick={() =>
                      setDrill({
                        query: {
                          by: r.targetKind === 'method' ? 'method' : 'channel',
                          key: r.targetKey,
                          from: r.month.slice(0, 7),
                          to: r.month.slice(0, 7),
                          unitId: r.unitId,
                        },
                        title: `${target(r)} · ${r.month.slice(0, 7)}`,
                      })
                    }
                  >
                    {formatNumber(r.newCustomers, lang)}
                  </Button>
                ),
            },
            { title: t('levers.cac'), key: 'cac', render: (_, r) => money(r.cacFen) },
            { title: t('levers.attributedGmv'), key: 'gmv', render: (_, r) => money(r.attributedGmvFen) },
            { title: t('levers.roi'), key: 'roi', render: (_, r) => r.roi.toFixed(2) },
          ]}
        />
      </Card>
      <Card
        size="small"
        title={t('levers.campaigns')}
        extra={
          <ExportButton
            onExport={(format) => leversApi.export({ view: 'campaigns', format, from, to, windowDays })}
            testId="campaign-export"
          />
        }
      >
        <ResponsiveTable<Campaign>
          size="small"
          rowKey={(r) => `${r.kind}:${r.id}`}
          loading={roi.loading}
          scroll={{ x: 760 }}
          pagination={{ pageSize: 10, hideOnSinglePage: true }}
          dataSource={roi.data?.campaigns ?? []}
          data-testid="campaign-table"
          cardTitle={(r) => (
            <span>
              <Tag color={r.kind === 'journey' ? 'purple' : 'blue'}>{t(`levers.campaignKind.${r.kind}`)}</Tag>
              {r.name}
            </span>
          )}
          columns={[
            {
              title: t('levers.campaignName'),
              key: 'name',
              fixed: 'left',
              width: 240,
              hidden: phone,
              render: (_, r) => (
                <span data-testid={`campaign-${r.kind}`}>
                  <Tag color={r.kind === 'journey' ? 'purple' : 'blue'}>
                    {t(`levers.campaignKind.${r.kind}`)}
                  </Tag>
                  {r.name}
                </span>
              ),
            },
            { title: t('levers.unit'), dataIndex: 'unitName', key: 'unit' },
            {
              title: t('levers.buyers'),
              key: 'buyers',
              render: (_, r) =>
                r.buyers === 0 ? (
                  formatNumber(r.buyers, lang)
                ) : (
                  // the customers behind the campaign's GMV: those with an order credited to it
                  <Button
                    type="link"
                    size="small"
                    style={{ padding: 0 }}
                    data-testid={`campaign-drill-${r.kind}`}
                    onClick={() => setDrill({ query: creditedTo(r.kind, r.id), title: r.name })}
                  >
                    {formatNumber(r.buyers, lang)}
                  </Button>
                ),
            },
            { title: t('levers.orders'), dataIndex: 'orders', key: 'orders' },
            { title: 'GMV', key: 'gmv', render: (_, r) => money(r.gmvFen) },
            { title: t('levers.spend'), key: 'spend', render: (_, r) => money(r.spendFen) },
            {
              title: t('levers.roi'),
              key: 'roi',
              render: (_, r) => (r.roi === null ? '—' : r.roi.toFixed(2)),
            },
          ]}
        />
      </Card>
      <Card size="small" title={t('levers.entries')}>
        <Table
          size="small"
          rowKey="id"
          loading={spend.loading}
          scroll={{ x: 700 }}
          pagination={{ pageSize: 10, hideOnSinglePage: true }}
          dataSource={spend.data?.items ?? []}
          data-testid="spend-table"
          columns={[
            {
              title: t('levers.target'),
              key: 'target',
              fixed: 'left',
              render: (_, r) => `${t(`levers.kind.${r.targetKind}`)} · ${target(r)}`,
            },
            { title: t('levers.unit'), dataIndex: 'unitName', key: 'unit' },
            { title: t('levers.spendMonth'), key: 'month', render: (_, r) => r.month.slice(0, 7) },
            { title: t('levers.spend'), key: 'spend', render: (_, r) => money(r.amountFen) },
            { title: t('levers.note'), dataIndex: 'note', key: 'note' },
            {
              title: '',
              key: 'del',
              width: 48,
              render: (_, r) => (
                <Popconfirm
                  title={t('levers.delete')}
                  onConfirm={async () => {
                    try {
                      await leversApi.deleteSpend(r.id);
                      message.success(t('levers.deleted'));
                      reload();
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
                  />
                </Popconfirm>
              ),
            },
          ]}
        />
      </Card>
      <SpendModal
        open={adding}
        campaigns={roi.data?.campaigns ?? []}
        onClose={() => setAdding(false)}
        onSaved={() => {
          setAdding(false);
          reload();
        }}
      />
      <DrillDrawer query={drill?.query ?? null} title={drill?.title ?? ''} onClose={() => setDrill(null)} />
    </Flex>
  );
}
