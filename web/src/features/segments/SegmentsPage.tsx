import { DeleteOutlined, EditOutlined, PlusOutlined } from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Empty,
  Flex,
  Input,
  Popconfirm,
  Result,
  Row,
  Skeleton,
  Space,
  Table,
  type TableColumnsType,
  Typography,
} from 'antd';
import { type HTMLAttributes, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useLocation, useNavigate, useParams } from 'react-router-dom';
import { useLang } from '../../i18n';
import { ApiError } from '../../shared/api/client';
import { ErrorAlert, PageHeader } from '../../shared/components';
import { formatDateTime, formatNumber } from '../../shared/format';
import { useAsync } from '../../shared/hooks';
import { useMe } from '../accounts/auth';
import { mayCreate } from '../accounts/permissions';
import { type Rule, type Segment, type SegmentField, segmentsApi } from './api';
import { EditorActions } from './EditorActions';
import { AudiencePanel, useAudience } from './RuleAudience';
import {
  type DraftGroup,
  emptyGroup,
  keyOfErrorPath,
  RuleBuilder,
  rootFromRule,
  toRule,
} from './RuleBuilder';
import { SegmentMembers } from './SegmentMembers';

/** The server's words about the bad node, without the generic prefix ("请求参数有误: body.rule: "). */
function nodeMessage(message: string): string {
  const at = message.indexOf('rule: ');
  return at >= 0 ? message.slice(at + 'rule: '.length) : message;
}

function SegmentList() {
  const { t } = useTranslation();
  const lang = useLang();
  const navigate = useNavigate();
  const { message } = App.useApp();
  const canCreate = mayCreate(useMe());
  const list = useAsync((signal) => segmentsApi.segments(signal), 'segments');

  const remove = async (segment: Segment) => {
    try {
      await segmentsApi.deleteSegment(segment.id);
      message.success(t('segments.deleted', { name: segment.name }));
      list.reload();
    } catch (err) {
      message.error((err as Error).message);
    }
  };

  const columns: TableColumnsType<Segment> = [
    {
      key: 'name',
      title: t('segments.name'),
      render: (_, s) => (
        <Flex vertical>
          <Typography.Text strong data-testid="segment-name">
            {s.name}
          </Typography.Text>
          {s.description ? <Typography.Text type="secondary">{s.description}</Typography.Text> : null}
        </Flex>
      ),
    },
    {
      key: 'count',
      title: t('segments.count'),
      align: 'right',
      render: (_, s) => (
        <Typography.Text strong className="segment-count" data-testid="segment-count">
          {formatNumber(s.count, lang)}
        </Typography.Text>
      ),
    },
    { key: 'unit', title: t('segments.unit'), dataIndex: 'unitName' },
    {
      key: 'updatedAt',
      title: t('segments.updatedAt'),
      render: (_, s) => (
        <Flex vertical>
          <span style={{ whiteSpace: 'nowrap' }}>{formatDateTime(s.updatedAt, lang)}</span>
          {s.createdByName ? <Typography.Text type="secondary">{s.createdByName}</Typography.Text> : null}
        </Flex>
      ),
    },
    {
      key: 'actions',
      title: '',
      align: 'right',
      render: (_, s) =>
        s.editable ? (
          // Clicks here stay here: the row itself opens the editor.
          // biome-ignore lint/a11y/noStaticElementInteractions: only stops the row's click from bubbling.
          // biome-ignore lint/a11y/useKeyWithClickEvents: the buttons inside handle the keyboard.
          <span onClick={(e) => e.stopPropagation()}>
            <Space>
              <Button size="small" icon={<EditOutlined />} onClick={() => navigate(`/segments/${s.id}`)}>
                {t('segments.edit')}
              </Button>
              <Popconfirm
                title={t('segments.confirmDelete', { name: s.name })}
                okText={t('segments.delete')}
                cancelText={t('segments.cancel')}
                okButtonProps={{ danger: true }}
                onConfirm={() => remove(s)}
              >
                <Button size="small" danger icon={<DeleteOutlined />}>
                  {t('segments.delete')}
                </Button>
              </Popconfirm>
            </Space>
          </span>
        ) : null,
    },
  ];

  return (
    <>
      <PageHeader
        title={t('segments.title')}
        subtitle={t('segments.subtitle')}
        extra={
          canCreate ? (
            <Button
              type="primary"
              icon={<PlusOutlined />}
              onClick={() => navigate('/segments/new')}
              data-testid="segment-create"
            >
              {t('segments.create')}
            </Button>
          ) : null
        }
      />
      <Card>
        {list.error ? <ErrorAlert error={list.error} onRetry={list.reload} /> : null}
        <Table<Segment>
          className="clickable-rows"
          rowKey="id"
          size="middle"
          data-testid="segments-table"
          columns={columns}
          dataSource={list.data?.items}
          loading={list.loading}
          pagination={false}
          onRow={(s) =>
            ({
              'data-testid': 'segment-row',
              tabIndex: 0,
              onClick: () => navigate(`/segments/${s.id}`),
              onKeyDown: (e) => {
                if (e.key === 'Enter' && e.target === e.currentTarget) navigate(`/segments/${s.id}`);
              },
            }) as HTMLAttributes<HTMLElement>
          }
          locale={{
            emptyText: (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('segments.empty')}>
                {canCreate ? (
                  <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/segments/new')}>
                    {t('segments.create')}
                  </Button>
                ) : null}
              </Empty>
            ),
          }}
        />
      </Card>
    </>
  );
}

function SegmentEditor({ segment, fields }: { segment: Segment | null; fields: SegmentField[] }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { message } = App.useApp();
  const fieldMap = useMemo(() => new Map(fields.map((f) => [f.key, f])), [fields]);
  // A new segment may start from a rule another page hands over (经营分析: the customers behind a figure).
  const start = (useLocation().state ?? null) as { rule?: Rule; name?: string } | null;
  const [name, setName] = useState(segment?.name ?? start?.name?.slice(0, 60) ?? '');
  const [description, setDescription] = useState(segment?.description ?? '');
  const [root, setRoot] = useState<DraftGroup>(() =>
    segment
      ? rootFromRule(segment.rule, fieldMap)
      : start?.rule
        ? rootFromRule(start.rule, fieldMap)
        : emptyGroup(),
  );
  const [saving, setSaving] = useState(false);
  const [nameMissing, setNameMissing] = useState(false);
  // What the server says this caller may do with this segment; a new one, what the routes allow.
  const me = useMe();
  const canSave = segment ? segment.editable : mayCreate(me);

  const compiled = useMemo(() => toRule(root, fieldMap), [root, fieldMap]);
  const audience = useAudience(compiled.rule);
  const rejected = audience.error instanceof ApiError && audience.error.status === 400;
  const errorKey = rejected ? keyOfErrorPath(audience.error?.message ?? '', compiled.paths) : undefined;

  const save = async () => {
    if (!name.trim()) {
      setNameMissing(true);
      message.error(t('segments.nameRequired'));
      return;
    }
    if (!compiled.rule) {
      message.error(t('segments.ruleRequired'));
      return;
    }
    if (compiled.unfinished.length > 0) {
      message.error(t('segments.unfinished', { count: compiled.unfinished.length }));
      return;
    }
    setSaving(true);
    try {
      const input = { name: name.trim(), description: description.trim() || undefined, rule: compiled.rule };
      const saved = segment
        ? await segmentsApi.updateSegment(segment.id, input)
        : await segmentsApi.createSegment(input);
      message.success(t('segments.saved', { name: saved.name, count: saved.count }));
      navigate('/segments');
    } catch (err) {
      message.error((err as Error).message);
    } finally {
      setSaving(false);
    }
  };

  const remove = async () => {
    if (!segment) return;
    try {
      await segmentsApi.deleteSegment(segment.id);
      message.success(t('segments.deleted', { name: segment.name }));
      navigate('/segments');
    } catch (err) {
      message.error((err as Error).message);
    }
  };

  return (
    <>
      <PageHeader
        title={
          !segment ? t('segments.createTitle') : canSave ? t('segments.editTitle') : t('segments.viewTitle')
        }
        subtitle={t('segments.editorSubtitle')}
        extra={
          <EditorActions
            strings="segments"
            backTo="/segments"
            onBack={navigate}
            savedName={segment ? segment.name : null}
            canSave={canSave}
            saving={saving}
            onSave={save}
            onDelete={remove}
            saveTestId="segment-save"
          />
        }
      />
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={15}>
          <Card>
            <Flex vertical gap={12}>
              {canSave ? null : (
                <Alert
                  type="info"
                  showIcon
                  title={t('segments.readOnly', { unit: segment?.unitName ?? me.unitName })}
                />
              )}
              {canSave ? (
                <>
                  <Input
                    id="segment-name"
                    size="large"
                    status={nameMissing && !name.trim() ? 'error' : undefined}
                    placeholder={t('segments.namePlaceholder')}
                    value={name}
                    maxLength={60}
                    onChange={(e) => setName(e.target.value)}
                  />
                  <Input.TextArea
                    id="segment-description"
                    placeholder={t('segments.descriptionPlaceholder')}
                    value={description}
                    maxLength={200}
                    autoSize={{ minRows: 1, maxRows: 3 }}
                    onChange={(e) => setDescription(e.target.value)}
                  />
                </>
              ) : (
                <>
                  <Typography.Title level={4} style={{ margin: 0 }} data-testid="segment-name-text">
                    {name}
                  </Typography.Title>
                  {description ? (
                    <Typography.Paragraph type="secondary">{description}</Typography.Paragraph>
                  ) : null}
                </>
              )}
              <Typography.Title level={5} style={{ margin: '8px 0 0' }}>
                {t('segments.rule')}
              </Typography.Title>
              <RuleBuilder
                fields={fields}
                value={root}
                onChange={setRoot}
                unfinished={compiled.unfinished}
                readOnly={!canSave}
                errorKey={errorKey}
                errorMessage={rejected ? nodeMessage(audience.error?.message ?? '') : undefined}
              />
              {compiled.unfinished.length > 0 && compiled.rule ? (
                <Typography.Text type="secondary">
                  {t('segments.unfinishedHint', { count: compiled.unfinished.length })}
                </Typography.Text>
              ) : null}
            </Flex>
          </Card>
        </Col>
        <Col xs={24} xl={9}>
          <Card className="audience-card">
            <AudiencePanel audience={audience} hasRule={compiled.rule !== null} />
          </Card>
        </Col>
        {segment ? (
          <Col xs={24}>
            <SegmentMembers segmentId={segment.id} />
          </Col>
        ) : null}
      </Row>
    </>
  );
}

/** /segments: the saved segments; /segments/new and /segments/:id: the builder. */
export default function SegmentsPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { id } = useParams();
  const editing = id !== undefined;
  const segmentId = id && id !== 'new' ? Number(id) : undefined;
  const fields = useAsync(
    (signal) => (editing ? segmentsApi.segmentFields(signal) : Promise.resolve(null)),
    `fields:${editing}`,
  );
  const segment = useAsync(
    (signal) => (segmentId ? segmentsApi.segment(segmentId, signal) : Promise.resolve(null)),
    `segment:${segmentId ?? ''}`,
  );

  if (!editing) return <SegmentList />;
  if (id !== 'new' && !(segmentId && Number.isSafeInteger(segmentId))) {
    return <Result status="404" title={t('segments.notFound')} />;
  }
  const error = fields.error ?? segment.error;
  if (error instanceof ApiError && error.status === 404) {
    return (
      <Result
        status="404"
        title={t('segments.notFound')}
        extra={<Button onClick={() => navigate('/segments')}>{t('segments.back')}</Button>}
      />
    );
  }
  if (error) return <ErrorAlert error={error} onRetry={segment.error ? segment.reload : fields.reload} />;
  // Until both answered for this URL (the previous one's answers may still be held for a render).
  const loaded = segmentId ? segment.data?.id === segmentId : true;
  if (fields.loading || segment.loading || !fields.data || !loaded) return <Skeleton active />;
  return (
    <SegmentEditor key={id} segment={segmentId ? (segment.data ?? null) : null} fields={fields.data.fields} />
  );
}
