import {
  ArrowDownOutlined,
  ArrowUpOutlined,
  CheckCircleFilled,
  CloseCircleFilled,
  DeleteOutlined,
  EditOutlined,
  ExclamationCircleFilled,
  LeftOutlined,
  MinusCircleOutlined,
  PlusOutlined,
  RightOutlined,
  SyncOutlined,
} from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  type ButtonProps,
  Card,
  Drawer,
  Dropdown,
  Empty,
  Flex,
  Form,
  Input,
  InputNumber,
  List,
  Modal,
  Popconfirm,
  Select,
  Skeleton,
  Space,
  Switch,
  type TableColumnsType,
  Tabs,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import type { TFunction } from 'i18next';
import { type ReactNode, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useLang } from '../../i18n';
import { ApiError } from '../../shared/api/client';
import { ErrorAlert, PageHeader } from '../../shared/components';
import { formatDateTime, formatNumber } from '../../shared/format';
import { useAsync } from '../../shared/hooks';
import { ResponsiveTable } from '../../shared/ResponsiveTable';
import { useMe } from '../accounts/auth';
import type { ChannelMethod } from '../channels/api';
import {
  type ChannelTagsRow,
  type TagAudience,
  type TagGroup,
  type TagRule,
  type TagRuleInput,
  type TagRuleKind,
  type TagSyncState,
  tagsApi,
} from './api';

const AUDIENCE_COLOR: Record<TagAudience, string> = {
  all: 'default',
  ops: 'geekblue',
  front_line: 'green',
  hq: 'purple',
};
const METHODS: ChannelMethod[] = [
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
];
const RULE_KINDS: TagRuleKind[] = ['order_product', 'order_amount', 'order_coupon', 'keyword', 'channel'];
const KIND_COLOR: Record<TagRuleKind, string> = {
  order_product: 'gold',
  order_amount: 'orange',
  order_coupon: 'volcano',
  keyword: 'purple',
  channel: 'cyan',
};

const errorText = (err: unknown) => (err instanceof ApiError ? err.message : String(err));

/** What WeCom said, with a plain explanation for the errcode an admin meets most (301002). */
function syncErrorText(t: TFunction, e: TagSyncState['syncError']): string {
  if (!e) return '';
  return e.errcode === 301002 ? `${t('tags.err301002')}（${e.message}）` : e.message;
}

/** The sync of a group or tag as a small icon with its meaning on hover. */
function SyncMark({ state }: { state: TagSyncState }) {
  const { t } = useTranslation();
  const icon: Record<TagSyncState['sync'], ReactNode> = {
    synced: <CheckCircleFilled style={{ color: '#52c41a' }} />,
    pending: <SyncOutlined spin style={{ color: '#1677ff' }} />,
    failed: <CloseCircleFilled style={{ color: '#ff4d4f' }} />,
    local: <MinusCircleOutlined style={{ color: '#bfbfbf' }} />,
  };
  const hint = state.sync === 'failed' ? syncErrorText(t, state.syncError) : t(`tags.syncHint.${state.sync}`);
  return (
    <Tooltip title={`${t(`tags.sync.${state.sync}`)} · ${hint}`}>
      <span data-testid={`sync-${state.sync}`} role="img" aria-label={t(`tags.sync.${state.sync}`)}>
        {icon[state.sync]}
      </span>
    </Tooltip>
  );
}

function AudienceTag({ audience }: { audience: TagAudience }) {
  const { t } = useTranslation();
  return (
    <Tooltip title={t(`tags.audienceHint.${audience}`)}>
      <Tag color={AUDIENCE_COLOR[audience]} style={{ marginInlineEnd: 0 }}>
        {t(`tags.audience.${audience}`)}
      </Tag>
    </Tooltip>
  );
}

const nameRules = (t: TFunction) => [
  { required: true, whitespace: true, message: t('tags.nameRequired') },
  { max: 30, message: t('tags.nameMax') },
];

/** Create a group with its first tags, or edit a group's name and audience. */
function GroupModal(props: { group: TagGroup | null; open: boolean; onClose(): void; onSaved(): void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ name: string; audience: TagAudience; tags: string[] }>();
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const editing = props.group !== null;

  useEffect(() => {
    if (!props.open) return;
    setError(null);
    form.setFieldsValue(
      props.group
        ? { name: props.group.name, audience: props.group.audience, tags: [] }
        : { name: '', audience: 'front_line', tags: [] },
    );
  }, [props.open, props.group, form]);

  const save = async () => {
    const values = await form.validateFields();
    setSaving(true);
    setError(null);
    try {
      if (props.group) {
        await tagsApi.updateTagGroup(props.group.id, { name: values.name.trim(), audience: values.audience });
      } else {
        await tagsApi.createTagGroup({
          name: values.name.trim(),
          audience: values.audience,
          tags: values.tags.map((x) => x.trim()).filter(Boolean),
        });
      }
      message.success(t('tags.saved'));
      props.onSaved();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      open={props.open}
      title={editing ? t('tags.editGroup') : t('tags.newGroup')}
      onCancel={props.onClose}
      onOk={save}
      confirmLoading={saving}
      destroyOnHidden
      okButtonProps={{ 'data-testid': 'group-save' } as ButtonProps}
    >
      {error ? <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} /> : null}
      <Form form={form} layout="vertical" requiredMark="optional">
        <Form.Item name="name" label={t('tags.groupName')} rules={nameRules(t)}>
          <Input maxLength={30} showCount data-testid="group-name" />
        </Form.Item>
        <Form.Item name="audience" label={t('tags.audienceLabel')}>
          <Select
            options={(['all', 'front_line', 'ops', 'hq'] as const).map((a) => ({
              value: a,
              label: (
                <Flex gap={8} align="center">
                  <Tag color={AUDIENCE_COLOR[a]}>{t(`tags.audience.${a}`)}</Tag>
                  <Typography.Text type="secondary">{t(`tags.audienceHint.${a}`)}</Typography.Text>
                </Flex>
              ),
            }))}
          />
        </Form.Item>
        {editing ? null : (
          <Form.Item
            name="tags"
            label={t('tags.initialTags')}
            extra={t('tags.initialTagsHint')}
            rules={[
              {
                validator: async (_, v: string[] | undefined) => {
                  if ((v ?? []).some((x) => x.trim().length > 30)) throw new Error(t('tags.nameMax'));
                },
              },
            ]}
          >
            <Select mode="tags" open={false} tokenSeparators={[',', '，']} data-testid="group-tags" />
          </Form.Item>
        )}
      </Form>
    </Modal>
  );
}

/** One tag of a group: its sync, and for HQ a menu to rename, move and delete it. */
function TagChip(props: {
  tag: TagGroup['tags'][number];
  editable: boolean;
  first: boolean;
  last: boolean;
  onRename(): void;
  onMove(delta: -1 | 1): void;
  onDelete(): void;
}) {
  const { t } = useTranslation();
  const { modal } = App.useApp();
  const chip = (
    <Tag
      className="tag-chip"
      color={props.tag.sync === 'failed' ? 'error' : undefined}
      style={{ cursor: props.editable ? 'pointer' : 'default', paddingInline: 8, fontSize: 13 }}
      data-testid="tag-chip"
    >
      <Flex gap={6} align="center">
        <span>{props.tag.name}</span>
        {/* the group shows when all is synced; a tag only says so when it is not */}
        {props.tag.sync === 'synced' ? null : <SyncMark state={props.tag} />}
      </Flex>
    </Tag>
  );
  if (!props.editable) return chip;
  return (
    <Dropdown
      trigger={['click']}
      menu={{
        items: [
          { key: 'rename', icon: <EditOutlined />, label: t('tags.renameTag') },
          { key: 'earlier', icon: <LeftOutlined />, label: t('tags.moveEarlier'), disabled: props.first },
          { key: 'later', icon: <RightOutlined />, label: t('tags.moveLater'), disabled: props.last },
          { type: 'divider' },
          { key: 'delete', icon: <DeleteOutlined />, label: t('tags.deleteTag'), danger: true },
        ],
        onClick: ({ key }) => {
          if (key === 'rename') props.onRename();
          else if (key === 'earlier') props.onMove(-1);
          else if (key === 'later') props.onMove(1);
          else if (key === 'delete') {
            modal.confirm({
              title: t('tags.deleteTagConfirm', { name: props.tag.name }),
              icon: <ExclamationCircleFilled />,
              okButtonProps: { danger: true },
              onOk: props.onDelete,
            });
          }
        },
      }}
    >
      {chip}
    </Dropdown>
  );
}

function GroupCard(props: {
  group: TagGroup;
  editable: boolean;
  first: boolean;
  last: boolean;
  onEdit(): void;
  onMove(delta: -1 | 1): void;
  onChanged(): void;
}) {
  const { t } = useTranslation();
  const { message, modal } = App.useApp();
  const { group } = props;
  const [adding, setAdding] = useState('');
  const [busy, setBusy] = useState(false);

  const run = async (fn: () => Promise<unknown>, done = t('tags.saved')) => {
    setBusy(true);
    try {
      await fn();
      message.success(done);
      props.onChanged();
    } catch (err) {
      message.error(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const addTag = async () => {
    const name = adding.trim();
    if (!name) return;
    if (name.length > 30) {
      message.error(t('tags.nameMax'));
      return;
    }
    await run(() => tagsApi.addTags(group.id, [name]));
    setAdding('');
  };
  const moveTag = (index: number, delta: -1 | 1) => {
    const ids = group.tags.map((x) => x.id);
    [ids[index], ids[index + delta]] = [ids[index + delta]!, ids[index]!];
    void run(() => tagsApi.reorderTags(group.id, ids));
  };
  const rename = (tag: TagGroup['tags'][number]) => {
    let value = tag.name;
    modal.confirm({
      title: t('tags.renameTag'),
      icon: <EditOutlined />,
      content: (
        <Input defaultValue={tag.name} maxLength={30} showCount onChange={(e) => (value = e.target.value)} />
      ),
      onOk: () => run(() => tagsApi.renameTag(tag.id, value.trim())),
    });
  };

  return (
    <Card
      size="small"
      data-testid="tag-group"
      title={
        <Flex gap={8} align="center" wrap>
          <Typography.Text strong>{group.name}</Typography.Text>
          <AudienceTag audience={group.audience} />
          <SyncMark state={group} />
          <Typography.Text type="secondary" style={{ fontWeight: 'normal', fontSize: 12 }}>
            {group.tags.length}
          </Typography.Text>
        </Flex>
      }
      extra={
        props.editable ? (
          <Space size={2}>
            <Tooltip title={t('tags.moveUp')}>
              <Button
                type="text"
                size="small"
                icon={<ArrowUpOutlined />}
                disabled={props.first}
                onClick={() => props.onMove(-1)}
              />
            </Tooltip>
            <Tooltip title={t('tags.moveDown')}>
              <Button
                type="text"
                size="small"
                icon={<ArrowDownOutlined />}
                disabled={props.last}
                onClick={() => props.onMove(1)}
              />
            </Tooltip>
            <Tooltip title={t('tags.editGroup')}>
              <Button type="text" size="small" icon={<EditOutlined />} onClick={props.onEdit} />
            </Tooltip>
            <Popconfirm
              title={t('tags.deleteGroupConfirm', { name: group.name, count: group.tags.length })}
              okButtonProps={{ danger: true }}
              onConfirm={() => run(() => tagsApi.deleteTagGroup(group.id), t('tags.deleted'))}
            >
              <Tooltip title={t('tags.deleteGroup')}>
                <Button type="text" size="small" danger icon={<DeleteOutlined />} />
              </Tooltip>
            </Popconfirm>
          </Space>
        ) : null
      }
    >
      {group.sync === 'failed' ? (
        <Typography.Paragraph type="danger" style={{ fontSize: 12 }}>
          {syncErrorText(t, group.syncError)}
        </Typography.Paragraph>
      ) : null}
      <Flex gap={8} wrap align="center">
        {group.tags.length === 0 && !props.editable ? (
          <Typography.Text type="secondary">{t('tags.noTags')}</Typography.Text>
        ) : null}
        {group.tags.map((tag, i) => (
          <TagChip
            key={tag.id}
            tag={tag}
            editable={props.editable}
            first={i === 0}
            last={i === group.tags.length - 1}
            onRename={() => rename(tag)}
            onMove={(d) => moveTag(i, d)}
            onDelete={() => run(() => tagsApi.deleteTag(tag.id), t('tags.deleted'))}
          />
        ))}
        {props.editable ? (
          <Input
            size="small"
            style={{ width: 150 }}
            placeholder={t('tags.newTagPlaceholder')}
            prefix={<PlusOutlined style={{ color: '#bfbfbf' }} />}
            value={adding}
            disabled={busy}
            maxLength={30}
            onChange={(e) => setAdding(e.target.value)}
            onPressEnter={addTag}
            data-testid="add-tag"
          />
        ) : null}
      </Flex>
    </Card>
  );
}

function GroupsPanel() {
  const { t } = useTranslation();
  const lang = useLang();
  const me = useMe();
  const { message } = App.useApp();
  const isAdmin = me.role === 'hq_admin';
  const tags = useAsync((signal) => tagsApi.tags(signal), 'tags-page');
  const failures = useAsync(
    (signal) => (isAdmin ? tagsApi.tagSyncFailures(signal) : Promise.resolve({ items: [] })),
    `tag-failures:${isAdmin}`,
  );
  const [editing, setEditing] = useState<TagGroup | null | 'new'>(null);
  const groups = tags.data?.groups ?? [];
  const pending = groups.some((g) => g.sync === 'pending' || g.tags.some((x) => x.sync === 'pending'));
  const reloadAll = () => {
    tags.reload();
    failures.reload();
  };

  // While changes are on their way to WeCom, look again shortly.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reloadAll is stable in what it calls
  useEffect(() => {
    if (!pending) return;
    const timer = window.setTimeout(reloadAll, 1500);
    return () => window.clearTimeout(timer);
  }, [pending, tags.data]);

  const moveGroup = async (index: number, delta: -1 | 1) => {
    const ids = groups.map((g) => g.id);
    [ids[index], ids[index + delta]] = [ids[index + delta]!, ids[index]!];
    try {
      await tagsApi.reorderTagGroups(ids);
      reloadAll();
    } catch (err) {
      message.error(errorText(err));
    }
  };

  if (tags.error) return <ErrorAlert error={tags.error} onRetry={tags.reload} />;
  if (!tags.data) return <Skeleton active paragraph={{ rows: 6 }} />;
  return (
    <Flex vertical gap={16}>
      <Flex justify="space-between" align="center" gap={12} wrap>
        <Flex gap={8} align="center" wrap>
          {(['all', 'front_line', 'ops', 'hq'] as const).map((a) => (
            <AudienceTag key={a} audience={a} />
          ))}
          <Typography.Text type="secondary" style={{ maxWidth: 720 }}>
            {t('tags.viewNote')}
          </Typography.Text>
        </Flex>
        {isAdmin ? (
          <Button
            type="primary"
            icon={<PlusOutlined />}
            onClick={() => setEditing('new')}
            data-testid="new-group"
          >
            {t('tags.newGroup')}
          </Button>
        ) : null}
      </Flex>
      {failures.data?.items.length ? (
        <Alert
          type="warning"
          showIcon
          title={t('tags.failuresTitle')}
          description={
            <List
              size="small"
              dataSource={failures.data.items}
              renderItem={(f) => (
                <List.Item>
                  <Flex gap={8} wrap align="baseline">
                    <Tag>{t(`tags.action.${f.action}`)}</Tag>
                    <Typography.Text strong>{f.what}</Typography.Text>
                    <Typography.Text type="danger">
                      {f.errcode === 301002 ? t('tags.err301002') : f.error}
                    </Typography.Text>
                    <Typography.Text type="secondary">{formatDateTime(f.at, lang)}</Typography.Text>
                  </Flex>
                </List.Item>
              )}
            />
          }
        />
      ) : null}
      {groups.length === 0 ? <Empty description={t('tags.empty')} /> : null}
      <div className="tag-groups">
        {groups.map((g, i) => (
          <GroupCard
            key={g.id}
            group={g}
            editable={isAdmin}
            first={i === 0}
            last={i === groups.length - 1}
            onEdit={() => setEditing(g)}
            onMove={(d) => moveGroup(i, d)}
            onChanged={reloadAll}
          />
        ))}
      </div>
      <GroupModal
        open={editing !== null}
        group={editing === 'new' ? null : editing}
        onClose={() => setEditing(null)}
        onSaved={() => {
          setEditing(null);
          reloadAll();
        }}
      />
    </Flex>
  );
}

/** A rule's condition in words (products by name where orders have named them). */
function describeCondition(
  t: TFunction,
  lang: string,
  rule: TagRule,
  products: Record<string, string>,
): string {
  const list = (xs: string[]) => xs.join(lang === 'en' ? ', ' : '、');
  switch (rule.kind) {
    case 'order_product':
      return t('tags.cond.product', {
        codes: list(rule.condition.productCodes.map((c) => (products[c] ? `${products[c]} (${c})` : c))),
      });
    case 'order_amount':
      return t('tags.cond.amount', { yuan: rule.condition.minPaidFen / 100 });
    case 'order_coupon':
      return rule.condition.couponCodes.length
        ? t('tags.cond.coupon', { codes: list(rule.condition.couponCodes) })
        : t('tags.cond.couponAny');
    case 'keyword':
      return t('tags.cond.keyword', {
        words: rule.condition.keywords
          .map((k) => (lang === 'en' ? `“${k}”` : `「${k}」`))
          .join(lang === 'en' ? ', ' : ''),
      });
    case 'channel':
      return [
        rule.condition.methods.length
          ? t('tags.cond.methods', {
              methods: list(
                rule.condition.methods.map((m) => t(`channelMethod.${m}` as 'channelMethod.other')),
              ),
            })
          : null,
        rule.condition.scenes.length ? t('tags.cond.scenes', { scenes: list(rule.condition.scenes) }) : null,
      ]
        .filter(Boolean)
        .join('；');
  }
}

interface RuleForm {
  name: string;
  kind: TagRuleKind;
  tagIds: number[];
  enabled: boolean;
  productCodes: string[];
  minPaidYuan: number | null;
  couponCodes: string[];
  keywords: string[];
  methods: ChannelMethod[];
  scenes: string[];
}

function toInput(v: RuleForm): TagRuleInput {
  const base = { name: v.name.trim(), tagIds: v.tagIds, enabled: v.enabled };
  switch (v.kind) {
    case 'order_product':
      return { ...base, kind: v.kind, condition: { productCodes: v.productCodes } };
    case 'order_amount':
      return { ...base, kind: v.kind, condition: { minPaidFen: Math.round((v.minPaidYuan ?? 0) * 100) } };
    case 'order_coupon':
      return { ...base, kind: v.kind, condition: { couponCodes: v.couponCodes } };
    case 'keyword':
      return { ...base, kind: v.kind, condition: { keywords: v.keywords } };
    case 'channel':
      return { ...base, kind: v.kind, condition: { methods: v.methods, scenes: v.scenes } };
  }
}

function RuleEditor(props: { rule: TagRule | null; open: boolean; onClose(): void; onSaved(): void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<RuleForm>();
  const kind = Form.useWatch('kind', form) as TagRuleKind | undefined;
  const tags = useAsync((signal) => tagsApi.tags(signal), 'rule-editor-tags');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!props.open) return;
    setError(null);
    const r = props.rule;
    const empty: RuleForm = {
      name: '',
      kind: 'order_product',
      tagIds: [],
      enabled: true,
      productCodes: [],
      minPaidYuan: null,
      couponCodes: [],
      keywords: [],
      methods: [],
      scenes: [],
    };
    if (!r) {
      form.setFieldsValue(empty);
      return;
    }
    form.setFieldsValue({
      ...empty,
      name: r.name,
      kind: r.kind,
      enabled: r.enabled,
      tagIds: r.tags.map((x) => x.id),
      ...(r.kind === 'order_amount' ? { minPaidYuan: r.condition.minPaidFen / 100 } : r.condition),
    });
  }, [props.open, props.rule, form]);

  const save = async () => {
    const values = await form.validateFields();
    setSaving(true);
    setError(null);
    try {
      const input = toInput(values);
      if (props.rule) await tagsApi.updateTagRule(props.rule.id, input);
      else await tagsApi.createTagRule(input);
      message.success(t('tags.saved'));
      props.onSaved();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setSaving(false);
    }
  };

  const tagOptions = (tags.data?.groups ?? []).map((g) => ({
    label: g.name,
    options: g.tags.map((x) => ({ value: x.id, label: x.name })),
  }));
  const words = (name: keyof RuleForm, label: string, extra: string, required: boolean, max: number) => (
    <Form.Item
      name={name}
      label={label}
      extra={extra}
      rules={[
        { required, type: 'array', min: required ? 1 : 0, message: label },
        {
          validator: async (_, v: string[] | undefined) => {
            if ((v ?? []).some((x) => x.trim().length > max)) throw new Error(`≤ ${max}`);
          },
        },
      ]}
    >
      <Select mode="tags" open={false} tokenSeparators={[',', '，', ' ']} data-testid={`rule-${name}`} />
    </Form.Item>
  );

  return (
    <Drawer
      open={props.open}
      onClose={props.onClose}
      size={560}
      title={props.rule ? t('tags.editRule') : t('tags.newRule')}
      destroyOnHidden
      extra={
        <Button type="primary" loading={saving} onClick={save} data-testid="rule-save">
          {t('tags.save')}
        </Button>
      }
    >
      {error ? <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} /> : null}
      <Form form={form} layout="vertical" requiredMark="optional">
        <Form.Item
          name="name"
          label={t('tags.ruleName')}
          rules={[{ required: true, whitespace: true, max: 40 }]}
        >
          <Input maxLength={40} data-testid="rule-name" />
        </Form.Item>
        <Form.Item name="kind" label={t('tags.kind')} rules={[{ required: true }]}>
          <Select
            options={RULE_KINDS.map((k) => ({ value: k, label: t(`tags.kinds.${k}`) }))}
            data-testid="rule-kind"
          />
        </Form.Item>
        {kind === 'order_product'
          ? words('productCodes', t('tags.productCodes'), t('tags.productCodesHint'), true, 64)
          : null}
        {kind === 'order_amount' ? (
          <Form.Item
            name="minPaidYuan"
            label={t('tags.minPaid')}
            rules={[{ required: true, type: 'number', min: 0.01 }]}
          >
            <InputNumber
              min={0.01}
              step={10}
              precision={2}
              prefix="¥"
              style={{ width: 200 }}
              data-testid="rule-amount"
            />
          </Form.Item>
        ) : null}
        {kind === 'order_coupon'
          ? words('couponCodes', t('tags.couponCodes'), t('tags.couponCodesHint'), false, 64)
          : null}
        {kind === 'keyword' ? (
          <>
            <Alert type="info" showIcon title={t('tags.keywordNote')} style={{ marginBottom: 16 }} />
            {words('keywords', t('tags.keywords'), t('tags.keywordsHint'), true, 32)}
          </>
        ) : null}
        {kind === 'channel' ? (
          <>
            <Typography.Paragraph type="secondary">{t('tags.channelHint')}</Typography.Paragraph>
            <Form.Item name="methods" label={t('tags.methods')}>
              <Select
                mode="multiple"
                options={METHODS.map((m) => ({
                  value: m,
                  label: t(`channelMethod.${m}` as 'channelMethod.other'),
                }))}
              />
            </Form.Item>
            <Form.Item
              name="scenes"
              label={t('tags.scenes')}
              dependencies={['methods']}
              rules={[
                ({ getFieldValue }) => ({
                  validator: async (_, v: string[] | undefined) => {
                    if ((v ?? []).length + (getFieldValue('methods') ?? []).length === 0)
                      throw new Error(t('tags.channelNeedsOne'));
                  },
                }),
              ]}
            >
              <Select mode="tags" open={false} tokenSeparators={[',', '，']} />
            </Form.Item>
          </>
        ) : null}
        <Form.Item
          name="tagIds"
          label={t('tags.tagsToApply')}
          rules={[{ required: true, type: 'array', min: 1 }]}
        >
          <Select
            mode="multiple"
            options={tagOptions}
            optionFilterProp="label"
            loading={!tags.data}
            data-testid="rule-tags"
          />
        </Form.Item>
        <Form.Item name="enabled" label={t('tags.enabled')} valuePropName="checked">
          <Switch />
        </Form.Item>
      </Form>
    </Drawer>
  );
}

function RulesPanel() {
  const { t } = useTranslation();
  const lang = useLang();
  const me = useMe();
  const { message } = App.useApp();
  const isAdmin = me.role === 'hq_admin';
  const rules = useAsync((signal) => tagsApi.tagRules(signal), 'tag-rules');
  const [editing, setEditing] = useState<TagRule | null | 'new'>(null);

  const act = async (fn: () => Promise<unknown>, done = t('tags.saved')) => {
    try {
      await fn();
      message.success(done);
      rules.reload();
    } catch (err) {
      message.error(errorText(err));
    }
  };

  const columns: TableColumnsType<TagRule> = [
    {
      key: 'name',
      title: t('tags.ruleName'),
      render: (_, r) => (
        <Typography.Text strong delete={!r.enabled}>
          {r.name}
        </Typography.Text>
      ),
    },
    {
      key: 'kind',
      title: t('tags.kind'),
      render: (_, r) => <Tag color={KIND_COLOR[r.kind]}>{t(`tags.kinds.${r.kind}`)}</Tag>,
    },
    {
      key: 'condition',
      title: t('tags.condition'),
      render: (_, r) => describeCondition(t, lang, r, rules.data?.productNames ?? {}),
    },
    {
      key: 'tags',
      title: t('tags.tagsToApply'),
      render: (_, r) => (
        <Flex gap={4} wrap>
          {r.tags.map((x) => (
            <Tag key={x.id} color="blue">
              {x.name}
            </Tag>
          ))}
        </Flex>
      ),
    },
    {
      key: 'tagged',
      title: t('tags.customersTagged'),
      align: 'right',
      render: (_, r) => <Typography.Text strong>{formatNumber(r.customersTagged, lang)}</Typography.Text>,
    },
    {
      key: 'enabled',
      title: t('tags.enabled'),
      render: (_, r) => (
        <Switch
          size="small"
          checked={r.enabled}
          disabled={!isAdmin}
          onChange={(enabled) =>
            act(() =>
              tagsApi.updateTagRule(r.id, {
                ...({ kind: r.kind, condition: r.condition } as TagRuleInput),
                name: r.name,
                tagIds: r.tags.map((x) => x.id),
                enabled,
              }),
            )
          }
        />
      ),
    },
    ...(isAdmin
      ? [
          {
            key: 'actions',
            title: t('tags.actions'),
            render: (_: unknown, r: TagRule) => (
              <Space size={4}>
                <Button size="small" type="link" icon={<EditOutlined />} onClick={() => setEditing(r)}>
                  {t('tags.edit')}
                </Button>
                <Popconfirm
                  title={t('tags.deleteRuleConfirm', { name: r.name })}
                  okButtonProps={{ danger: true }}
                  onConfirm={() => act(() => tagsApi.deleteTagRule(r.id), t('tags.deleted'))}
                >
                  <Button size="small" type="link" danger icon={<DeleteOutlined />}>
                    {t('tags.delete')}
                  </Button>
                </Popconfirm>
              </Space>
            ),
          },
        ]
      : []),
  ];
  const channelColumns: TableColumnsType<ChannelTagsRow> = [
    {
      key: 'name',
      title: t('tags.channelName'),
      render: (_, c) => (
        <Space>
          {c.name}
          {c.status === 'archived' ? <Tag>{t('tags.archived')}</Tag> : null}
        </Space>
      ),
    },
    {
      key: 'method',
      title: t('tags.method'),
      render: (_, c) => <Tag color="geekblue">{t(`channelMethod.${c.method}` as 'channelMethod.other')}</Tag>,
    },
    { key: 'scene', title: t('tags.scene'), dataIndex: 'scene' },
    {
      key: 'tags',
      title: t('tags.tagsToApply'),
      render: (_, c) => (
        <Flex gap={4} wrap>
          {c.tags.map((x) => (
            <Tag key={x.id}>{x.name}</Tag>
          ))}
        </Flex>
      ),
    },
  ];

  if (rules.error) return <ErrorAlert error={rules.error} onRetry={rules.reload} />;
  return (
    <Flex vertical gap={16}>
      <Flex justify="space-between" align="center" wrap gap={12}>
        <Typography.Text type="secondary">
          {isAdmin ? t('tags.keywordNote') : t('tags.readOnly')}
        </Typography.Text>
        {isAdmin ? (
          <Button
            type="primary"
            icon={<PlusOutlined />}
            onClick={() => setEditing('new')}
            data-testid="new-rule"
          >
            {t('tags.newRule')}
          </Button>
        ) : null}
      </Flex>
      <ResponsiveTable
        rowKey="id"
        size="middle"
        loading={rules.loading}
        columns={columns}
        dataSource={rules.data?.rules ?? []}
        pagination={false}
        locale={{ emptyText: <Empty description={t('tags.rulesEmpty')} /> }}
        data-testid="tag-rules"
      />
      <Card size="small" title={t('tags.channelTagsTitle')}>
        <Typography.Paragraph type="secondary">{t('tags.channelTagsHint')}</Typography.Paragraph>
        <ResponsiveTable
          rowKey="channelId"
          size="small"
          columns={channelColumns}
          dataSource={rules.data?.channelTags ?? []}
          pagination={{ pageSize: 10, hideOnSinglePage: true }}
        />
      </Card>
      <RuleEditor
        open={editing !== null}
        rule={editing === 'new' ? null : editing}
        onClose={() => setEditing(null)}
        onSaved={() => {
          setEditing(null);
          rules.reload();
        }}
      />
    </Flex>
  );
}

/** 标签: corp tag groups synced with WeCom (HQ edits, everyone sees their role's view) and auto-tag rules. */
export default function TagsPage() {
  const { t } = useTranslation();
  const me = useMe();
  const managers = me.role !== 'staff';
  return (
    <>
      <PageHeader title={t('tags.title')} subtitle={t('tags.subtitle')} />
      <Tabs
        items={[
          { key: 'groups', label: t('tags.tabGroups'), children: <GroupsPanel /> },
          ...(managers ? [{ key: 'rules', label: t('tags.tabRules'), children: <RulesPanel /> }] : []),
        ]}
      />
    </>
  );
}
