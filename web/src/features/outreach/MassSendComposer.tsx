import {
  App,
  Button,
  Card,
  Col,
  DatePicker,
  Flex,
  Input,
  Radio,
  Row,
  Segmented,
  Select,
  Space,
  Typography,
} from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router-dom';
import { ApiError } from '../../shared/api/client';
import { ErrorAlert, PageHeader } from '../../shared/components';
import { useAsync } from '../../shared/hooks';
import { useMe } from '../accounts/auth';
import { segmentsApi } from '../segments/api';
import { tagsApi } from '../tags/api';
import {
  type Attachment,
  type Audience,
  CONTENT_KINDS,
  type ContentKind,
  type GroupAudience,
  type GroupPlan,
  type GuardMode,
  outreachApi,
  type Plan,
  type Recurrence,
  type SenderRule,
  type Target,
} from './api';
import {
  GroupAudiencePicker,
  GroupPlanView,
  GroupVariables,
  RecurrencePicker,
  sampleGroupText,
} from './GroupSendFields';
import { PlanView } from './PlanView';
import { WeChatPreview } from './WeChatPreview';

type AudienceKind = 'segment' | 'layer' | 'tags';
type Prefer = SenderRule['prefer'];
type Role = Extract<SenderRule, { prefer: 'role' }>['role'];
const ROLES = [
  'store_staff',
  'online_ops',
  'customer_service',
  'consultant',
  'sales',
  'doctor',
] as const satisfies readonly Role[];
const GUARDS = ['stop', 'price_sensitive_only', 'override'] as const satisfies readonly GuardMode[];

type When = 'now' | 'later' | 'weekly';

/**
 * 新建群发: content with a WeChat-style preview, the audience and its exclusions before sending, the schedule.
 * To customers (one sender per customer) or to customer groups (客户群: sent by each group's owner, by type,
 * store and persona, once or every week).
 */
export function MassSendComposer() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { message } = App.useApp();
  const me = useMe();
  const [name, setName] = useState('');
  const [kind, setKind] = useState<ContentKind>('product');
  const [text, setText] = useState('');
  const [link, setLink] = useState({ title: '', url: '', desc: '' });
  const [audienceKind, setAudienceKind] = useState<AudienceKind>('segment');
  const [segmentId, setSegmentId] = useState<number>();
  const [layeringId, setLayeringId] = useState<number>();
  const [layer, setLayer] = useState<number>();
  const [tagIds, setTagIds] = useState<number[]>([]);
  const [prefer, setPrefer] = useState<Prefer>('store_staff');
  const [role, setRole] = useState<Role>('store_staff');
  const [target, setTarget] = useState<Target>('customers');
  const [groupAudience, setGroupAudience] = useState<GroupAudience>({});
  const [recurrence, setRecurrence] = useState<Partial<Recurrence>>({});
  const [groupPlan, setGroupPlan] = useState<GroupPlan | null>(null);
  const [when, setWhen] = useState<When>('now');
  const later = when === 'later';
  const groups = target === 'groups';
  const [sendAt, setSendAt] = useState<Dayjs | null>(null);
  const [guard, setGuard] = useState<GuardMode>('stop');
  const [reason, setReason] = useState('');
  const [plan, setPlanState] = useState<Plan | null>(null);
  const setPlan = (p: Plan | null) => {
    setPlanState(p);
    if (p === null) setGroupPlan(null);
  };
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);

  const options = useAsync(async (signal) => {
    const [segments, layerings, tags] = await Promise.all([
      segmentsApi.segments(signal),
      segmentsApi.layerings(365, signal),
      tagsApi.tags(signal),
    ]);
    return { segments: segments.items, layerings: layerings.items, groups: tags.groups };
  }, 'mass-send-options');

  const attachments: Attachment[] =
    link.title.trim() && link.url.trim()
      ? [
          {
            msgtype: 'link',
            link: {
              title: link.title.trim(),
              url: link.url.trim(),
              ...(link.desc.trim() ? { desc: link.desc.trim() } : {}),
            },
          },
        ]
      : [];
  const audience = ((): Audience | null => {
    if (audienceKind === 'segment') return segmentId ? { segmentId } : null;
    if (audienceKind === 'layer')
      return layeringId && layer !== undefined ? { layerId: layeringId, layer } : null;
    return tagIds.length ? { tagIds } : null;
  })();
  const senderRule: SenderRule = prefer === 'role' ? { prefer: 'role', role } : { prefer };
  const at = later && sendAt ? sendAt.toDate().toISOString() : undefined;
  const guardFor = kind === 'coupon' ? guard : undefined;

  const rule: Recurrence | null =
    groups && when === 'weekly' && recurrence.weekdays?.length && recurrence.time
      ? { weekdays: recurrence.weekdays, time: recurrence.time, until: recurrence.until ?? null }
      : null;

  const runGroups = async (what: 'plan' | 'create') => {
    if (when === 'weekly' && !rule) throw new Error(t('massSends.g.recurrenceRequired'));
    if (what === 'plan') {
      setGroupPlan(
        await outreachApi.groupPlan({ groups: groupAudience, at, contentKind: kind, guard: guardFor }),
      );
      return;
    }
    if (!name.trim()) throw new Error(t('massSends.nameRequired'));
    if (!text.trim() && attachments.length === 0) throw new Error(t('massSends.textRequired'));
    const created = await outreachApi.create({
      name: name.trim(),
      contentKind: kind,
      target: 'groups',
      groups: groupAudience,
      ...(text.trim() ? { text: text.trim() } : {}),
      ...(attachments.length ? { attachments } : {}),
      ...(rule ? { recurrence: rule } : { sendAt: at ?? null }),
      ...(guardFor ? { guard: guardFor } : {}),
      ...(guardFor === 'override' ? { overrideReason: reason } : {}),
    });
    message.success(t('massSends.created', { name: created.name }));
    navigate(`/mass-sends/${created.id}`);
  };

  const run = async (what: 'plan' | 'create') => {
    if (groups) {
      setBusy(true);
      setError(null);
      try {
        await runGroups(what);
      } catch (err) {
        setError(err instanceof Error ? err : new Error(String(err)));
      } finally {
        setBusy(false);
      }
      return;
    }
    if (!audience) {
      setError(new Error(t('massSends.audienceRequired')));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      if (what === 'plan') {
        setPlan(await outreachApi.plan({ audience, senderRule, at, contentKind: kind, guard: guardFor }));
      } else {
        if (!name.trim()) throw new Error(t('massSends.nameRequired'));
        if (!text.trim() && attachments.length === 0) throw new Error(t('massSends.textRequired'));
        const created = await outreachApi.create({
          name: name.trim(),
          contentKind: kind,
          ...(text.trim() ? { text: text.trim() } : {}),
          ...(attachments.length ? { attachments } : {}),
          sendAt: at ?? null,
          senderRule,
          audience,
          ...(guardFor ? { guard: guardFor } : {}),
          ...(guardFor === 'override' ? { overrideReason: reason } : {}),
        });
        message.success(t('massSends.created', { name: created.name }));
        navigate(`/mass-sends/${created.id}`);
      }
    } catch (err) {
      setError(err instanceof Error ? err : new Error(String(err)));
    } finally {
      setBusy(false);
    }
  };

  const layers =
    options.data?.layerings
      .find((l) => l.id === layeringId)
      ?.layers.map((l, i) => ({
        value: i,
        label: `${l.segmentName} · ${l.operation}`,
      })) ?? [];

  return (
    <>
      <PageHeader
        title={t('massSends.composeTitle')}
        subtitle={t('massSends.composeSubtitle')}
        extra={<Button onClick={() => navigate('/mass-sends')}>{t('massSends.back')}</Button>}
      />
      {options.error ? <ErrorAlert error={options.error} onRetry={options.reload} /> : null}
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={14}>
          <Card size="small">
            <Flex vertical gap={14}>
              <Field label={t('massSends.name')}>
                <Input
                  value={name}
                  maxLength={60}
                  placeholder={t('massSends.namePlaceholder')}
                  onChange={(e) => setName(e.target.value)}
                  data-testid="mass-send-name"
                />
              </Field>
              <Field label={t('massSends.target')}>
                <Segmented<Target>
                  value={target}
                  onChange={(v) => {
                    setTarget(v);
                    if (v === 'customers' && when === 'weekly') setWhen('now');
                    setPlan(null);
                  }}
                  options={(['customers', 'groups'] as const).map((k) => ({
                    value: k,
                    label: t(`massSends.targets.${k}`),
                  }))}
                  data-testid="mass-send-target"
                />
              </Field>
              <Field label={t('massSends.contentKind')}>
                <Select<ContentKind>
                  value={kind}
                  onChange={(v) => {
                    setKind(v);
                    setPlan(null);
                  }}
                  options={CONTENT_KINDS.map((k) => ({ value: k, label: t(`massSends.kind.${k}`) }))}
                  style={{ width: '100%' }}
                />
              </Field>
              <Field label={t('massSends.text')}>
                <Input.TextArea
                  value={text}
                  rows={4}
                  maxLength={1333}
                  showCount
                  placeholder={t('massSends.textPlaceholder')}
                  onChange={(e) => setText(e.target.value)}
                  data-testid="mass-send-text"
                />
                {groups ? (
                  <div style={{ marginTop: 6 }}>
                    <GroupVariables onInsert={(token) => setText((v) => v + token)} />
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {t('massSends.g.variablesHint')}
                    </Typography.Text>
                  </div>
                ) : null}
              </Field>
              <Field label={t('massSends.link')}>
                <Space.Compact direction="vertical" style={{ width: '100%' }}>
                  <Input
                    value={link.title}
                    maxLength={42}
                    placeholder={t('massSends.linkTitle')}
                    onChange={(e) => setLink({ ...link, title: e.target.value })}
                  />
                  <Input
                    value={link.url}
                    placeholder={t('massSends.linkUrl')}
                    onChange={(e) => setLink({ ...link, url: e.target.value })}
                  />
                  <Input
                    value={link.desc}
                    maxLength={170}
                    placeholder={t('massSends.linkDesc')}
                    onChange={(e) => setLink({ ...link, desc: e.target.value })}
                  />
                </Space.Compact>
              </Field>
              {groups ? (
                <Field label={t('massSends.g.audience')}>
                  <GroupAudiencePicker
                    value={groupAudience}
                    onChange={(v) => {
                      setGroupAudience(v);
                      setPlan(null);
                    }}
                  />
                  <Typography.Paragraph type="secondary" style={{ marginTop: 8, marginBottom: 0 }}>
                    {t('massSends.g.sender')}
                  </Typography.Paragraph>
                </Field>
              ) : null}
              <Field label={t('massSends.audience')} hidden={groups}>
                <Flex vertical gap={8}>
                  <Segmented<AudienceKind>
                    value={audienceKind}
                    onChange={(v) => {
                      setAudienceKind(v);
                      setPlan(null);
                    }}
                    options={(['segment', 'layer', 'tags'] as const).map((k) => ({
                      value: k,
                      label: t(`massSends.audienceKind.${k}`),
                    }))}
                  />
                  {audienceKind === 'segment' ? (
                    <Select<number>
                      showSearch
                      optionFilterProp="label"
                      value={segmentId}
                      placeholder={t('massSends.pickSegment')}
                      loading={options.loading}
                      onChange={(v) => {
                        setSegmentId(v);
                        setPlan(null);
                      }}
                      options={(options.data?.segments ?? []).map((s) => ({
                        value: s.id,
                        label: `${s.name}（${s.count}）`,
                      }))}
                      data-testid="mass-send-segment"
                    />
                  ) : null}
                  {audienceKind === 'layer' ? (
                    <Flex gap={8} wrap>
                      <Select<number>
                        style={{ minWidth: 160, flex: 1 }}
                        value={layeringId}
                        placeholder={t('massSends.pickLayering')}
                        onChange={(v) => {
                          setLayeringId(v);
                          setLayer(undefined);
                          setPlan(null);
                        }}
                        options={(options.data?.layerings ?? []).map((l) => ({ value: l.id, label: l.name }))}
                      />
                      <Select<number>
                        style={{ minWidth: 160, flex: 1 }}
                        value={layer}
                        placeholder={t('massSends.pickLayer')}
                        onChange={(v) => {
                          setLayer(v);
                          setPlan(null);
                        }}
                        options={layers}
                      />
                    </Flex>
                  ) : null}
                  {audienceKind === 'tags' ? (
                    <Select<number[]>
                      mode="multiple"
                      optionFilterProp="label"
                      value={tagIds}
                      placeholder={t('massSends.pickTags')}
                      onChange={(v) => {
                        setTagIds(v);
                        setPlan(null);
                      }}
                      options={(options.data?.groups ?? []).map((g) => ({
                        label: g.name,
                        options: g.tags.map((tag) => ({ value: tag.id, label: tag.name })),
                      }))}
                    />
                  ) : null}
                </Flex>
              </Field>
              <Field label={t('massSends.sender')} hidden={groups}>
                <Flex gap={8} wrap>
                  <Select<Prefer>
                    style={{ minWidth: 200, flex: 1 }}
                    value={prefer}
                    onChange={(v) => {
                      setPrefer(v);
                      setPlan(null);
                    }}
                    options={(['store_staff', 'latest_follow', 'role'] as const).map((p) => ({
                      value: p,
                      label: t(`massSends.senderRule.${p}`),
                    }))}
                  />
                  {prefer === 'role' ? (
                    <Select<Role>
                      style={{ minWidth: 160, flex: 1 }}
                      value={role}
                      onChange={(v) => {
                        setRole(v);
                        setPlan(null);
                      }}
                      options={ROLES.map((r) => ({ value: r, label: t(`massSends.roles.${r}`) }))}
                    />
                  ) : null}
                </Flex>
              </Field>
              <Field label={t('massSends.schedule')}>
                <Flex gap={8} wrap align="center">
                  <Radio.Group
                    value={when}
                    onChange={(e) => {
                      setWhen(e.target.value);
                      setPlan(null);
                    }}
                    options={[
                      { value: 'now', label: t('massSends.sendNow') },
                      { value: 'later', label: t('massSends.sendLater') },
                      ...(groups ? [{ value: 'weekly', label: t('massSends.g.recurring') }] : []),
                    ]}
                    data-testid="mass-send-when"
                  />
                  {later ? (
                    <DatePicker
                      showTime={{ format: 'HH:mm' }}
                      format="YYYY-MM-DD HH:mm"
                      value={sendAt}
                      onChange={(v) => {
                        setSendAt(v);
                        setPlan(null);
                      }}
                    />
                  ) : null}
                </Flex>
                {when === 'weekly' && groups ? (
                  <div style={{ marginTop: 8 }}>
                    <RecurrencePicker
                      value={recurrence}
                      onChange={(v) => {
                        setRecurrence(v);
                        setPlan(null);
                      }}
                    />
                  </div>
                ) : null}
              </Field>
              {kind === 'coupon' ? (
                <Field label={t('massSends.guard')}>
                  <Flex vertical gap={8}>
                    <Radio.Group
                      value={guard}
                      onChange={(e) => {
                        setGuard(e.target.value);
                        setPlan(null);
                      }}
                    >
                      <Flex vertical gap={4}>
                        {GUARDS.filter((g) => g !== 'override' || me.role === 'hq_admin').map((g) => (
                          <Radio key={g} value={g}>
                            {t(groups ? `massSends.g.guardMode.${g}` : `massSends.guardMode.${g}`)}
                          </Radio>
                        ))}
                      </Flex>
                    </Radio.Group>
                    {guard === 'override' ? (
                      <Input
                        value={reason}
                        maxLength={200}
                        placeholder={t('massSends.overrideReason')}
                        onChange={(e) => setReason(e.target.value)}
                      />
                    ) : null}
                  </Flex>
                </Field>
              ) : null}
              {error ? (
                <Typography.Text type="danger" data-testid="mass-send-error">
                  {error instanceof ApiError ? error.message : error.message}
                </Typography.Text>
              ) : null}
              <Flex gap={8} wrap>
                <Button onClick={() => run('plan')} loading={busy} data-testid="mass-send-plan-button">
                  {busy ? t('massSends.planning') : t('massSends.plan')}
                </Button>
                <Button
                  type="primary"
                  onClick={() => run('create')}
                  disabled={busy || (groups ? groupPlan?.guard.blocked : plan?.guard.blocked) === true}
                  data-testid="mass-send-submit"
                >
                  {t('massSends.submit')}
                </Button>
              </Flex>
            </Flex>
          </Card>
        </Col>
        <Col xs={24} lg={10}>
          <Flex vertical gap={16}>
            <div>
              <Typography.Text strong>
                {t(groups ? 'massSends.g.preview' : 'massSends.preview')}
              </Typography.Text>
              <div style={{ marginTop: 8 }}>
                <WeChatPreview
                  sender={me.displayName}
                  text={groups ? sampleGroupText(text, t) : text}
                  attachments={attachments}
                />
              </div>
            </div>
            {plan && !groups ? <PlanView plan={plan} /> : null}
            {groupPlan && groups ? <GroupPlanView plan={groupPlan} /> : null}
          </Flex>
        </Col>
      </Row>
    </>
  );
}

function Field({ label, children, hidden }: { label: string; children: React.ReactNode; hidden?: boolean }) {
  if (hidden) return null;
  return (
    <div>
      <Typography.Text strong style={{ display: 'block', marginBottom: 6 }}>
        {label}
      </Typography.Text>
      {children}
    </div>
  );
}
