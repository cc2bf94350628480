import { CrownOutlined, GiftOutlined } from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Card,
  Descriptions,
  Divider,
  Drawer,
  Flex,
  InputNumber,
  Progress,
  Skeleton,
  Space,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Lang, useLang } from '../../i18n';
import { ApiError } from '../../shared/api/client';
import { ErrorAlert } from '../../shared/components';
import { dateFormat, formatDate, formatDateTime, formatMoney } from '../../shared/format';
import { useMe } from '../accounts/auth';
import {
  customersApi,
  type FactsCard,
  type KeyDate,
  type LifecycleSettings,
  type LifecycleStage,
  type LifecycleState,
  type Rfm,
} from './api';

const STAGE_COLOR: Record<LifecycleStage, string> = {
  new: 'cyan',
  active: 'green',
  repeat: 'blue',
  super: 'gold',
  dormant: 'orange',
  churned: 'default',
};

/** A lifecycle stage as a coloured tag, its rule in the tooltip. */
export function StageTag({ stage }: { stage: LifecycleStage | null }) {
  const { t } = useTranslation();
  if (!stage) return <Typography.Text type="secondary">{t('common.none')}</Typography.Text>;
  return (
    <Tooltip title={t(`stageHelp.${stage}`)}>
      <Tag
        color={STAGE_COLOR[stage]}
        icon={stage === 'super' ? <CrownOutlined /> : undefined}
        style={{ marginInlineEnd: 0 }}
        data-testid="stage-tag"
      >
        {t(`stage.${stage}`)}
      </Tag>
    </Tooltip>
  );
}

const SCORE_COLOR = ['', '#bfbfbf', '#91caff', '#4096ff', '#1677ff', '#faad14'];

/** R, F and M as three small scores, 5 in gold. */
export function RfmScores({ rfm }: { rfm: Rfm | null }) {
  const { t } = useTranslation();
  if (!rfm) return <Typography.Text type="secondary">{t('common.none')}</Typography.Text>;
  return (
    <Tooltip title={t('facts.rfmHelp')}>
      <span className="rfm-scores" data-testid="rfm">
        {(['r', 'f', 'm'] as const).map((k) => (
          <span key={k} className="rfm-score" style={{ background: SCORE_COLOR[rfm[k]] }}>
            {k.toUpperCase()}
            {rfm[k]}
          </span>
        ))}
      </span>
    </Tooltip>
  );
}

/** A 'YYYY-MM-DD' calendar date as month and day, without any time zone shifting it. */
export function monthDay(date: string, lang: Lang): string {
  return dateFormat(lang === 'en' ? 'en-US' : 'zh-CN', {
    month: 'short',
    day: 'numeric',
    timeZone: 'UTC',
  }).format(new Date(`${date}T00:00:00Z`));
}

/** "生日 · 7月15日 · 3 天后" — highlighted when it falls within the window being looked at. */
export function KeyDateTag({ keyDate, highlight }: { keyDate: KeyDate; highlight?: boolean }) {
  const { t } = useTranslation();
  const lang = useLang();
  const what =
    keyDate.kind === 'birthday'
      ? t('keyDate.birthday')
      : t('keyDate.member_anniversary', { years: keyDate.years });
  const when = keyDate.inDays === 0 ? t('keyDate.today') : t('keyDate.inDays', { count: keyDate.inDays });
  return (
    <Tag
      color={highlight ? (keyDate.inDays <= 7 ? 'volcano' : 'magenta') : 'default'}
      icon={keyDate.kind === 'birthday' ? <GiftOutlined /> : <CrownOutlined />}
      variant={highlight ? 'solid' : 'outlined'}
      data-testid="key-date"
    >
      {what} · {monthDay(keyDate.date, lang)} · {when}
    </Tag>
  );
}

type Four = LifecycleSettings['recencyDays'];

function Cuts(props: {
  value: Four;
  onChange(v: Four): void;
  disabled: boolean;
  /** shown in yuan, kept in fen */
  money?: boolean;
  testid: string;
}) {
  const scale = props.money ? 100 : 1;
  return (
    <Space.Compact data-testid={props.testid}>
      {props.value.map((v, i) => (
        <InputNumber
          // biome-ignore lint/suspicious/noArrayIndexKey: the four cut points are positional
          key={i}
          min={props.money ? 0.01 : 1}
          precision={props.money ? undefined : 0}
          value={v / scale}
          disabled={props.disabled}
          onChange={(n) => {
            const next = [...props.value] as Four;
            next[i] = Math.round(Number(n ?? 0) * scale);
            props.onChange(next);
          }}
          style={{ width: props.money ? 96 : 72 }}
        />
      ))}
    </Space.Compact>
  );
}

function Field(props: { label: string; help?: string; children: React.ReactNode }) {
  return (
    <Flex vertical gap={4} style={{ marginBottom: 14 }}>
      <Typography.Text strong>{props.label}</Typography.Text>
      {props.children}
      {props.help ? (
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {props.help}
        </Typography.Text>
      ) : null}
    </Flex>
  );
}

function RecomputeStatus({ state }: { state: LifecycleState }) {
  const { t } = useTranslation();
  const lang = useLang();
  const r = state.recompute;
  if (r.status === 'pending') return <Alert type="info" showIcon title={t('lifecycle.recompute.pending')} />;
  if (r.status === 'running') {
    return (
      <Flex vertical gap={4} data-testid="recompute-progress">
        <Typography.Text>
          {t('lifecycle.recompute.running', { done: r.done, total: r.total })}
        </Typography.Text>
        <Progress percent={r.total ? Math.floor((r.done / r.total) * 100) : 0} status="active" />
      </Flex>
    );
  }
  return (
    <Typography.Text type="secondary" data-testid="recompute-status">
      {r.status === 'done'
        ? t('lifecycle.recompute.done', { time: formatDateTime(r.finishedAt, lang), total: r.total })
        : t('lifecycle.recompute.never')}
    </Typography.Text>
  );
}

/**
 * The brand's lifecycle and RFM thresholds in a drawer: everyone reads them, the HQ admin changes them.
 * `onRecomputed` runs when a recompute the drawer watched has finished (the page's lists are stale).
 */
export function LifecycleRulesDrawer(props: { open: boolean; onClose(): void; onRecomputed?(): void }) {
  const { open, onClose, onRecomputed } = props;
  const { t } = useTranslation();
  const lang = useLang();
  const { message } = App.useApp();
  const me = useMe();
  const canEdit = me.role === 'hq_admin';
  const [state, setState] = useState<LifecycleState | null>(null);
  const [draft, setDraft] = useState<LifecycleSettings | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [saving, setSaving] = useState(false);
  const [attempt, setAttempt] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `attempt` re-reads on retry
  useEffect(() => {
    if (!open) return;
    const ctrl = new AbortController();
    customersApi.lifecycleSettings(ctrl.signal).then(
      (s) => {
        setState(s);
        setDraft(s.settings);
        setError(null);
      },
      (err: Error) => !ctrl.signal.aborted && setError(err),
    );
    return () => ctrl.abort();
  }, [open, attempt]);

  // While the brand is being recomputed, follow its progress.
  const busy = state?.recompute.status === 'pending' || state?.recompute.status === 'running';
  const wasBusy = useRef(false);
  useEffect(() => {
    if (wasBusy.current && !busy) onRecomputed?.();
    wasBusy.current = busy;
  }, [busy, onRecomputed]);
  useEffect(() => {
    if (!open || !busy) return;
    const timer = window.setInterval(() => {
      customersApi.lifecycleSettings().then(setState, () => undefined);
    }, 1500);
    return () => window.clearInterval(timer);
  }, [open, busy]);

  const save = async () => {
    if (!draft) return;
    setSaving(true);
    try {
      const saved = await customersApi.setLifecycleSettings(draft);
      setState(saved);
      setDraft(saved.settings);
      message.success(t('lifecycle.saved'));
    } catch (err) {
      message.error(err instanceof ApiError ? err.message : String(err));
    } finally {
      setSaving(false);
    }
  };

  const set = (patch: Partial<LifecycleSettings>) => draft && setDraft({ ...draft, ...patch });
  const num = (v: number | null) => Math.round(Number(v ?? 0));

  return (
    <Drawer
      title={t('lifecycle.title')}
      open={open}
      onClose={onClose}
      size={520}
      data-testid="lifecycle-rules"
      extra={
        canEdit && draft && state ? (
          <Space>
            <Button onClick={() => setDraft(state.defaults)}>{t('lifecycle.defaults')}</Button>
            <Button type="primary" loading={saving} onClick={save} data-testid="lifecycle-save">
              {t('lifecycle.save')}
            </Button>
          </Space>
        ) : undefined
      }
    >
      {error ? (
        <ErrorAlert error={error} onRetry={() => setAttempt((n) => n + 1)} />
      ) : !state || !draft ? (
        <Skeleton active />
      ) : (
        <Flex vertical>
          <RecomputeStatus state={state} />
          {state.updatedBy && state.updatedAt ? (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('lifecycle.updated', { name: state.updatedBy, time: formatDateTime(state.updatedAt, lang) })}
            </Typography.Text>
          ) : null}
          {canEdit ? null : (
            <Alert type="warning" showIcon title={t('lifecycle.readOnly')} style={{ marginTop: 12 }} />
          )}
          <Typography.Paragraph type="secondary" style={{ marginTop: 12 }}>
            {t('lifecycle.intro')}
          </Typography.Paragraph>
          <Divider titlePlacement="start" plain>
            {t('lifecycle.rfm')}
          </Divider>
          <Field label={t('lifecycle.recency')} help={t('lifecycle.recencyHelp')}>
            <Cuts
              value={draft.recencyDays}
              onChange={(v) => set({ recencyDays: v })}
              disabled={!canEdit}
              testid="cuts-recency"
            />
          </Field>
          <Field label={t('lifecycle.frequency')} help={t('lifecycle.frequencyHelp')}>
            <Cuts
              value={draft.frequencyOrders}
              onChange={(v) => set({ frequencyOrders: v })}
              disabled={!canEdit}
              testid="cuts-frequency"
            />
          </Field>
          <Field label={t('lifecycle.monetary')} help={t('lifecycle.monetaryHelp')}>
            <Cuts
              value={draft.monetaryFen}
              onChange={(v) => set({ monetaryFen: v })}
              disabled={!canEdit}
              money
              testid="cuts-monetary"
            />
          </Field>
          <Divider titlePlacement="start" plain>
            {t('lifecycle.stages')}
          </Divider>
          <Field label={t('lifecycle.repeatOrders')}>
            <InputNumber
              min={2}
              precision={0}
              value={draft.repeatOrders}
              disabled={!canEdit}
              suffix={t('lifecycle.ordersUnit')}
              onChange={(v) => set({ repeatOrders: num(v) })}
              data-testid="repeat-orders"
            />
          </Field>
          <Field label={t('lifecycle.superMin')}>
            <Space.Compact>
              {(['r', 'f', 'm'] as const).map((k) => (
                <InputNumber
                  key={k}
                  min={1}
                  max={5}
                  precision={0}
                  prefix={k.toUpperCase()}
                  value={draft.superMin[k]}
                  disabled={!canEdit}
                  onChange={(v) => set({ superMin: { ...draft.superMin, [k]: num(v) } })}
                  style={{ width: 80 }}
                  data-testid={`super-min-${k}`}
                />
              ))}
            </Space.Compact>
          </Field>
          <Field label={t('lifecycle.dormantDays')}>
            <InputNumber
              min={1}
              precision={0}
              value={draft.dormantDays}
              disabled={!canEdit}
              suffix={t('lifecycle.daysUnit')}
              onChange={(v) => set({ dormantDays: num(v) })}
              data-testid="dormant-days"
            />
          </Field>
          <Field label={t('lifecycle.churnedDays')} help={t('lifecycle.churnedHelp')}>
            <InputNumber
              min={2}
              precision={0}
              value={draft.churnedDays}
              disabled={!canEdit}
              suffix={t('lifecycle.daysUnit')}
              onChange={(v) => set({ churnedDays: num(v) })}
              data-testid="churned-days"
            />
          </Field>
        </Flex>
      )}
    </Drawer>
  );
}

/** The profile's 客户价值 card: stage, RFM, LTV, orders, usual store, coupon share, membership, key dates. */
export function FactsCardView({ facts }: { facts: FactsCard | null }) {
  const { t } = useTranslation();
  const lang = useLang();
  const none = <Typography.Text type="secondary">{t('common.none')}</Typography.Text>;
  if (!facts) {
    return (
      <Card title={t('facts.title')} data-testid="facts">
        <Typography.Text type="secondary">{t('facts.notComputed')}</Typography.Text>
      </Card>
    );
  }
  const ordered = facts.orderCount > 0;
  return (
    <Card
      title={t('facts.title')}
      data-testid="facts"
      extra={
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t('facts.computedAt', { time: formatDateTime(facts.computedAt, lang) })}
        </Typography.Text>
      }
    >
      <Flex align="center" gap={12} wrap style={{ marginBottom: 12 }}>
        <StageTag stage={facts.stage} />
        <RfmScores rfm={facts.rfm} />
        {ordered ? (
          <Typography.Text strong style={{ fontSize: 18 }} data-testid="facts-ltv">
            {formatMoney(facts.paidFen, lang)}
          </Typography.Text>
        ) : (
          <Typography.Text type="secondary">{t('facts.noOrders')}</Typography.Text>
        )}
      </Flex>
      <Descriptions
        size="small"
        column={{ xs: 1, sm: 2 }}
        items={[
          ...(ordered
            ? [
                { key: 'ltv', label: t('facts.ltv'), children: formatMoney(facts.paidFen, lang) },
                {
                  key: 'orders',
                  label: t('facts.orders'),
                  children: t('facts.ordersValue', { count: facts.orderCount }),
                },
                {
                  key: 'first',
                  label: t('facts.firstOrder'),
                  children: formatDate(facts.firstOrderAt, lang),
                },
                { key: 'last', label: t('facts.lastOrder'), children: formatDate(facts.lastOrderAt, lang) },
                { key: 'store', label: t('facts.topStore'), children: facts.topUnit?.name ?? none },
                {
                  key: 'coupon',
                  label: t('facts.couponShare'),
                  children: (
                    <span>
                      {t('facts.couponShareValue', {
                        pct: Math.round((facts.couponShare ?? 0) * 100),
                        count: facts.couponOrders,
                      })}
                      {(facts.couponShare ?? 0) >= 0.5 ? (
                        <Tag color="orange" style={{ marginInlineStart: 6 }}>
                          {t('facts.priceSensitive')}
                        </Tag>
                      ) : null}
                    </span>
                  ),
                },
              ]
            : []),
          {
            key: 'member',
            label: t('facts.member'),
            children:
              facts.memberLevel || facts.memberSince ? (
                <span>
                  {facts.memberLevel ?? ''}
                  {facts.memberSince
                    ? ` · ${t('facts.memberSince', { date: formatDate(`${facts.memberSince}T00:00:00`, lang) })}`
                    : ''}
                </span>
              ) : (
                none
              ),
          },
          {
            key: 'birthday',
            label: t('facts.birthday'),
            children: facts.birthday ? monthDay(facts.birthday, lang) : none,
          },
          {
            key: 'keyDates',
            label: t('facts.keyDates'),
            span: 'filled' as const,
            children: facts.keyDates.length ? (
              <Flex gap={6} wrap>
                {facts.keyDates.map((k) => (
                  <KeyDateTag key={k.kind} keyDate={k} highlight={k.inDays <= 30} />
                ))}
              </Flex>
            ) : (
              none
            ),
          },
        ]}
      />
    </Card>
  );
}
