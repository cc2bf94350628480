import { DeleteOutlined, PlusOutlined, WarningFilled } from '@ant-design/icons';
import {
  Alert,
  App,
  AutoComplete,
  Button,
  Card,
  Col,
  Empty,
  Flex,
  Input,
  Progress,
  Result,
  Row,
  Segmented,
  Select,
  Skeleton,
  Table,
  type TableColumnsType,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import { type HTMLAttributes, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useParams } from 'react-router-dom';
import { useLang } from '../../i18n';
import { ApiError, isAbort } from '../../shared/api/client';
import { ErrorAlert, PageHeader } from '../../shared/components';
import { formatMoney, formatNumber } from '../../shared/format';
import { useAsync } from '../../shared/hooks';
import { ResponsiveTable } from '../../shared/ResponsiveTable';
import { useMe } from '../accounts/auth';
import { mayCreate } from '../accounts/permissions';
import { type Layer, type LayerInput, type Layering, type Segment, segmentsApi } from './api';
import { EditorActions } from './EditorActions';

/** Operations an operator most often gives a layer; any text is allowed. */
const SUGGESTED_OPERATIONS = [
  'newTrial',
  'repurchaseCoupon',
  'birthday',
  'winBack',
  'memberDay',
  'vipService',
] as const;

export const GMV_WINDOWS = [30, 90, 365] as const;
type GmvDays = (typeof GMV_WINDOWS)[number];

/** Layers named by a warning, so their rows can carry the warning too. */
function warnedSegments(layering: Layering): Map<number, string[]> {
  const warned = new Map<number, string[]>();
  for (const w of layering.warnings) {
    for (const id of w.segmentIds) warned.set(id, [...(warned.get(id) ?? []), w.message]);
  }
  return warned;
}

function Warnings({ layering }: { layering: Layering }) {
  const { t } = useTranslation();
  if (layering.warnings.length === 0) return null;
  return (
    <Alert
      type="warning"
      showIcon
      data-testid="layering-warnings"
      title={t('layers.warningsTitle', { count: layering.warnings.length })}
      description={
        <ul className="layer-warnings">
          {layering.warnings.map((w) => (
            <li key={`${w.kind}:${w.segmentIds.join(',')}`} data-testid={`warning-${w.kind}`}>
              <Tag color={w.kind === 'same_operation' ? 'red' : 'orange'}>
                {t(`layers.warningKind.${w.kind}`)}
              </Tag>
              {w.message}
            </li>
          ))}
        </ul>
      }
    />
  );
}

/** Each layer's size, GMV and share of the total GMV (a bar), as the server computed them. */
function LayerResults({ layering }: { layering: Layering }) {
  const { t } = useTranslation();
  const lang = useLang();
  const warned = warnedSegments(layering);
  const sameOperation = new Set(
    layering.warnings.filter((w) => w.kind === 'same_operation').flatMap((w) => w.segmentIds),
  );
  const columns: TableColumnsType<Layer> = [
    {
      key: 'segment',
      title: t('layers.segment'),
      render: (_, l) => (
        <Flex align="center" gap={6}>
          {warned.has(l.segmentId) ? (
            <Tooltip title={warned.get(l.segmentId)?.join('\n')}>
              <WarningFilled className="layer-warned" aria-label={t('layers.warned')} />
            </Tooltip>
          ) : null}
          <Typography.Text strong>{l.segmentName}</Typography.Text>
        </Flex>
      ),
    },
    {
      key: 'operation',
      title: t('layers.operation'),
      render: (_, l) => <Tag color={sameOperation.has(l.segmentId) ? 'red' : 'blue'}>{l.operation}</Tag>,
    },
    {
      key: 'size',
      title: t('layers.size'),
      align: 'right',
      render: (_, l) => formatNumber(l.size, lang),
    },
    {
      key: 'gmv',
      title: t('layers.gmv'),
      align: 'right',
      render: (_, l) => formatMoney(l.gmvFen, lang),
    },
    {
      key: 'share',
      title: t('layers.gmvShare'),
      width: 180,
      render: (_, l) => (
        <Progress
          percent={Math.round(l.gmvShare * 1000) / 10}
          format={(p) => `${p}%`}
          strokeColor="#0f766e"
          size="small"
        />
      ),
    },
  ];
  return (
    <Flex vertical gap={12} data-testid="layering-result">
      <Warnings layering={layering} />
      <ResponsiveTable<Layer>
        rowKey={(l) => `${l.segmentId}:${l.operation}`}
        size="middle"
        columns={columns}
        dataSource={layering.layers}
        pagination={false}
        scroll={{ x: 'max-content' }}
        rowClassName={(l) => (warned.has(l.segmentId) ? 'layer-row-warned' : '')}
        summary={() => (
          <Table.Summary.Row>
            <Table.Summary.Cell index={0} colSpan={3}>
              <Typography.Text type="secondary">{t('layers.total', { days: layering.days })}</Typography.Text>
            </Table.Summary.Cell>
            <Table.Summary.Cell index={3} align="right">
              <Typography.Text strong>{formatMoney(layering.totalGmvFen, lang)}</Typography.Text>
            </Table.Summary.Cell>
            <Table.Summary.Cell index={4} />
          </Table.Summary.Row>
        )}
      />
    </Flex>
  );
}

function LayeringList() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const canCreate = mayCreate(useMe());
  const list = useAsync((signal) => segmentsApi.layerings(365, signal), 'layerings');
  const columns: TableColumnsType<Layering> = [
    {
      key: 'name',
      title: t('layers.name'),
      render: (_, l) => <Typography.Text strong>{l.name}</Typography.Text>,
    },
    {
      key: 'layers',
      title: t('layers.layers'),
      render: (_, l) => (
        <Flex gap={4} wrap>
          {l.layers.map((layer) => (
            <Tag key={`${layer.segmentId}:${layer.operation}`}>
              {layer.segmentName} → {layer.operation}
            </Tag>
          ))}
        </Flex>
      ),
    },
    { key: 'unit', title: t('layers.unit'), dataIndex: 'unitName' },
    {
      key: 'warnings',
      title: t('layers.warnings'),
      render: (_, l) =>
        l.warnings.length ? (
          <Tag color="warning" icon={<WarningFilled />}>
            {t('layers.warningCount', { count: l.warnings.length })}
          </Tag>
        ) : (
          <Tag color="success">{t('layers.noWarnings')}</Tag>
        ),
    },
  ];
  return (
    <>
      <PageHeader
        title={t('layers.title')}
        subtitle={t('layers.subtitle')}
        extra={
          canCreate ? (
            <Button
              type="primary"
              icon={<PlusOutlined />}
              onClick={() => navigate('/layers/new')}
              data-testid="layering-create"
            >
              {t('layers.create')}
            </Button>
          ) : null
        }
      />
      <Card>
        {list.error ? <ErrorAlert error={list.error} onRetry={list.reload} /> : null}
        <ResponsiveTable<Layering>
          className="clickable-rows"
          rowKey="id"
          size="middle"
          data-testid="layerings-table"
          columns={columns}
          dataSource={list.data?.items}
          loading={list.loading}
          pagination={false}
          scroll={{ x: 'max-content' }}
          onRow={(l) =>
            ({
              'data-testid': 'layering-row',
              tabIndex: 0,
              onClick: () => navigate(`/layers/${l.id}`),
              onKeyDown: (e) => {
                if (e.key === 'Enter') navigate(`/layers/${l.id}`);
              },
            }) as HTMLAttributes<HTMLElement>
          }
          locale={{
            emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('layers.empty')} />,
          }}
        />
      </Card>
    </>
  );
}

interface LayerDraft extends Partial<LayerInput> {
  key: number;
}

let lastKey = 0;
const draftOf = (l?: LayerInput): LayerDraft => ({ key: ++lastKey, ...l });

function LayeringEditor({ layering, segments }: { layering: Layering | null; segments: Segment[] }) {
  const { t } = useTranslation();
  const lang = useLang();
  const navigate = useNavigate();
  const { message } = App.useApp();
  const [saved, setSaved] = useState<Layering | null>(layering);
  const [name, setName] = useState(layering?.name ?? '');
  const [layers, setLayers] = useState<LayerDraft[]>(() =>
    layering?.layers.length ? layering.layers.map((l) => draftOf(l)) : [draftOf()],
  );
  const [saving, setSaving] = useState(false);
  const [dirty, setDirty] = useState(false);
  const [days, setDays] = useState<GmvDays>(365);
  const me = useMe();
  // What the server says this caller may do with this layering; a new one, what the routes allow.
  const canSave = saved ? saved.editable : mayCreate(me);

  // Another GMV window: the same layering, recomputed.
  const savedId = saved?.id;
  useEffect(() => {
    if (!savedId) return;
    const ctrl = new AbortController();
    segmentsApi.layering(savedId, days, ctrl.signal).then(
      (result) => {
        if (!ctrl.signal.aborted) setSaved(result);
      },
      (err: unknown) => {
        if (!ctrl.signal.aborted && !isAbort(err)) message.error((err as Error).message);
      },
    );
    return () => ctrl.abort();
  }, [savedId, days, message]);

  const segmentOptions = useMemo(
    () =>
      segments.map((s) => ({
        value: s.id,
        label: s.name,
        count: s.count,
      })),
    [segments],
  );
  const operationOptions = useMemo(() => {
    const used = layers.map((l) => l.operation?.trim()).filter((o): o is string => Boolean(o));
    const suggested = SUGGESTED_OPERATIONS.map((k) => t(`layers.suggestion.${k}`));
    return [...new Set([...suggested, ...used])].map((value) => ({ value }));
  }, [layers, t]);

  const change = (key: number, patch: Partial<LayerInput>) => {
    setLayers((ls) => ls.map((l) => (l.key === key ? { ...l, ...patch } : l)));
    setDirty(true);
  };

  const save = async () => {
    const complete = layers.filter((l) => l.segmentId && l.operation?.trim());
    if (!name.trim()) {
      message.error(t('layers.nameRequired'));
      return;
    }
    if (complete.length === 0 || complete.length !== layers.length) {
      message.error(t('layers.layerIncomplete'));
      return;
    }
    setSaving(true);
    try {
      const input = {
        name: name.trim(),
        layers: complete.map((l) => ({ segmentId: l.segmentId!, operation: l.operation!.trim() })),
      };
      const result = saved
        ? await segmentsApi.updateLayering(saved.id, input, days)
        : await segmentsApi.createLayering(input, days);
      setSaved(result);
      setDirty(false);
      message.success(t('layers.saved'));
      if (!saved) navigate(`/layers/${result.id}`, { replace: true });
    } catch (err) {
      message.error((err as Error).message);
    } finally {
      setSaving(false);
    }
  };

  const remove = async () => {
    if (!saved) return;
    try {
      await segmentsApi.deleteLayering(saved.id);
      message.success(t('layers.deleted', { name: saved.name }));
      navigate('/layers');
    } catch (err) {
      message.error((err as Error).message);
    }
  };

  return (
    <>
      <PageHeader
        title={saved ? saved.name : t('layers.createTitle')}
        subtitle={t('layers.editorSubtitle')}
        extra={
          <EditorActions
            strings="layers"
            backTo="/layers"
            onBack={navigate}
            savedName={saved ? saved.name : null}
            canSave={canSave}
            saving={saving}
            onSave={save}
            onDelete={remove}
            saveTestId="layering-save"
          />
        }
      />
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={9}>
          <Card title={t('layers.editTitle')}>
            {canSave ? (
              <Flex vertical gap={12}>
                <Input
                  id="layering-name"
                  size="large"
                  placeholder={t('layers.namePlaceholder')}
                  value={name}
                  maxLength={60}
                  onChange={(e) => {
                    setName(e.target.value);
                    setDirty(true);
                  }}
                />
                {segments.length === 0 ? (
                  <Alert
                    type="info"
                    showIcon
                    title={t('layers.noSegments')}
                    action={
                      <Button size="small" onClick={() => navigate('/segments/new')}>
                        {t('layers.createSegment')}
                      </Button>
                    }
                  />
                ) : null}
                {layers.map((l, i) => (
                  <Flex key={l.key} align="center" gap={8} className="layer-draft" data-testid="layer-draft">
                    <span className="layer-index">{i + 1}</span>
                    <Select<number>
                      showSearch={{ optionFilterProp: 'label' }}
                      placeholder={t('layers.segmentPlaceholder')}
                      value={l.segmentId}
                      // A segment is one layer: the ones other layers took are greyed out.
                      options={segmentOptions.map((o) => ({
                        ...o,
                        disabled: o.value !== l.segmentId && layers.some((x) => x.segmentId === o.value),
                      }))}
                      optionRender={(o) => (
                        <Flex justify="space-between" gap={12}>
                          <span>{o.data.label}</span>
                          <Typography.Text type="secondary">
                            {t('layers.people', { count: o.data.count, n: formatNumber(o.data.count, lang) })}
                          </Typography.Text>
                        </Flex>
                      )}
                      onChange={(segmentId) => change(l.key, { segmentId })}
                      style={{ flex: '1 1 0', minWidth: 140 }}
                      popupMatchSelectWidth={280}
                      data-testid="layer-segment"
                    />
                    <AutoComplete
                      placeholder={t('layers.operationPlaceholder')}
                      value={l.operation}
                      options={operationOptions}
                      showSearch={{
                        filterOption: (input, option) => (option?.value ?? '').includes(input.trim()),
                      }}
                      onChange={(operation: string) => change(l.key, { operation })}
                      style={{ flex: '1 1 0', minWidth: 120 }}
                      data-testid="layer-operation"
                    />
                    <Button
                      type="text"
                      icon={<DeleteOutlined />}
                      aria-label={t('layers.removeLayer')}
                      disabled={layers.length === 1}
                      onClick={() => {
                        setLayers((ls) => ls.filter((x) => x.key !== l.key));
                        setDirty(true);
                      }}
                    />
                  </Flex>
                ))}
                <Button
                  type="dashed"
                  icon={<PlusOutlined />}
                  onClick={() => {
                    setLayers((ls) => [...ls, draftOf()]);
                    setDirty(true);
                  }}
                  data-testid="layer-add"
                >
                  {t('layers.addLayer')}
                </Button>
                <Typography.Text type="secondary">{t('layers.purposeHint')}</Typography.Text>
              </Flex>
            ) : (
              <Flex vertical gap={12} data-testid="layering-readonly">
                <Alert
                  type="info"
                  showIcon
                  title={t('layers.readOnly', { unit: saved?.unitName ?? me.unitName })}
                />
                <Typography.Title level={4} style={{ margin: 0 }}>
                  {name}
                </Typography.Title>
                {(saved?.layers ?? []).map((l, i) => (
                  <Flex
                    key={l.segmentId}
                    align="center"
                    gap={8}
                    className="layer-draft"
                    data-testid="layer-view"
                  >
                    <span className="layer-index">{i + 1}</span>
                    <Typography.Text strong>{l.segmentName}</Typography.Text>
                    <Typography.Text type="secondary">→</Typography.Text>
                    <Tag color="blue" style={{ marginInlineEnd: 0 }}>
                      {l.operation}
                    </Tag>
                  </Flex>
                ))}
              </Flex>
            )}
          </Card>
        </Col>
        <Col xs={24} xl={15}>
          <Card
            title={t('layers.resultTitle')}
            extra={
              <Segmented<GmvDays>
                size="small"
                value={days}
                onChange={setDays}
                options={GMV_WINDOWS.map((d) => ({ value: d, label: t('layers.lastDays', { count: d }) }))}
              />
            }
          >
            {saved ? (
              <Flex vertical gap={12}>
                {dirty && canSave ? <Alert type="info" showIcon title={t('layers.dirty')} /> : null}
                <LayerResults layering={saved} />
              </Flex>
            ) : (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('layers.saveToSee')} />
            )}
          </Card>
        </Col>
      </Row>
    </>
  );
}

/** /layers: the layerings; /layers/new and /layers/:id: the editor with each layer's size and GMV share. */
export default function LayersPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { id } = useParams();
  const editing = id !== undefined;
  const layeringId = id && id !== 'new' ? Number(id) : undefined;
  const segments = useAsync(
    (signal) => (editing ? segmentsApi.segments(signal) : Promise.resolve(null)),
    `segments:${editing}`,
  );
  const layering = useAsync(
    (signal) => (layeringId ? segmentsApi.layering(layeringId, 365, signal) : Promise.resolve(null)),
    `layering:${layeringId ?? ''}`,
  );

  if (!editing) return <LayeringList />;
  if (id !== 'new' && !(layeringId && Number.isSafeInteger(layeringId))) {
    return <Result status="404" title={t('layers.notFound')} />;
  }
  const error = segments.error ?? layering.error;
  if (error instanceof ApiError && error.status === 404) {
    return (
      <Result
        status="404"
        title={t('layers.notFound')}
        extra={<Button onClick={() => navigate('/layers')}>{t('layers.back')}</Button>}
      />
    );
  }
  if (error) return <ErrorAlert error={error} onRetry={layering.error ? layering.reload : segments.reload} />;
  const loaded = layeringId ? layering.data?.id === layeringId : true;
  if (segments.loading || layering.loading || !segments.data || !loaded) return <Skeleton active />;
  return (
    <LayeringEditor
      key={layeringId ?? 'new'}
      layering={layeringId ? (layering.data ?? null) : null}
      segments={segments.data.items}
    />
  );
}
