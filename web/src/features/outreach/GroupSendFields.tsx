import {
  Alert,
  Card,
  Checkbox,
  DatePicker,
  Flex,
  InputNumber,
  Select,
  Statistic,
  Tag,
  TimePicker,
  Typography,
} from 'antd';
import dayjs from 'dayjs';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { useLang } from '../../i18n';
import { formatNumber } from '../../shared/format';
import { GROUP_TYPES, type GroupType } from '../groups/api';
import { UnitTreeSelect } from '../org/UnitTreeSelect';
import {
  GROUP_EXCLUSIONS,
  GROUP_VARIABLES,
  type GroupAudience,
  type GroupPlan,
  type Recurrence,
} from './api';

type Persona = NonNullable<GroupAudience['persona']>;
const PERSONA_KEYS = [
  'minBuyerShare',
  'minLoyaltyShare',
  'minHighFrequencyShare',
] as const satisfies readonly (keyof Persona)[];
const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7] as const;

/** Which groups a group send goes to: types, one store (or all in scope) and persona thresholds, ANDed. */
export function GroupAudiencePicker({
  value,
  onChange,
}: {
  value: GroupAudience;
  onChange(value: GroupAudience): void;
}) {
  const { t } = useTranslation();
  const persona = value.persona ?? {};
  const setPersona = (key: keyof Persona, pct: number | null) => {
    const next: Persona = { ...persona };
    if (pct === null || pct === undefined) delete next[key];
    else next[key] = pct / 100;
    onChange({ ...value, persona: Object.keys(next).length ? next : undefined });
  };
  return (
    <Flex vertical gap={8} data-testid="group-audience">
      <Select<GroupType[]>
        mode="multiple"
        allowClear
        value={value.types ?? []}
        placeholder={t('massSends.g.types')}
        onChange={(v) => onChange({ ...value, types: v.length ? v : undefined })}
        options={GROUP_TYPES.map((x) => ({ value: x, label: t(`groups.type.${x}`) }))}
        data-testid="group-audience-types"
      />
      <UnitTreeSelect
        value={value.unitIds?.[0]}
        placeholder={t('massSends.g.store')}
        onChange={(v) => onChange({ ...value, unitIds: v === undefined ? undefined : [v] })}
        style={{ width: '100%' }}
      />
      <Typography.Text type="secondary">{t('massSends.g.persona')}</Typography.Text>
      <Flex gap={8} wrap>
        {PERSONA_KEYS.map((k) => (
          <InputNumber<number>
            key={k}
            min={0}
            max={100}
            style={{ width: 200, maxWidth: '100%' }}
            addonBefore={t(`massSends.g.${k}`)}
            addonAfter="%"
            value={persona[k] === undefined ? null : Math.round(persona[k] * 100)}
            onChange={(v) => setPersona(k, v)}
          />
        ))}
      </Flex>
    </Flex>
  );
}

/** Every week on some days at a brand time, until a day if given. */
export function RecurrencePicker({
  value,
  onChange,
}: {
  value: Partial<Recurrence>;
  onChange(value: Partial<Recurrence>): void;
}) {
  const { t } = useTranslation();
  return (
    <Flex vertical gap={8} data-testid="group-recurrence">
      <Checkbox.Group
        value={value.weekdays ?? []}
        onChange={(v) => onChange({ ...value, weekdays: (v as number[]).sort() })}
        options={WEEKDAYS.map((d) => ({ value: d, label: t(`massSends.g.weekday.d${d}`) }))}
      />
      <Flex gap={8} wrap>
        <TimePicker
          format="HH:mm"
          minuteStep={5}
          placeholder={t('massSends.g.time')}
          value={value.time ? dayjs(value.time, 'HH:mm') : null}
          onChange={(v) => onChange({ ...value, time: v ? v.format('HH:mm') : undefined })}
          data-testid="group-recurrence-time"
        />
        <DatePicker
          placeholder={t('massSends.g.until')}
          value={value.until ? dayjs(value.until) : null}
          onChange={(v) => onChange({ ...value, until: v ? v.format('YYYY-MM-DD') : null })}
        />
      </Flex>
    </Flex>
  );
}

/** "每周三 10:00" for a recurrence. */
export function recurrenceText(rule: Recurrence, t: TFunction) {
  const days = rule.weekdays
    .map((d) => t(`massSends.g.weekday.d${d as (typeof WEEKDAYS)[number]}`))
    .join('、');
  return rule.until
    ? t('massSends.g.everyUntil', { days, time: rule.time, until: rule.until })
    : t('massSends.g.every', { days, time: rule.time });
}

/** Buttons that put a group variable at the end of the text. */
export function GroupVariables({ onInsert }: { onInsert(token: string): void }) {
  const { t } = useTranslation();
  return (
    <Flex gap={4} wrap align="center">
      <Typography.Text type="secondary">{t('massSends.g.variables')}</Typography.Text>
      {GROUP_VARIABLES.map((v) => (
        <Tag.CheckableTag key={v} checked={false} onChange={() => onInsert(`{{${v}}}`)}>
          {t(`massSends.g.variable.${v}`)}
        </Tag.CheckableTag>
      ))}
    </Flex>
  );
}

/** The text as one group sees it: the variables filled with samples. */
export function sampleGroupText(text: string, t: TFunction) {
  return text.replace(/\{\{\s*([a-z_]+)\s*(?:\|[^{}]*)?\}\}/g, (raw, name: string) =>
    (GROUP_VARIABLES as readonly string[]).includes(name)
      ? t(`massSends.g.sample.${name as (typeof GROUP_VARIABLES)[number]}`)
      : raw,
  );
}

/** A group plan: groups matching, receiving, members reached, each reason a group is left out, the owners. */
export function GroupPlanView({ plan }: { plan: GroupPlan }) {
  const { t } = useTranslation();
  const lang = useLang();
  const reasons = GROUP_EXCLUSIONS.filter((e) => plan.excluded[e] > 0);
  return (
    <Card size="small" title={t('massSends.g.planTitle')} data-testid="group-plan">
      <Flex gap={32} wrap style={{ marginBottom: 12 }}>
        <Statistic title={t('massSends.g.total')} value={plan.total} />
        <Statistic
          title={t('massSends.g.receiving')}
          value={plan.receiving}
          valueStyle={{ color: '#07c160' }}
        />
        <Statistic title={t('massSends.g.members')} value={plan.members} />
      </Flex>
      <Typography.Paragraph type="secondary">
        {t('massSends.g.monthlyCap', { cap: plan.monthlyCap })}
      </Typography.Paragraph>
      {plan.guard.blocked ? (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 12 }}
          title={t('massSends.g.guardBlocked', { count: plan.guard.notWelfare })}
          data-testid="group-plan-guard"
        />
      ) : null}
      {reasons.length ? (
        <>
          <Typography.Text strong>{t('massSends.excludedTitle')}</Typography.Text>
          <Flex vertical gap={8} style={{ marginTop: 8, marginBottom: 12 }}>
            {reasons.map((r) => (
              <div key={r} className="mass-reason" data-testid={`group-plan-reason-${r}`}>
                <span>{t(`massSends.g.reason.${r}`)}</span>
                <Typography.Text strong>{formatNumber(plan.excluded[r], lang)}</Typography.Text>
              </div>
            ))}
          </Flex>
        </>
      ) : null}
      {plan.owners.length ? (
        <>
          <Typography.Text strong>{t('massSends.g.owners')}</Typography.Text>
          <Flex gap={4} wrap style={{ marginTop: 8 }}>
            {plan.owners.slice(0, 30).map((o) => (
              <Tag key={o.staffId}>{t('massSends.g.ownerCount', { name: o.name, count: o.groups })}</Tag>
            ))}
          </Flex>
        </>
      ) : null}
    </Card>
  );
}
