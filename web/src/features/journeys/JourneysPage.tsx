import { PlusOutlined } from '@ant-design/icons';
import {
  App,
  Button,
  Card,
  Empty,
  Flex,
  Form,
  Input,
  Modal,
  type TableColumnsType,
  Tag,
  Typography,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { useLang } from '../../i18n';
import { ErrorAlert, PageHeader } from '../../shared/components';
import { formatDateTime, formatNumber } from '../../shared/format';
import { useAsync } from '../../shared/hooks';
import { ResponsiveTable } from '../../shared/ResponsiveTable';
import { useMe } from '../accounts/auth';
import { type JourneySummary, type JourneyTemplate, journeysApi, STATUS_COLOR } from './api';
import { JourneyEditor } from './JourneyEditor';

/** 客户旅程: the list (`/journeys`) and one journey's canvas (`/journeys/:id`). */
export default function JourneysPage() {
  const { id } = useParams();
  if (id !== undefined) return <JourneyEditor key={id} id={Number(id)} />;
  return <JourneyList />;
}

/** A new draft from a playbook template (or a blank one), named by the manager. */
function NewJourney({ open, onClose }: { open: boolean; onClose(): void }) {
  const { t } = useTranslation();
  const lang = useLang();
  const navigate = useNavigate();
  const { message } = App.useApp();
  const templates = useAsync((signal) => journeysApi.templates(signal), 'journey-templates');
  const [picked, setPicked] = useState<JourneyTemplate | 'blank' | null>(null);
  const [name, setName] = useState('');
  const [saving, setSaving] = useState(false);
  const create = async () => {
    if (!picked || !name.trim()) return;
    setSaving(true);
    try {
      const graph =
        picked === 'blank'
          ? {
              trigger: { kind: 'first_order' as const },
              reentry: false,
              start: 'send1',
              nodes: [
                {
                  id: 'send1',
                  kind: 'send' as const,
                  text: '{{name}}，感谢你的第一单！',
                  position: { x: 0, y: 0 },
                },
              ],
            }
          : picked.graph;
      const made = await journeysApi.create({
        name: name.trim(),
        graph,
        template: picked === 'blank' ? undefined : picked.key,
      });
      void message.success(t('journeys.created'));
      navigate(`/journeys/${made.id}`);
    } catch (e) {
      void message.error((e as Error).message);
    } finally {
      setSaving(false);
    }
  };
  return (
    <Modal
      open={open}
      onCancel={onClose}
      title={t('journeys.fromTemplate')}
      okText={t('journeys.create')}
      okButtonProps={{ disabled: !picked || !name.trim(), loading: saving }}
      onOk={create}
      width="min(640px, 100vw)"
    >
      {templates.error ? <ErrorAlert error={templates.error} onRetry={templates.reload} /> : null}
      <Flex vertical gap={8} style={{ marginBottom: 16 }}>
        {[...(templates.data?.items ?? []), 'blank' as const].map((tpl) => {
          const key = tpl === 'blank' ? 'blank' : tpl.key;
          const title = tpl === 'blank' ? t('journeys.blank') : tpl.name[lang];
          const active =
            picked === tpl ||
            (picked !== null && picked !== 'blank' && tpl !== 'blank' && picked.key === tpl.key);
          return (
            <Card
              key={key}
              size="small"
              hoverable
              onClick={() => {
                setPicked(tpl);
                setName(title);
              }}
              style={active ? { borderColor: '#1677ff' } : undefined}
              data-testid={`journey-template-${key}`}
            >
              <Typography.Text strong>{title}</Typography.Text>
              {tpl !== 'blank' ? (
                <Typography.Paragraph type="secondary" style={{ margin: 0 }}>
                  {tpl.description[lang]}
                </Typography.Paragraph>
              ) : null}
            </Card>
          );
        })}
      </Flex>
      <Form layout="vertical">
        <Form.Item label={t('journeys.nameLabel')} required>
          <Input value={name} maxLength={60} onChange={(e) => setName(e.target.value)} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

function JourneyList() {
  const { t } = useTranslation();
  const lang = useLang();
  const me = useMe();
  const list = useAsync((signal) => journeysApi.list(signal), 'journeys');
  const [creating, setCreating] = useState(false);
  const canCreate = me.role !== 'staff';
  const columns: TableColumnsType<JourneySummary> = [
    {
      key: 'name',
      title: t('journeys.columns.name'),
      render: (_, j) => <Link to={`/journeys/${j.id}`}>{j.name}</Link>,
    },
    {
      key: 'status',
      title: t('journeys.columns.status'),
      render: (_, j) => <Tag color={STATUS_COLOR[j.status]}>{t(`journeys.status.${j.status}`)}</Tag>,
    },
    {
      key: 'trigger',
      title: t('journeys.columns.trigger'),
      responsive: ['md'],
      render: (_, j) => t(`journeys.trigger.${j.trigger}` as 'journeys.trigger.order'),
    },
    {
      key: 'active',
      title: t('journeys.columns.active'),
      align: 'right',
      render: (_, j) => formatNumber(j.active, lang),
    },
    {
      key: 'done',
      title: t('journeys.columns.done'),
      align: 'right',
      responsive: ['sm'],
      render: (_, j) => formatNumber(j.done, lang),
    },
    {
      key: 'exited',
      title: t('journeys.columns.exited'),
      align: 'right',
      responsive: ['md'],
      render: (_, j) => formatNumber(j.exited, lang),
    },
    {
      key: 'version',
      title: t('journeys.columns.version'),
      responsive: ['lg'],
      render: (_, j) => `v${j.currentVersion}`,
    },
    { key: 'unit', title: t('journeys.columns.unit'), responsive: ['lg'], dataIndex: 'unitName' },
    {
      key: 'updatedAt',
      title: t('journeys.columns.updatedAt'),
      responsive: ['lg'],
      render: (_, j) => formatDateTime(j.updatedAt, lang),
    },
  ];
  return (
    <>
      <PageHeader
        title={t('journeys.title')}
        subtitle={t('journeys.subtitle')}
        extra={
          canCreate ? (
            <Button
              type="primary"
              icon={<PlusOutlined />}
              onClick={() => setCreating(true)}
              data-testid="journey-new"
            >
              {t('journeys.fromTemplate')}
            </Button>
          ) : null
        }
      />
      {list.error ? <ErrorAlert error={list.error} onRetry={list.reload} /> : null}
      <ResponsiveTable<JourneySummary>
        rowKey="id"
        columns={columns}
        dataSource={list.data?.items ?? []}
        loading={list.loading}
        pagination={false}
        size="middle"
        data-testid="journey-list"
        locale={{
          emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('journeys.empty')} />,
        }}
      />
      {creating ? <NewJourney open onClose={() => setCreating(false)} /> : null}
    </>
  );
}
