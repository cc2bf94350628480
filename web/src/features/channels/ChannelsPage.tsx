import {
  DownloadOutlined,
  EditOutlined,
  InboxOutlined,
  PlusOutlined,
  WarningOutlined,
} from '@ant-design/icons';
import {
  App,
  Button,
  Card,
  Empty,
  Flex,
  Popconfirm,
  Progress,
  Segmented,
  Skeleton,
  Space,
  type TableColumnsType,
  Tabs,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import type { TFunction } from 'i18next';
import { useCallback, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useLang } from '../../i18n';
import { ErrorAlert, PageHeader } from '../../shared/components';
import { useAsync } from '../../shared/hooks';
import { ResponsiveTable } from '../../shared/ResponsiveTable';
import { useMe } from '../accounts/auth';
import { mayCreate } from '../accounts/permissions';
import { orgApi } from '../org/api';
import {
  type ChannelDetail,
  type ChannelFunnel,
  type ChannelRow,
  channelsApi,
  MATERIAL_KINDS,
  type MethodRow,
} from './api';
import { ChannelEditor } from './ChannelEditor';
import { LinkageSettings } from './LinkageSettings';

const PERIODS = [7, 30, 90] as const;
type Days = (typeof PERIODS)[number];

const percent = (part: number, whole: number) => (whole > 0 ? `${Math.round((part / whole) * 100)}%` : '—');

function methodLabel(t: TFunction, method: string) {
  return t(`channelMethod.${method}` as 'channelMethod.other');
}

function funnelColumns<T extends ChannelFunnel>(t: TFunction): TableColumnsType<T> {
  return [
    { key: 'scans', title: t('channels.scans'), dataIndex: 'scans', align: 'right' },
    {
      key: 'adds',
      title: t('channels.adds'),
      align: 'right',
      render: (_, r) => (
        <Tooltip title={t('channels.addRate')}>
          <span>
            <Typography.Text strong>{r.adds}</Typography.Text>
            {r.scans ? (
              <Typography.Text type="secondary"> · {percent(r.adds, r.scans)}</Typography.Text>
            ) : null}
          </span>
        </Tooltip>
      ),
    },
    {
      key: 'welcomeMissed',
      title: <Tooltip title={t('channels.welcomeMissedHint')}>{t('channels.welcomeMissed')}</Tooltip>,
      align: 'right',
      render: (_, r) =>
        r.welcomeMissed ? <Typography.Text type="warning">{r.welcomeMissed}</Typography.Text> : 0,
    },
    {
      key: 'retained',
      title: <Tooltip title={t('channels.retainedHint')}>{t('channels.retained7d')}</Tooltip>,
      align: 'right',
      render: (_, r) => percent(r.retained7d, r.adds7dOld),
    },
    {
      key: 'deleted',
      title: t('channels.deleted'),
      align: 'right',
      render: (_, r) => (
        <span>
          {r.deleted}
          {r.adds ? (
            <Typography.Text type="secondary"> · {percent(r.deleted, r.adds)}</Typography.Text>
          ) : null}
        </span>
      ),
    },
  ];
}

function MethodTag({ row }: { row: { method: string; scalable: boolean } }) {
  const { t } = useTranslation();
  return (
    <Flex gap={4} wrap>
      <Tag color="geekblue">{methodLabel(t, row.method)}</Tag>
      {row.scalable ? null : (
        <Tooltip title={t('channels.notScalableHint')}>
          <Tag color="warning" icon={<WarningOutlined />}>
            {t('channels.notScalable')}
          </Tag>
        </Tooltip>
      )}
    </Flex>
  );
}

/** The codes of one channel (one per store for store channels): whom they route to, their QR and scans. */
function ChannelCodes({ id }: { id: number }) {
  const { t } = useTranslation();
  const lang = useLang();
  const me = useMe();
  const detail = useAsync((signal) => channelsApi.channel(id, signal), `channel:${id}`);
  if (detail.error) return <ErrorAlert error={detail.error} onRetry={detail.reload} />;
  if (!detail.data) return <Skeleton active paragraph={{ rows: 2 }} />;
  const { codes, tags } = detail.data;
  return (
    <Flex vertical gap={12} data-testid="channel-codes">
      <Flex gap={8} wrap align="center">
        {tags.length ? <Typography.Text type="secondary">{t('channels.tagsOnAdd')}</Typography.Text> : null}
        {tags.map((tag) => (
          <Tag key={tag.id} color="blue">
            {tag.name}
          </Tag>
        ))}
      </Flex>
      <Flex gap={12} wrap>
        {codes.map((code) => (
          <Card key={code.id} size="small" style={{ width: 260 }} title={code.unitName}>
            <Flex vertical gap={6} align="center">
              <Tag
                color={code.sync === 'failed' ? 'error' : code.sync === 'ready' ? 'success' : 'processing'}
              >
                {t(`channels.sync.${code.sync}`)}
              </Tag>
              {code.syncError ? <Typography.Text type="danger">{code.syncError}</Typography.Text> : null}
              <Typography.Text type="secondary">
                {t('channels.routesTo', {
                  names: code.currentStaffNames.join(lang === 'zh' ? '、' : ', ') || t('common.none'),
                })}
              </Typography.Text>
              <Typography.Text type="secondary">
                {t('channels.scanCount', { count: code.scans })}
              </Typography.Text>
              <Flex gap={12}>
                <Typography.Link href={`/c/${me.corpId}/${encodeURIComponent(code.state)}`} target="_blank">
                  {t('channels.landing')}
                </Typography.Link>
                {code.qrCode ? (
                  <Typography.Link href={code.qrCode} target="_blank" rel="noreferrer">
                    {t('channels.wecomQr')}
                  </Typography.Link>
                ) : null}
              </Flex>
              <Typography.Text className="mono" copyable>
                {code.state}
              </Typography.Text>
              <Flex gap={6} wrap justify="center" data-testid="material">
                {MATERIAL_KINDS.map((kind) => (
                  <Button
                    key={kind}
                    size="small"
                    icon={<DownloadOutlined />}
                    href={channelsApi.materialUrl(id, code.id, kind)}
                    download
                  >
                    {t(`channels.material.${kind}`)}
                  </Button>
                ))}
              </Flex>
            </Flex>
          </Card>
        ))}
      </Flex>
    </Flex>
  );
}

function MethodComparison({ rows }: { rows: MethodRow[] }) {
  const { t } = useTranslation();
  const max = Math.max(1, ...rows.map((r) => r.adds));
  if (rows.length === 0)
    return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('channels.empty')} />;
  return (
    <Flex vertical gap={14} data-testid="method-comparison">
      {[...rows]
        .sort((a, b) => b.adds - a.adds)
        .map((r) => (
          <Flex key={r.method} align="center" gap={16} wrap>
            <div style={{ width: 180 }}>
              <MethodTag row={r} />
              <Typography.Text type="secondary">
                {t('channels.channelCount', { count: r.channels })}
              </Typography.Text>
            </div>
            <div style={{ flex: 1, minWidth: 200 }}>
              <Progress
                percent={Math.round((r.adds / max) * 100)}
                format={() => r.adds}
                strokeColor="#0f766e"
              />
            </div>
            <Typography.Text type="secondary" style={{ width: 220 }}>
              {t('channels.retained7d')}{' '}
              {r.retention7d === null ? '—' : `${Math.round(r.retention7d * 100)}%`} · {t('channels.deleted')}{' '}
              {r.deleted}
            </Typography.Text>
          </Flex>
        ))}
    </Flex>
  );
}

export default function ChannelsPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const me = useMe();
  const canCreate = mayCreate(me);
  const [editor, setEditor] = useState<{ open: boolean; channel?: ChannelDetail }>({ open: false });
  const [days, setDays] = useState<Days>(30);
  const period = useMemo(() => ({ from: new Date(Date.now() - days * 86_400_000).toISOString() }), [days]);
  const channels = useAsync((signal) => channelsApi.channels(period, signal), `channels:${days}`);
  const units = useAsync((signal) => orgApi.units(signal), 'units');
  // The linkage is set for the brand (its root) and per store.
  const linkageUnits = (units.data?.items ?? []).filter((u) => u.parentId === null || u.kind === 'store');
  const methods = useAsync((signal) => channelsApi.channelMethods(period, signal), `methods:${days}`);
  const { reload: reloadChannels } = channels;
  const { reload: reloadMethods } = methods;
  const reloadAll = useCallback(() => {
    reloadChannels();
    reloadMethods();
  }, [reloadChannels, reloadMethods]);

  const columns: TableColumnsType<ChannelRow> = useMemo(
    () => [
      {
        key: 'name',
        title: t('channels.name'),
        render: (_, r) => (
          <Flex vertical>
            <Typography.Text strong>{r.name}</Typography.Text>
            {r.status === 'archived' ? <Tag>{t('channels.archived')}</Tag> : null}
          </Flex>
        ),
      },
      { key: 'method', title: t('channels.method'), render: (_, r) => <MethodTag row={r} /> },
      { key: 'scene', title: t('channels.scene'), dataIndex: 'scene' },
      {
        key: 'bait',
        title: t('channels.bait'),
        render: (_, r) =>
          r.bait ? <Tag color="gold">{r.bait}</Tag> : <Typography.Text type="secondary">—</Typography.Text>,
      },
      { key: 'unit', title: t('channels.unit'), dataIndex: 'unitName' },
      { key: 'mode', title: t('channels.assignMode'), render: (_, r) => t(`channels.mode.${r.assignMode}`) },
      ...funnelColumns<ChannelRow>(t),
      {
        key: 'actions',
        title: '',
        // What the server says this caller may do with this channel: nothing on another unit's.
        render: (_: unknown, r: ChannelRow) =>
          r.editable && r.status === 'active' ? (
            <Space size={4} data-testid="channel-actions">
              <Button
                size="small"
                icon={<EditOutlined />}
                data-testid="channel-edit"
                onClick={async () => setEditor({ open: true, channel: await channelsApi.channel(r.id) })}
              >
                {t('channelEditor.edit')}
              </Button>
              <Popconfirm
                title={t('channels.archiveConfirm', { name: r.name })}
                okText={t('channels.archive')}
                cancelText={t('channelEditor.cancel')}
                okButtonProps={{ danger: true }}
                onConfirm={async () => {
                  try {
                    await channelsApi.archiveChannel(r.id);
                    message.success(t('channels.archivedDone', { name: r.name }));
                    reloadAll();
                  } catch (err) {
                    message.error((err as Error).message);
                  }
                }}
              >
                <Button size="small" icon={<InboxOutlined />} data-testid="channel-archive">
                  {t('channels.archive')}
                </Button>
              </Popconfirm>
            </Space>
          ) : null,
      },
    ],
    [t, message, reloadAll],
  );

  return (
    <>
      <PageHeader
        title={t('channels.title')}
        subtitle={t('channels.subtitle')}
        extra={
          <Space>
            <Segmented<Days>
              value={days}
              onChange={setDays}
              options={PERIODS.map((d) => ({ value: d, label: t('channels.lastDays', { count: d }) }))}
            />
            {canCreate ? (
              <Button
                type="primary"
                icon={<PlusOutlined />}
                onClick={() => setEditor({ open: true })}
                data-testid="channel-create"
              >
                {t('channelEditor.createTitle')}
              </Button>
            ) : null}
          </Space>
        }
      />
      <ChannelEditor
        open={editor.open}
        channel={editor.channel}
        onClose={() => setEditor({ open: false })}
        onSaved={() => {
          setEditor({ open: false });
          reloadAll();
        }}
      />
      <Card>
        <Tabs
          items={[
            {
              key: 'channels',
              label: t('channels.tabChannels'),
              children: (
                <>
                  {channels.error ? <ErrorAlert error={channels.error} onRetry={channels.reload} /> : null}
                  <ResponsiveTable
                    rowKey="id"
                    size="middle"
                    data-testid="channels-table"
                    columns={columns}
                    dataSource={channels.data?.items}
                    loading={channels.loading}
                    pagination={false}
                    scroll={{ x: 'max-content' }}
                    expandable={{ expandedRowRender: (r) => <ChannelCodes id={r.id} /> }}
                    locale={{
                      emptyText: (
                        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('channels.empty')} />
                      ),
                    }}
                  />
                </>
              ),
            },
            {
              key: 'linkage',
              label: t('channels.tabLinkage'),
              children: (
                <Flex vertical gap={12}>
                  <Typography.Paragraph type="secondary">{t('linkage.intro')}</Typography.Paragraph>
                  <Flex gap={12} wrap align="flex-start">
                    {linkageUnits.map((u) => (
                      <div key={u.id} style={{ width: 420 }}>
                        <LinkageSettings unitId={u.id} unitName={u.name} />
                      </div>
                    ))}
                  </Flex>
                </Flex>
              ),
            },
            {
              key: 'methods',
              label: t('channels.tabMethods'),
              children: methods.error ? (
                <ErrorAlert error={methods.error} onRetry={methods.reload} />
              ) : methods.data ? (
                <MethodComparison rows={methods.data.items} />
              ) : (
                <Skeleton active />
              ),
            },
          ]}
        />
      </Card>
    </>
  );
}
