import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import {
  Alert,
  Button,
  Descriptions,
  Drawer,
  Flex,
  Form,
  Input,
  InputNumber,
  Radio,
  Select,
  Space,
  Switch,
  Typography,
} from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useLang } from '../../i18n';
import { formatMoney } from '../../shared/format';
import { useAsync } from '../../shared/hooks';
import { contentApi } from '../content/api';
import { tagsApi } from '../tags/api';
import type { GraphNode, NodeCounts, Trigger } from './api';

const CONTENT_KINDS = ['coupon', 'product', 'trust', 'persona', 'event'] as const;
const TASK_KINDS = ['call', 'send_script', 'invite_group', 'birthday_care', 'custom'] as const;

/** A JSON text edited as text; the value changes only when the text parses. */
function JsonField<T>({
  value,
  onChange,
  disabled,
  rows = 4,
}: {
  value: T;
  onChange(v: T): void;
  disabled: boolean;
  rows?: number;
}) {
  const { t } = useTranslation();
  const [text, setText] = useState(() => JSON.stringify(value, null, 2));
  const [bad, setBad] = useState(false);
  useEffect(() => {
    setText(JSON.stringify(value, null, 2));
    setBad(false);
  }, [value]);
  return (
    <>
      <Input.TextArea
        value={text}
        rows={rows}
        disabled={disabled}
        style={{ fontFamily: 'monospace', fontSize: 12 }}
        onChange={(e) => setText(e.target.value)}
        onBlur={() => {
          try {
            onChange(JSON.parse(text) as T);
            setBad(false);
          } catch {
            setBad(true);
          }
        }}
      />
      {bad ? <Typography.Text type="danger">{t('journeys.field.ruleInvalid')}</Typography.Text> : null}
    </>
  );
}

function ContentSelect({
  value,
  onChange,
  disabled,
}: {
  value: number | undefined;
  onChange(v: number | undefined): void;
  disabled: boolean;
}) {
  const { t } = useTranslation();
  const items = useAsync((signal) => contentApi.list({ limit: 100 }, signal), 'journey-content');
  return (
    <Select<number>
      allowClear
      value={value}
      disabled={disabled}
      placeholder={t('journeys.field.contentNone')}
      loading={items.loading}
      showSearch
      optionFilterProp="label"
      options={(items.data?.items ?? []).map((c) => ({ value: c.id, label: `#${c.id} ${c.title}` }))}
      onChange={(v) => onChange(v ?? undefined)}
    />
  );
}

function TagSelect({
  value,
  onChange,
  disabled,
}: {
  value: number[];
  onChange(v: number[]): void;
  disabled: boolean;
}) {
  const tags = useAsync((signal) => tagsApi.tags(signal), 'journey-tags');
  const options = useMemo(
    () =>
      (tags.data?.groups ?? []).map((g) => ({
        label: g.name,
        title: g.name,
        options: g.tags.map((tag) => ({ value: tag.id, label: tag.name })),
      })),
    [tags.data],
  );
  return (
    <Select<number[]>
      mode="multiple"
      value={value}
      disabled={disabled}
      loading={tags.loading}
      showSearch
      optionFilterProp="label"
      options={options}
      onChange={onChange}
    />
  );
}

function WaitFields({ node, set, disabled }: FieldsProps<'wait'>) {
  const { t } = useTranslation();
  const w = node.wait;
  const mode = 'untilTime' in w ? 'untilTime' : 'untilDate' in w ? 'untilDate' : 'duration';
  return (
    <>
      <Form.Item label={t('journeys.field.waitMode')}>
        <Radio.Group
          value={mode}
          disabled={disabled}
          onChange={(e) => {
            const m = e.target.value as string;
            set({
              ...node,
              wait:
                m === 'untilTime'
                  ? { untilTime: '10:00' }
                  : m === 'untilDate'
                    ? { untilDate: new Date().toISOString().slice(0, 10), at: '10:00' }
                    : { days: 1, hours: 0, minutes: 0 },
            });
          }}
          options={(['duration', 'untilTime', 'untilDate'] as const).map((m) => ({
            value: m,
            label: t(`journeys.field.${m}`),
          }))}
        />
      </Form.Item>
      {'untilTime' in w ? (
        <Form.Item label={t('journeys.field.atTime')}>
          <Input
            value={w.untilTime}
            disabled={disabled}
            onChange={(e) => set({ ...node, wait: { untilTime: e.target.value } })}
          />
        </Form.Item>
      ) : 'untilDate' in w ? (
        <Space wrap>
          <Form.Item label={t('journeys.field.date')}>
            <Input
              value={w.untilDate}
              disabled={disabled}
              onChange={(e) => set({ ...node, wait: { ...w, untilDate: e.target.value } })}
            />
          </Form.Item>
          <Form.Item label={t('journeys.field.atTime')}>
            <Input
              value={w.at}
              disabled={disabled}
              onChange={(e) => set({ ...node, wait: { ...w, at: e.target.value || undefined } })}
            />
          </Form.Item>
        </Space>
      ) : (
        <Space wrap>
          {(['days', 'hours', 'minutes'] as const).map((k) => (
            <Form.Item key={k} label={t(`journeys.field.${k}`)}>
              <InputNumber
                min={0}
                value={w[k]}
                disabled={disabled}
                style={{ width: 90 }}
                onChange={(v) => set({ ...node, wait: { ...w, [k]: v ?? 0 } })}
              />
            </Form.Item>
          ))}
          <Form.Item label={t('journeys.field.atTime')}>
            <Input
              value={w.at}
              disabled={disabled}
              style={{ width: 90 }}
              placeholder="10:00"
              onChange={(e) => set({ ...node, wait: { ...w, at: e.target.value || undefined } })}
            />
          </Form.Item>
        </Space>
      )}
    </>
  );
}

interface FieldsProps<K extends GraphNode['kind']> {
  node: Extract<GraphNode, { kind: K }>;
  set(n: GraphNode): void;
  disabled: boolean;
}

function KindFields({
  node,
  set,
  disabled,
}: {
  node: GraphNode;
  set(n: GraphNode): void;
  disabled: boolean;
}) {
  const { t } = useTranslation();
  switch (node.kind) {
    case 'send':
      return (
        <>
          <Form.Item
            label={t('journeys.field.text')}
            extra={t('journeys.field.textHint', { name: '{{name}}', staff: '{{staff}}' })}
          >
            <Input.TextArea
              rows={4}
              value={node.text}
              disabled={disabled}
              onChange={(e) => set({ ...node, text: e.target.value || undefined })}
            />
          </Form.Item>
          <Form.Item label={t('journeys.field.content')}>
            <ContentSelect
              value={node.contentId}
              disabled={disabled}
              onChange={(v) => set({ ...node, contentId: v })}
            />
          </Form.Item>
          <Form.Item label={t('journeys.field.contentKind')}>
            <Select
              allowClear
              value={node.contentKind}
              disabled={disabled}
              options={CONTENT_KINDS.map((k) => ({ value: k, label: t(`journeys.contentKind.${k}`) }))}
              onChange={(v) => set({ ...node, contentKind: v ?? undefined })}
            />
          </Form.Item>
        </>
      );
    case 'wait':
      return <WaitFields node={node} set={set} disabled={disabled} />;
    case 'branch':
      return (
        <Form.Item label={t('journeys.field.rule')}>
          <JsonField value={node.rule} disabled={disabled} onChange={(rule) => set({ ...node, rule })} />
        </Form.Item>
      );
    case 'split':
      return (
        <Form.Item label={t('journeys.field.arms')}>
          <Flex vertical gap={8}>
            {node.arms.map((a, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: arms are positional
              <Space key={i}>
                <span>{t('journeys.field.arm', { n: i + 1 })}</span>
                <InputNumber
                  min={0}
                  max={100}
                  value={a.percent}
                  disabled={disabled}
                  suffix="%"
                  onChange={(v) =>
                    set({
                      ...node,
                      arms: node.arms.map((x, j) => (j === i ? { ...x, percent: v ?? 0 } : x)),
                    })
                  }
                />
                {node.arms.length > 2 ? (
                  <Button
                    size="small"
                    icon={<DeleteOutlined />}
                    disabled={disabled}
                    onClick={() => set({ ...node, arms: node.arms.filter((_, j) => j !== i) })}
                  />
                ) : null}
              </Space>
            ))}
            <Button
              size="small"
              icon={<PlusOutlined />}
              disabled={disabled || node.arms.length >= 10}
              onClick={() => set({ ...node, arms: [...node.arms, { percent: 0 }] })}
            >
              {t('journeys.field.addArm')}
            </Button>
          </Flex>
        </Form.Item>
      );
    case 'task':
      return (
        <>
          <Form.Item label={t('journeys.field.taskKind')}>
            <Select
              value={node.taskKind}
              disabled={disabled}
              options={TASK_KINDS.map((k) => ({ value: k, label: t(`journeys.taskKind.${k}`) }))}
              onChange={(v) => set({ ...node, taskKind: v })}
            />
          </Form.Item>
          <Form.Item label={t('journeys.field.title')}>
            <Input
              value={node.title}
              disabled={disabled}
              onChange={(e) => set({ ...node, title: e.target.value })}
            />
          </Form.Item>
          <Form.Item label={t('journeys.field.dueInHours')}>
            <InputNumber
              min={0}
              value={node.dueInHours}
              disabled={disabled}
              onChange={(v) => set({ ...node, dueInHours: v ?? 0 })}
            />
          </Form.Item>
          <Form.Item label={t('journeys.field.content')}>
            <ContentSelect
              value={node.contentId}
              disabled={disabled}
              onChange={(v) => set({ ...node, contentId: v })}
            />
          </Form.Item>
        </>
      );
    case 'tag':
      return (
        <>
          <Form.Item label={t('journeys.field.addTags')}>
            <TagSelect value={node.add} disabled={disabled} onChange={(add) => set({ ...node, add })} />
          </Form.Item>
          <Form.Item label={t('journeys.field.removeTags')}>
            <TagSelect
              value={node.remove}
              disabled={disabled}
              onChange={(remove) => set({ ...node, remove })}
            />
          </Form.Item>
        </>
      );
    case 'notify':
      return (
        <Form.Item label={t('journeys.field.notifyText')}>
          <Input.TextArea
            rows={3}
            value={node.text}
            disabled={disabled}
            onChange={(e) => set({ ...node, text: e.target.value })}
          />
        </Form.Item>
      );
    default:
      return null;
  }
}

function CountsList({ counts }: { counts: NodeCounts | undefined }) {
  const { t } = useTranslation();
  const lang = useLang();
  if (!counts) return null;
  const o = counts.outcome;
  return (
    <>
      <Descriptions
        size="small"
        column={4}
        layout="vertical"
        items={(['entered', 'waiting', 'done', 'exited'] as const).map((k) => ({
          key: k,
          label: t(`journeys.counts.${k}`),
          children: counts[k],
        }))}
        style={{ marginBottom: 16 }}
      />
      {o ? (
        <Descriptions
          size="small"
          column={3}
          layout="vertical"
          title={t('journeys.results.title')}
          data-testid="node-outcome"
          items={[
            { key: 'messages', label: t('journeys.results.messages'), children: o.messages },
            { key: 'reached', label: t('journeys.results.reached'), children: o.reached },
            { key: 'replied', label: t('journeys.results.replied'), children: o.replied },
            { key: 'converted', label: t('journeys.results.converted'), children: o.converted },
            { key: 'orders', label: t('journeys.results.orders'), children: o.orders },
            { key: 'gmv', label: t('journeys.results.gmv'), children: formatMoney(o.gmvFen, lang) },
          ]}
          style={{ marginBottom: 16 }}
        />
      ) : null}
    </>
  );
}

/** The selected step (or the trigger) in a drawer: its counts, its problems and, when editable, its fields. */
export function NodeInspector(props: {
  open: boolean;
  node: GraphNode | null;
  trigger: { trigger: Trigger; reentry: boolean } | null;
  isStart: boolean;
  counts: NodeCounts | undefined;
  issues: string[];
  readOnly: boolean;
  running: boolean;
  onClose(): void;
  onChange(n: GraphNode): void;
  onTrigger(trigger: Trigger, reentry: boolean): void;
  onDelete(): void;
  onSetStart(): void;
}) {
  const { t } = useTranslation();
  const { node, trigger, readOnly } = props;
  return (
    <Drawer
      open={props.open}
      onClose={props.onClose}
      title={
        node ? `${t(`journeys.kind.${node.kind}`)} · ${node.label || node.id}` : t('journeys.kind.trigger')
      }
      size="min(440px, 100vw)"
      mask={false}
      data-testid="node-inspector"
      extra={
        node && !readOnly ? (
          <Button danger size="small" icon={<DeleteOutlined />} onClick={props.onDelete}>
            {t('journeys.deleteNode')}
          </Button>
        ) : null
      }
    >
      <CountsList counts={props.counts} />
      {props.issues.length ? (
        <Alert
          type="error"
          showIcon
          style={{ marginBottom: 16 }}
          title={
            <ul style={{ margin: 0, paddingInlineStart: 16 }}>
              {props.issues.map((m) => (
                <li key={m}>{m}</li>
              ))}
            </ul>
          }
        />
      ) : null}
      {props.running && !readOnly ? (
        <Alert type="info" showIcon style={{ marginBottom: 16 }} title={t('journeys.runningHint')} />
      ) : null}
      <Form layout="vertical">
        {node ? (
          <>
            <Form.Item label={t('journeys.nodeId')}>
              <Space wrap>
                <Typography.Text code>{node.id}</Typography.Text>
                {props.isStart ? (
                  <Typography.Text type="secondary">{t('journeys.start')}</Typography.Text>
                ) : !readOnly ? (
                  <Button size="small" onClick={props.onSetStart}>
                    {t('journeys.setStart')}
                  </Button>
                ) : null}
              </Space>
            </Form.Item>
            <Form.Item label={t('journeys.label')}>
              <Input
                value={node.label}
                maxLength={60}
                disabled={readOnly}
                onChange={(e) => props.onChange({ ...node, label: e.target.value || undefined })}
              />
            </Form.Item>
            <KindFields node={node} set={props.onChange} disabled={readOnly} />
          </>
        ) : trigger ? (
          <>
            <Form.Item label={t('journeys.field.triggerKind')}>
              <Typography.Text strong>{t(`journeys.trigger.${trigger.trigger.kind}`)}</Typography.Text>
            </Form.Item>
            <Form.Item label={t('journeys.field.trigger')}>
              <JsonField
                value={trigger.trigger}
                rows={8}
                disabled={readOnly}
                onChange={(v) => props.onTrigger(v, trigger.reentry)}
              />
            </Form.Item>
            <Form.Item label={t('journeys.field.reentry')}>
              <Switch
                checked={trigger.reentry}
                disabled={readOnly}
                onChange={(v) => props.onTrigger(trigger.trigger, v)}
              />
            </Form.Item>
          </>
        ) : null}
      </Form>
    </Drawer>
  );
}
