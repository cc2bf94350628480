import { DeleteOutlined, FolderAddOutlined, PlusOutlined, StopOutlined } from '@ant-design/icons';
import {
  Button,
  ConfigProvider,
  Flex,
  InputNumber,
  Segmented,
  Select,
  Space,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import type { TFunction } from 'i18next';
import { type ReactNode, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import i18n, { type Lang, useLang } from '../../i18n';
import type { Cmp, Rule, RuleValue, SegmentField, SegmentFieldGroup } from './api';

/** The server's limits on a rule tree. */
export const MAX_DEPTH = 6;
export const MAX_CONDITIONS = 100;

const FIELD_GROUPS: SegmentFieldGroup[] = [
  'tags',
  'lifecycle',
  'rfm',
  'orders',
  'price',
  'org',
  'channel',
  'groups',
  'acquisition',
];

/**
 * The rule as edited: every node has a stable key (React identity, error highlighting), a condition may be
 * unfinished, and a negation is a flag on the node it negates rather than a node of its own.
 */
export type DraftNode = DraftGroup | DraftCondition;
export interface DraftGroup {
  kind: 'group';
  key: string;
  op: 'and' | 'or';
  negated: boolean;
  children: DraftNode[];
}
export interface DraftCondition {
  kind: 'condition';
  key: string;
  negated: boolean;
  field?: string;
  cmp?: Cmp;
  /** As entered: money in yuan, shares in percent; `toRule` converts to the API's fen and 0..1. */
  value?: unknown;
}

let lastKey = 0;
const nextKey = () => `n${++lastKey}`;

export function emptyCondition(): DraftCondition {
  return { kind: 'condition', key: nextKey(), negated: false };
}

export function emptyGroup(withCondition = true): DraftGroup {
  return {
    kind: 'group',
    key: nextKey(),
    op: 'and',
    negated: false,
    children: withCondition ? [emptyCondition()] : [],
  };
}

/** What a comparison takes as its value: `any` / `none` ask whether a set is empty, so they take none. */
type ValueShape = 'none' | 'one' | 'range' | 'list';

export function valueShape(cmp: Cmp | undefined): ValueShape {
  switch (cmp) {
    case 'eq':
    case 'ne':
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return 'one';
    case 'between':
      return 'range';
    case 'in':
    case 'all':
    case 'not_in':
      return 'list';
    default:
      return 'none';
  }
}

/** Entered value → the API's unit (fen for money, 0..1 for shares); other types pass through. */
function encodeScalar(type: SegmentField['type'], v: unknown): unknown {
  if (typeof v !== 'number') return v;
  if (type === 'money') return Math.round(v * 100);
  if (type === 'share') return Math.round(v * 100) / 10_000;
  return v;
}

function decodeScalar(type: SegmentField['type'], v: unknown): unknown {
  if (typeof v !== 'number') return v;
  if (type === 'money') return v / 100;
  if (type === 'share') return Math.round(v * 10_000) / 100;
  return v;
}

function mapValue(value: unknown, f: (v: unknown) => unknown): unknown {
  return Array.isArray(value) ? value.map(f) : f(value);
}

function isFilled(shape: ValueShape, value: unknown): boolean {
  if (shape === 'none') return true;
  if (shape === 'list') return Array.isArray(value) && value.length > 0;
  if (shape === 'range') {
    return Array.isArray(value) && value.length === 2 && value.every((v) => v !== null && v !== undefined);
  }
  return value !== undefined && value !== null && value !== '';
}

/** A saved rule as a draft (a negation becomes the flag of the node it wraps). */
export function fromRule(rule: Rule, fields: Map<string, SegmentField>, negated = false): DraftNode {
  if ('op' in rule) {
    if (rule.op === 'not') return fromRule(rule.rule, fields, !negated);
    return {
      kind: 'group',
      key: nextKey(),
      op: rule.op,
      negated,
      children: rule.rules.map((r) => fromRule(r, fields)),
    };
  }
  const type = fields.get(rule.field)?.type;
  return {
    kind: 'condition',
    key: nextKey(),
    negated,
    field: rule.field,
    cmp: rule.cmp,
    value: type ? mapValue(rule.value, (v) => decodeScalar(type, v)) : rule.value,
  };
}

/** The root of a draft: always a group, so there is somewhere to add conditions. */
export function rootFromRule(rule: Rule, fields: Map<string, SegmentField>): DraftGroup {
  const node = fromRule(rule, fields);
  if (node.kind === 'group') return node;
  return { kind: 'group', key: nextKey(), op: 'and', negated: false, children: [node] };
}

export interface CompiledRule {
  /** The rule of the finished conditions, or null when there is none yet. */
  rule: Rule | null;
  /** Keys of the conditions not finished yet (left out of `rule`). */
  unfinished: string[];
  conditions: number;
  /** The API's path of each node of `rule` ('' the root, '.rules.0', '.rules.1.rule', …) → the draft key. */
  paths: Map<string, string>;
}

/** The draft as the API's rule: unfinished conditions and the groups left empty by them are left out. */
export function toRule(root: DraftGroup, fields: Map<string, SegmentField>): CompiledRule {
  const unfinished: string[] = [];
  const paths = new Map<string, string>();
  let conditions = 0;

  const compile = (node: DraftNode, path: string): Rule | null => {
    const innerPath = node.negated ? `${path}.rule` : path;
    let rule: Rule | null;
    if (node.kind === 'condition') {
      const field = node.field ? fields.get(node.field) : undefined;
      const shape = valueShape(node.cmp);
      if (!field || !node.cmp || !isFilled(shape, node.value)) {
        unfinished.push(node.key);
        return null;
      }
      conditions++;
      rule =
        shape === 'none'
          ? { field: field.key, cmp: node.cmp }
          : {
              field: field.key,
              cmp: node.cmp,
              // as entered, of the shape isFilled checked
              value: mapValue(node.value, (v) => encodeScalar(field.type, v)) as RuleValue,
            };
    } else {
      const rules: Rule[] = [];
      for (const child of node.children) {
        const r = compile(child, `${innerPath}.rules.${rules.length}`);
        if (r) rules.push(r);
      }
      if (rules.length === 0) return null;
      rule = { op: node.op, rules };
    }
    paths.set(path, node.key);
    paths.set(innerPath, node.key);
    return node.negated ? { op: 'not', rule } : rule;
  };

  const rule = compile(root, '');
  return { rule, unfinished, conditions, paths };
}

/**
 * The draft node a server message points at: the API names the bad node by its path in the rule
 * (`rules[1].rules[0].value`, `rule.rules[2]`, `(root)`); the deepest node of that path known here.
 */
export function keyOfErrorPath(message: string, paths: Map<string, string>): string | undefined {
  const match = /(?:^|[\s:(])((?:rules\[\d+\]|rule)(?:\.rules\[\d+\]|\.rule\b)*)/.exec(message);
  let path = '';
  let found = paths.get('');
  for (const step of match?.[1]?.match(/rules\[\d+\]|rule\b/g) ?? []) {
    const index = /\d+/.exec(step);
    path += index ? `.rules.${index[0]}` : '.rule';
    const key = paths.get(path);
    if (!key) break;
    found = key;
  }
  return found;
}

function mapNode(node: DraftNode, key: string, f: (n: DraftNode) => DraftNode | null): DraftNode | null {
  if (node.key === key) return f(node);
  if (node.kind !== 'group') return node;
  const children: DraftNode[] = [];
  let changed = false;
  for (const child of node.children) {
    const next = mapNode(child, key, f);
    if (next !== child) changed = true;
    if (next) children.push(next);
  }
  return changed ? { ...node, children } : node;
}

function conditionCount(node: DraftNode): number {
  if (node.kind !== 'group') return 1;
  return node.children.reduce((n, c) => n + conditionCount(c), 0);
}

function fieldLabel(field: SegmentField, lang: Lang) {
  return field.label[lang] || field.label.zh;
}

const NUMERIC_TYPES = new Set<SegmentField['type']>(['number', 'money', 'days', 'share']);

/**
 * A comparison in words, which depend on the field: a set (tags: has any of), a choice (stage: is), a number,
 * a month (in or after) or a yes / no.
 */
export function cmpLabel(t: TFunction, field: SegmentField, cmp: string): string {
  const kind = field.cmps.includes('all')
    ? 'set'
    : NUMERIC_TYPES.has(field.type)
      ? 'number'
      : field.type === 'month' || field.type === 'flag'
        ? field.type
        : 'choice';
  const key = `ruleBuilder.cmp.${kind}.${cmp}`;
  return i18n.exists(key) ? t(key as 'ruleBuilder.cmp.number.eq') : cmp;
}

interface Ctx {
  fields: Map<string, SegmentField>;
  fieldOptions: { label: ReactNode; title: string; options: { value: string; label: string }[] }[];
  unfinished: Set<string>;
  errorKey?: string;
  errorMessage?: string;
  canAdd: boolean;
  readOnly: boolean;
  update(key: string, f: (n: DraftNode) => DraftNode | null): void;
}

export interface RuleBuilderProps {
  fields: SegmentField[];
  value: DraftGroup;
  onChange(next: DraftGroup): void;
  /** Conditions to mark as not finished yet. */
  unfinished: string[];
  /** The node the server rejected, and why. */
  errorKey?: string;
  errorMessage?: string;
  /** Shown, not edited: the caller may not change this segment (no live inputs, no add or remove). */
  readOnly?: boolean;
}

/** A nested and / or / not tree of conditions over the segment fields the server offers. */
export function RuleBuilder(props: RuleBuilderProps) {
  const { t } = useTranslation();
  const lang = useLang();
  const fields = useMemo(() => new Map(props.fields.map((f) => [f.key, f])), [props.fields]);
  const fieldOptions = useMemo(
    () =>
      FIELD_GROUPS.map((group) => ({
        label: t(`ruleBuilder.group.${group}`),
        title: t(`ruleBuilder.group.${group}`),
        options: props.fields
          .filter((f) => f.group === group)
          .map((f) => ({ value: f.key, label: fieldLabel(f, lang) })),
      })).filter((g) => g.options.length > 0),
    [props.fields, lang, t],
  );
  const unfinished = useMemo(() => new Set(props.unfinished), [props.unfinished]);
  const { value, onChange } = props;
  const ctx: Ctx = {
    fields,
    fieldOptions,
    unfinished,
    errorKey: props.errorKey,
    errorMessage: props.errorMessage,
    canAdd: conditionCount(value) < MAX_CONDITIONS,
    readOnly: props.readOnly ?? false,
    update: (key, f) => {
      const next = mapNode(value, key, f);
      if (next && next.kind === 'group') onChange(next);
    },
  };
  return (
    <div className="rule-builder" data-testid="rule-builder" data-readonly={ctx.readOnly}>
      <ConfigProvider componentDisabled={ctx.readOnly}>
        <GroupEditor group={value} ctx={ctx} level={1} root />
      </ConfigProvider>
    </div>
  );
}

/** `level`: the node's depth in the API's rule (the root is 1; a negation is a level of its own). */
function NodeEditor({ node, ctx, level }: { node: DraftNode; ctx: Ctx; level: number }) {
  return node.kind === 'group' ? (
    <GroupEditor group={node} ctx={ctx} level={level} />
  ) : (
    <ConditionEditor condition={node} ctx={ctx} />
  );
}

function NegateButton({ node, ctx }: { node: DraftNode; ctx: Ctx }) {
  const { t } = useTranslation();
  return (
    <Tooltip title={node.negated ? t('ruleBuilder.unnegate') : t('ruleBuilder.negate')}>
      <Button
        size="small"
        type={node.negated ? 'primary' : 'text'}
        danger={node.negated}
        icon={<StopOutlined />}
        aria-pressed={node.negated}
        aria-label={t('ruleBuilder.negate')}
        data-testid="rule-negate"
        onClick={() => ctx.update(node.key, (n) => ({ ...n, negated: !n.negated }))}
      />
    </Tooltip>
  );
}

function RemoveButton({ node, ctx }: { node: DraftNode; ctx: Ctx }) {
  const { t } = useTranslation();
  return (
    <Tooltip title={t('ruleBuilder.remove')}>
      <Button
        size="small"
        type="text"
        icon={<DeleteOutlined />}
        aria-label={t('ruleBuilder.remove')}
        data-testid="rule-remove"
        onClick={() => ctx.update(node.key, () => null)}
      />
    </Tooltip>
  );
}

function NodeError({ node, ctx }: { node: DraftNode; ctx: Ctx }) {
  if (ctx.errorKey !== node.key || !ctx.errorMessage) return null;
  return (
    <Typography.Text type="danger" className="rule-node-error" data-testid="rule-node-error">
      {ctx.errorMessage}
    </Typography.Text>
  );
}

function GroupEditor({
  group,
  ctx,
  level,
  root,
}: {
  group: DraftGroup;
  ctx: Ctx;
  level: number;
  root?: boolean;
}) {
  const { t } = useTranslation();
  // Children sit one level below the group (two for a new group and its first condition).
  const inner = level + (group.negated ? 1 : 0);
  const canAddCondition = ctx.canAdd && inner + 1 <= MAX_DEPTH;
  const canAddGroup = ctx.canAdd && inner + 2 <= MAX_DEPTH;
  const add = (child: DraftNode) =>
    ctx.update(group.key, (n) => (n.kind === 'group' ? { ...n, children: [...n.children, child] } : n));
  const joiner = group.op === 'and' ? t('ruleBuilder.and') : t('ruleBuilder.or');
  const classes = [
    'rule-group',
    `rule-group-${group.op}`,
    group.negated ? 'rule-negated' : '',
    ctx.errorKey === group.key ? 'rule-error' : '',
  ];
  return (
    <div className={classes.join(' ')} data-testid="rule-group">
      <Flex className="rule-group-head" align="center" gap={8} wrap>
        {group.negated ? (
          <Tag color="error" className="rule-not-tag">
            {t('ruleBuilder.not')}
          </Tag>
        ) : null}
        {ctx.readOnly ? (
          <Typography.Text strong>
            {group.op === 'and' ? t('ruleBuilder.all') : t('ruleBuilder.any')}
          </Typography.Text>
        ) : (
          <Segmented<'and' | 'or'>
            size="small"
            value={group.op}
            onChange={(op) => ctx.update(group.key, (n) => (n.kind === 'group' ? { ...n, op } : n))}
            options={[
              { value: 'and', label: t('ruleBuilder.all') },
              { value: 'or', label: t('ruleBuilder.any') },
            ]}
            data-testid="rule-op"
          />
        )}
        <Typography.Text type="secondary">{t('ruleBuilder.ofTheseConditions')}</Typography.Text>
        {ctx.readOnly ? null : (
          <Space size={4} style={{ marginInlineStart: 'auto' }}>
            <Button
              size="small"
              icon={<PlusOutlined />}
              disabled={!canAddCondition}
              onClick={() => add(emptyCondition())}
              data-testid="rule-add-condition"
            >
              {t('ruleBuilder.addCondition')}
            </Button>
            <Tooltip
              title={ctx.canAdd && !canAddGroup ? t('ruleBuilder.tooDeep', { max: MAX_DEPTH }) : undefined}
            >
              <Button
                size="small"
                icon={<FolderAddOutlined />}
                disabled={!canAddGroup}
                onClick={() => add(emptyGroup())}
                data-testid="rule-add-group"
              >
                {t('ruleBuilder.addGroup')}
              </Button>
            </Tooltip>
            <NegateButton node={group} ctx={ctx} />
            {root ? null : <RemoveButton node={group} ctx={ctx} />}
          </Space>
        )}
      </Flex>
      <NodeError node={group} ctx={ctx} />
      {group.children.length === 0 ? (
        <Typography.Text type="secondary" className="rule-empty">
          {root ? t('ruleBuilder.emptyRoot') : t('ruleBuilder.emptyGroup')}
        </Typography.Text>
      ) : (
        <div className="rule-children">
          {group.children.map((child, i) => (
            <div key={child.key}>
              {i > 0 ? <div className={`rule-joiner rule-joiner-${group.op}`}>{joiner}</div> : null}
              <NodeEditor node={child} ctx={ctx} level={inner + 1} />
            </div>
          ))}
        </div>
      )}
      {!ctx.canAdd && root ? (
        <Typography.Text type="warning">{t('ruleBuilder.tooMany', { max: MAX_CONDITIONS })}</Typography.Text>
      ) : null}
    </div>
  );
}

function ConditionEditor({ condition, ctx }: { condition: DraftCondition; ctx: Ctx }) {
  const { t } = useTranslation();
  const field = condition.field ? ctx.fields.get(condition.field) : undefined;
  const set = (patch: Partial<DraftCondition>) => ctx.update(condition.key, (n) => ({ ...n, ...patch }));
  const unfinished = ctx.unfinished.has(condition.key);
  const classes = [
    'rule-condition',
    condition.negated ? 'rule-negated' : '',
    unfinished ? 'rule-unfinished' : '',
    ctx.errorKey === condition.key ? 'rule-error' : '',
  ];
  return (
    <div className={classes.join(' ')} data-testid="rule-condition">
      <Flex align="center" gap={8} wrap>
        {condition.negated ? (
          <Tag color="error" className="rule-not-tag">
            {t('ruleBuilder.not')}
          </Tag>
        ) : null}
        <Select<string>
          showSearch={{ optionFilterProp: 'label' }}
          placeholder={t('ruleBuilder.fieldPlaceholder')}
          value={condition.field}
          options={ctx.fieldOptions}
          onChange={(key) => {
            const next = ctx.fields.get(key);
            set({ field: key, cmp: next?.cmps[0], value: undefined });
          }}
          style={{ width: 170 }}
          popupMatchSelectWidth={260}
          data-testid="rule-field"
        />
        {field ? (
          <Select<Cmp>
            value={condition.cmp}
            options={field.cmps.map((c) => ({ value: c, label: cmpLabel(t, field, c) }))}
            onChange={(cmp) =>
              set({
                cmp,
                value: valueShape(cmp) === valueShape(condition.cmp) ? condition.value : undefined,
              })
            }
            style={{ width: 124 }}
            popupMatchSelectWidth={false}
            data-testid="rule-cmp"
          />
        ) : null}
        {field && condition.cmp ? (
          <ValueInput
            field={field}
            shape={valueShape(condition.cmp)}
            value={condition.value}
            onChange={(value) => set({ value })}
          />
        ) : null}
        {ctx.readOnly ? null : (
          <Space size={2} style={{ marginInlineStart: 'auto' }}>
            <NegateButton node={condition} ctx={ctx} />
            <RemoveButton node={condition} ctx={ctx} />
          </Space>
        )}
      </Flex>
      {unfinished ? (
        <Typography.Text type="secondary" className="rule-hint">
          {t('ruleBuilder.unfinished')}
        </Typography.Text>
      ) : null}
      <NodeError node={condition} ctx={ctx} />
    </div>
  );
}

const NUMBER_UNIT: Partial<Record<SegmentField['type'], 'yuan' | 'days' | 'percent'>> = {
  money: 'yuan',
  days: 'days',
  share: 'percent',
};

function NumberInput({
  type,
  value,
  onChange,
}: {
  type: SegmentField['type'];
  value: unknown;
  onChange(v: number | null): void;
}) {
  const { t } = useTranslation();
  const unit = NUMBER_UNIT[type];
  return (
    <InputNumber<number>
      min={0}
      max={type === 'share' ? 100 : undefined}
      precision={type === 'money' || type === 'share' ? 2 : 0}
      value={typeof value === 'number' ? value : null}
      onChange={(v) => onChange(v)}
      suffix={unit ? t(`ruleBuilder.unit.${unit}`) : undefined}
      style={{ width: 130 }}
      data-testid="rule-value-number"
    />
  );
}

type Option = NonNullable<SegmentField['options']>[number];

/** Options under their group's heading when they have one (tags under their tag group). */
function groupedOptions(options: Option[] | undefined) {
  if (!options?.some((o) => o.group)) return options;
  const groups = new Map<string, Option[]>();
  for (const o of options) {
    const name = o.group ?? '';
    groups.set(name, [...(groups.get(name) ?? []), o]);
  }
  return [...groups].map(([name, opts]) => ({
    label: name,
    title: name,
    options: opts.map((o) => ({ value: o.value, label: o.label, group: name })),
  }));
}

function ValueInput({
  field,
  shape,
  value,
  onChange,
}: {
  field: SegmentField;
  shape: ValueShape;
  value: unknown;
  onChange(v: unknown): void;
}) {
  const { t } = useTranslation();
  const options = useMemo(() => groupedOptions(field.options), [field.options]);
  if (shape === 'none') return null;
  if (options && shape === 'range') {
    // a range of choices (months): one picker each end
    const [from, to] = Array.isArray(value) ? value : [];
    const end = (v: unknown, set: (v: string | number | undefined) => void, testId: string) => (
      <Select<string | number>
        showSearch={{ optionFilterProp: 'label' }}
        placeholder={t('ruleBuilder.valuePlaceholder')}
        value={(v ?? undefined) as string | number | undefined}
        options={options}
        onChange={set}
        style={{ width: 120 }}
        data-testid={testId}
      />
    );
    return (
      <Flex align="center" gap={6}>
        {end(from, (v) => onChange([v ?? null, to ?? null]), 'rule-value-from')}
        <Typography.Text type="secondary">{t('ruleBuilder.to')}</Typography.Text>
        {end(to, (v) => onChange([from ?? null, v ?? null]), 'rule-value-to')}
      </Flex>
    );
  }
  if (options) {
    const multiple = shape === 'list';
    return (
      <Select<string | number | (string | number)[]>
        // Products are also typed in by code: the list offers only those already ordered.
        mode={multiple ? (field.type === 'product' ? 'tags' : 'multiple') : undefined}
        showSearch={{ optionFilterProp: ['label', 'group'] }}
        allowClear
        maxTagCount="responsive"
        placeholder={t('ruleBuilder.valuePlaceholder')}
        value={(value ?? (multiple ? [] : undefined)) as string | number | (string | number)[] | undefined}
        options={options}
        onChange={(v) => onChange(v ?? undefined)}
        style={{ minWidth: 150, flex: '1 1 150px', maxWidth: 360 }}
        popupMatchSelectWidth={false}
        data-testid="rule-value"
      />
    );
  }
  if (shape === 'range') {
    const [from, to] = Array.isArray(value) ? value : [];
    return (
      <Flex align="center" gap={6}>
        <NumberInput type={field.type} value={from} onChange={(v) => onChange([v, to ?? null])} />
        <Typography.Text type="secondary">{t('ruleBuilder.to')}</Typography.Text>
        <NumberInput type={field.type} value={to} onChange={(v) => onChange([from ?? null, v])} />
      </Flex>
    );
  }
  return <NumberInput type={field.type} value={value} onChange={(v) => onChange(v ?? undefined)} />;
}
