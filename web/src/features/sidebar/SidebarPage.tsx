import { SendOutlined } from '@ant-design/icons';
import {
  Alert,
  App,
  Avatar,
  Button,
  Card,
  Empty,
  Flex,
  Input,
  InputNumber,
  Result,
  Spin,
  Tag,
  Typography,
} from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../shared/api/client';
import { formatDateTime, formatMoney } from '../../shared/format';
import { useAsync } from '../../shared/hooks';
import { useAuth } from '../accounts/auth';
import { customersApi } from '../customers/api';
import { RfmScores, StageTag } from '../customers/Lifecycle';
import { Quotes } from '../customers/Quotes';
import { PersonaView } from '../groups/Persona';
import { ordersApi } from '../orders/api';
import { CustomerTagsEditor } from '../tags/CustomerTagsEditor';
import { tasksApi } from '../tasks/api';
import { type Recommendation, sidebarApi } from './api';
import { invoke, isOk, msgOf, registerPage, WxError } from './wx';

type Wx = Awaited<ReturnType<typeof registerPage>>;
type Phase =
  | { kind: 'starting' }
  | { kind: 'failed'; message: string; signIn?: boolean }
  | { kind: 'contact'; wx: Wx; externalUserid: string }
  | { kind: 'group'; wx: Wx; chatId: string };

const OAUTH_ERRORS = ['not_connected', 'state', 'oauth_code', 'not_member', 'no_account', 'wecom'] as const;
type Lang = 'zh' | 'en';

/**
 * The staff sidebar (聊天工具栏) opened inside WeCom next to a chat: signs in through WeCom's web OAuth (every
 * open), registers the JS-SDK (config + agentConfig), reads the chat's context and shows that customer (or
 * group) with the scripts to send in one tap.
 */
let registration: ReturnType<typeof registerPage> | null = null;
/** The page's JS-SDK registration (config + agentConfig), done once per page load. */
function registerOnce(): ReturnType<typeof registerPage> {
  registration ??= sidebarApi.jssdk(window.location.href).then(registerPage);
  return registration;
}
// Back from the sign-in, the registration starts as this code loads: it waits for neither the first render
// nor /auth/me (its failure is shown once the page knows who is signed in).
if (new URLSearchParams(window.location.search).get('signed_in') === '1') registerOnce().catch(() => {});

export default function SidebarPage() {
  const { t } = useTranslation();
  const { state } = useAuth();
  const query = new URLSearchParams(window.location.search);
  const brand = query.get('brand');
  const oauthError = query.get('error');
  const signedIn = query.get('signed_in') === '1';
  const [phase, setPhase] = useState<Phase>({ kind: 'starting' });
  const startUrl = `/api/v1/sidebar/oauth/start?brand=${encodeURIComponent(brand ?? '')}`;

  // biome-ignore lint/correctness/useExhaustiveDependencies: runs once per sign-in state.
  useEffect(() => {
    if (!brand) return setPhase({ kind: 'failed', message: t('sidebar.noBrand') });
    if (oauthError) {
      const known = OAUTH_ERRORS.find((e) => e === oauthError) ?? 'wecom';
      return setPhase({ kind: 'failed', message: t(`sidebar.oauthError.${known}`), signIn: true });
    }
    // inside WeCom the member signs in through OAuth each time the sidebar opens (never a stale session)
    if (!signedIn) {
      window.location.replace(startUrl);
      return;
    }
    // back from the sign-in without a session: the cookie was not kept (never loop through OAuth)
    if (state.status === 'anonymous')
      return setPhase({ kind: 'failed', message: t('sidebar.noSession'), signIn: true });
    if (state.status !== 'signed-in') return;
    let live = true;
    (async () => {
      try {
        const wx = await registerOnce();
        // asked together: outside a 1:1 chat the contact's answer is a failure, and unused
        const [context, contact] = await Promise.all([
          invoke(wx, 'getContext'),
          invoke(wx, 'getCurExternalContact'),
        ]);
        if (!live) return;
        if (isOk(context) && context.entry === 'group_chat_tools') {
          const chat = await invoke(wx, 'getCurExternalChat');
          if (!isOk(chat)) throw new Error(t('sidebar.noContext', { msg: msgOf(chat) }));
          setPhase({ kind: 'group', wx, chatId: String(chat.chatId) });
          return;
        }
        if (!isOk(contact)) throw new Error(t('sidebar.noContext', { msg: msgOf(contact) }));
        if (live) setPhase({ kind: 'contact', wx, externalUserid: String(contact.userId) });
      } catch (err) {
        if (!live) return;
        const message =
          err instanceof WxError
            ? err.step === 'load'
              ? t('sidebar.noJsSdk')
              : t(err.step === 'config' ? 'sidebar.configFailed' : 'sidebar.agentConfigFailed', {
                  msg: err.message,
                })
            : err instanceof Error
              ? err.message
              : String(err);
        setPhase({ kind: 'failed', message });
      }
    })();
    return () => {
      live = false;
    };
  }, [state.status]);

  return (
    <div
      className="sidebar-page"
      style={{ maxWidth: 560, margin: '0 auto', padding: 8 }}
      data-testid="sidebar"
    >
      {phase.kind === 'starting' ? (
        <Flex vertical align="center" gap={12} style={{ padding: 48 }}>
          <Spin />
          <Typography.Text type="secondary">
            {state.status === 'signed-in' ? t('sidebar.configuring') : t('sidebar.signingIn')}
          </Typography.Text>
        </Flex>
      ) : phase.kind === 'failed' ? (
        <Result
          status="warning"
          title={<span data-testid="sidebar-error">{phase.message}</span>}
          extra={
            phase.signIn ? (
              <Button type="primary" href={startUrl}>
                {t('sidebar.retry')}
              </Button>
            ) : null
          }
        />
      ) : phase.kind === 'contact' ? (
        <>
          <MyCardLink />
          <ContactView wx={phase.wx} externalUserid={phase.externalUserid} />
        </>
      ) : (
        <>
          <MyCardLink />
          <GroupView wx={phase.wx} chatId={phase.chatId} />
        </>
      )}
    </div>
  );
}

/** 我的名片: the member's own name card (persona, store or mall entry, QR), to open or forward. */
function MyCardLink() {
  const { t } = useTranslation();
  const card = useAsync((signal) => sidebarApi.myCard(signal), 'sidebar-my-card');
  if (!card.data) return null;
  return (
    <Flex justify="flex-end" style={{ marginBottom: 6 }}>
      <a href={card.data.cardPath} target="_blank" rel="noreferrer" data-testid="sidebar-my-card">
        {t('sidebar.myCard')}
      </a>
    </Flex>
  );
}

const section = { size: 'small' as const, styles: { body: { padding: 12 } } };

function ContactView({ wx, externalUserid }: { wx: Wx; externalUserid: string }) {
  const { t, i18n } = useTranslation();
  const lang: Lang = i18n.language === 'en' ? 'en' : 'zh';
  const { message } = App.useApp();
  const { state } = useAuth();
  const me = state.status === 'signed-in' ? state.me : null;
  const card = useAsync(
    (signal) => sidebarApi.contact(externalUserid, signal),
    `sidebar-contact:${externalUserid}`,
  );
  const customerId = card.data?.customerId ?? null;
  const detail = useAsync(
    (signal) => (customerId ? customersApi.customer(customerId, signal) : Promise.resolve(null)),
    `sidebar-detail:${customerId}`,
  );
  const orders = useAsync(
    (signal) => (customerId ? ordersApi.customerOrders(customerId, null, signal) : Promise.resolve(null)),
    `sidebar-orders:${customerId}`,
  );
  const tasks = useAsync(
    (signal) =>
      customerId ? tasksApi.list({ customerId, state: 'active', limit: 10 }, signal) : Promise.resolve(null),
    `sidebar-tasks:${customerId}`,
  );
  const [note, setNote] = useState('');
  const [quoteItem, setQuoteItem] = useState('');
  const [quoteYuan, setQuoteYuan] = useState<number | null>(null);
  const [saving, setSaving] = useState(false);
  const [sending, setSending] = useState<number | null>(null);
  const complete = Boolean(card.data && detail.data && orders.data && tasks.data);
  useEffect(() => {
    // the first screen is on the glass (the task after the frame that paints it): a User Timing mark for
    // whoever measures it (bench/sidebar.ts)
    if (complete)
      requestAnimationFrame(() => setTimeout(() => performance.mark('siyu:sidebar-card-painted')));
  }, [complete]);

  if (card.error) {
    const notYours = card.error instanceof ApiError && card.error.status === 404;
    return (
      <Alert
        type="warning"
        showIcon
        title={notYours ? t('sidebar.notYours') : card.error.message}
        data-testid="sidebar-error"
      />
    );
  }
  if (!card.data || !detail.data) return <Spin style={{ display: 'block', padding: 48 }} />;
  const d = detail.data;
  const mine = d.follows.find((f) => f.staff.id === me?.staffId && f.status === 'active');
  const others = d.follows.filter((f) => f.staff.id !== me?.staffId && f.status === 'active');
  // the channel (and its bait) the customer came through: of her follow, else of any
  const channel = mine?.channel ?? d.follows.find((f) => f.channel)?.channel ?? null;
  const facts = d.facts;

  // a quote needs both what and how much; either alone is not saved
  const quote =
    quoteItem.trim() && quoteYuan !== null
      ? { item: quoteItem.trim(), amountFen: Math.round(quoteYuan * 100) }
      : undefined;
  const quoteHalf = Boolean(quoteItem.trim()) !== (quoteYuan !== null);
  const canSave = (Boolean(note.trim()) || quote !== undefined) && !quoteHalf;
  const saveNote = async () => {
    if (!canSave) return;
    setSaving(true);
    try {
      await sidebarApi.addNote(d.customer.id, { text: note.trim(), ...(quote ? { quote } : {}) });
      setNote('');
      setQuoteItem('');
      setQuoteYuan(null);
      message.success(t('sidebar.noteSaved'));
      detail.reload();
    } catch (err) {
      message.error(err instanceof Error ? err.message : String(err));
    } finally {
      setSaving(false);
    }
  };

  const send = async (r: Recommendation) => {
    setSending(r.id);
    try {
      const s = await sidebarApi.startSend(d.customer.id, r.id);
      const result = await invoke(wx, 'sendChatMessage', {
        msgtype: 'text',
        enterChat: false,
        text: { content: s.text },
      });
      if (!isOk(result)) {
        await sidebarApi.cancelSend(s.touchId);
        throw new Error(msgOf(result));
      }
      if (s.link)
        await invoke(wx, 'sendChatMessage', {
          msgtype: 'news',
          news: {
            link: s.link.url,
            title: s.link.title,
            desc: s.link.desc ?? '',
            imgUrl: s.link.imgUrl ?? '',
          },
        });
      message.success(t('sidebar.sent'));
      detail.reload();
    } catch (err) {
      message.error(t('sidebar.sendFailed', { msg: err instanceof Error ? err.message : String(err) }));
    } finally {
      setSending(null);
    }
  };

  return (
    <Flex vertical gap={8} data-testid="sidebar-customer">
      <Card {...section}>
        <Flex gap={12} align="center">
          <Avatar size={48} src={d.customer.avatar ?? undefined}>
            {d.customer.name.slice(0, 1)}
          </Avatar>
          <div style={{ minWidth: 0, flex: 1 }}>
            <Typography.Title level={5} style={{ margin: 0 }} data-testid="sidebar-customer-name">
              {d.customer.name}
            </Typography.Title>
            {mine?.remark ? (
              <Typography.Text type="secondary">
                {t('sidebar.remark')}：{mine.remark}
              </Typography.Text>
            ) : null}
          </div>
          <StageTag stage={facts?.stage ?? null} />
        </Flex>
        <Flex gap={16} wrap style={{ marginTop: 8 }}>
          <span>
            <Typography.Text type="secondary">{t('sidebar.ltv')} </Typography.Text>
            <b data-testid="sidebar-ltv">{formatMoney(facts?.paidFen ?? 0, lang)}</b>
            <Typography.Text type="secondary">
              {' '}
              · {t('sidebar.orders', { n: facts?.orderCount ?? 0 })}
            </Typography.Text>
          </span>
          <span>
            <Typography.Text type="secondary">{t('sidebar.rfm')} </Typography.Text>
            <RfmScores rfm={facts?.rfm ?? null} />
          </span>
        </Flex>
        <div style={{ marginTop: 8 }}>
          <Typography.Text type="secondary">{t('sidebar.channel')}：</Typography.Text>
          {channel?.name ?? t('sidebar.noChannel')}
          {channel?.bait ? (
            <Typography.Text type="secondary" data-testid="sidebar-bait">
              {' '}
              · {t('sidebar.bait')}：{channel.bait}
            </Typography.Text>
          ) : null}
        </div>
      </Card>

      <Card
        {...section}
        title={t('sidebar.tags')}
        extra={<CustomerTagsEditor customerId={d.customer.id} current={d.tags} onSaved={detail.reload} />}
      >
        <Flex gap={4} wrap data-testid="sidebar-tags">
          {d.tags.length ? (
            d.tags.map((x) => <Tag key={x.id}>{x.name}</Tag>)
          ) : (
            <Typography.Text type="secondary">{t('sidebar.noTags')}</Typography.Text>
          )}
        </Flex>
      </Card>

      <Card {...section} title={t('sidebar.recommended')} data-testid="sidebar-recommendations">
        {card.data.recommendations.length === 0 ? (
          <Empty description={t('sidebar.noRecommendations')} />
        ) : (
          <Flex vertical gap={10}>
            {card.data.recommendations.map((r) => (
              <div
                key={r.id}
                data-testid="sidebar-recommendation"
                style={{ borderBottom: '1px solid #f0f0f0', paddingBottom: 8 }}
              >
                <Flex justify="space-between" align="center" gap={8}>
                  <span className="sidebar-script-title">{r.title}</span>
                  <Button
                    size="small"
                    type="primary"
                    icon={<SendOutlined />}
                    loading={sending === r.id}
                    onClick={() => send(r)}
                    data-testid="sidebar-send"
                  >
                    {t('sidebar.send')}
                  </Button>
                </Flex>
                <div className="sidebar-script-text" data-testid="sidebar-recommendation-text">
                  {r.text}
                </div>
                <Flex gap={4} wrap>
                  {r.reasons.map((reason) => {
                    const [kind, value] = reason.split(':');
                    return (
                      <Tag key={reason} color="blue" bordered={false}>
                        {kind === 'product'
                          ? t('sidebar.because.product', { name: value })
                          : kind === 'stage'
                            ? t('sidebar.because.stage')
                            : t('sidebar.because.persona')}
                      </Tag>
                    );
                  })}
                </Flex>
              </div>
            ))}
          </Flex>
        )}
      </Card>

      <Card {...section} title={t('sidebar.note')}>
        <Input.TextArea
          rows={2}
          maxLength={500}
          value={note}
          onChange={(e) => setNote(e.target.value)}
          placeholder={t('sidebar.notePlaceholder')}
          data-testid="sidebar-note"
        />
        <Flex gap={8} style={{ marginTop: 8 }}>
          <Input
            value={quoteItem}
            maxLength={40}
            onChange={(e) => setQuoteItem(e.target.value)}
            placeholder={t('sidebar.quoteItem')}
            data-testid="sidebar-quote-item"
          />
          <InputNumber
            value={quoteYuan}
            min={0}
            max={1_000_000}
            precision={2}
            prefix="¥"
            onChange={(v) => setQuoteYuan(typeof v === 'number' ? v : null)}
            placeholder={t('sidebar.quoteAmount')}
            style={{ width: 140, flex: 'none' }}
            data-testid="sidebar-quote-amount"
          />
        </Flex>
        <Button
          style={{ marginTop: 8 }}
          block
          loading={saving}
          disabled={!canSave}
          onClick={saveNote}
          data-testid="sidebar-add-note"
        >
          {t('sidebar.addNote')}
        </Button>
      </Card>

      <Card {...section} title={t('sidebar.openTasks')}>
        {(tasks.data?.items ?? []).length === 0 ? (
          <Typography.Text type="secondary">{t('sidebar.noTasks')}</Typography.Text>
        ) : (
          tasks.data?.items.map((task) => (
            <div key={task.id} data-testid="sidebar-task">
              <Tag color={task.state === 'overdue' ? 'red' : 'default'}>
                {formatDateTime(task.dueAt, lang)}
              </Tag>
              {task.title}
            </div>
          ))
        )}
      </Card>

      <Card
        {...section}
        title={t('sidebar.latestOrders')}
        data-testid="sidebar-orders"
        data-loaded={orders.data ? 'true' : 'false'}
      >
        {(orders.data?.items ?? []).length === 0 ? (
          <Typography.Text type="secondary">{t('sidebar.noOrders')}</Typography.Text>
        ) : (
          orders.data?.items.slice(0, 3).map((o) => (
            <div key={o.id} data-testid="sidebar-order" style={{ marginBottom: 6 }}>
              <span className="sidebar-muted">{formatDateTime(o.orderedAt, lang)}</span>{' '}
              <b>{formatMoney(o.paidFen, lang)}</b> {o.store?.name ?? ''}
              <div>{o.items.map((i) => `${i.productName}×${i.quantity}`).join('、')}</div>
            </div>
          ))
        )}
      </Card>

      <Card {...section} title={t('sidebar.colleagues')}>
        <Quotes quotes={d.quotes} lang={lang} />
        {others.length === 0 ? (
          <Typography.Text type="secondary">{t('sidebar.noColleagues')}</Typography.Text>
        ) : (
          others.map((f) => (
            <div key={f.id} data-testid="sidebar-colleague">
              {f.staff.name} <Typography.Text type="secondary">{f.staff.unitName}</Typography.Text>{' '}
              <Tag bordered={false}>{f.journeyRole}</Tag>
              {f.remark ? <Typography.Text type="secondary">「{f.remark}」</Typography.Text> : null}
            </div>
          ))
        )}
      </Card>

      <Card {...section} title={t('sidebar.timeline')} data-testid="sidebar-timeline">
        {d.timeline.slice(0, 12).map((e) => (
          <div key={e.id} style={{ marginBottom: 6 }} data-testid="sidebar-timeline-entry">
            <span className="sidebar-muted" style={{ fontSize: 12 }}>
              {formatDateTime(e.at, lang)}
            </span>
            <div>{e.text[lang]}</div>
          </div>
        ))}
      </Card>
    </Flex>
  );
}

function GroupView({ wx, chatId }: { wx: Wx; chatId: string }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const group = useAsync((signal) => sidebarApi.group(chatId, signal), `sidebar-group:${chatId}`);
  if (group.error)
    return <Alert type="warning" showIcon title={group.error.message} data-testid="sidebar-error" />;
  if (!group.data) return <Spin style={{ display: 'block', padding: 48 }} />;
  const g = group.data;
  const send = async (r: Recommendation) => {
    const result = await invoke(wx, 'sendChatMessage', { msgtype: 'text', text: { content: r.text } });
    if (isOk(result)) message.success(t('sidebar.sent'));
    else message.error(t('sidebar.sendFailed', { msg: msgOf(result) }));
  };
  return (
    <Flex vertical gap={8} data-testid="sidebar-group">
      <Card {...section}>
        <Typography.Title level={5} style={{ margin: 0 }}>
          {g.name}{' '}
          <Typography.Text type="secondary">
            {t('sidebar.group.members', { n: g.memberCount })}
          </Typography.Text>
        </Typography.Title>
        <PersonaView persona={g.persona} />
      </Card>
      <Card {...section} title={t('sidebar.group.scripts')}>
        {g.recommendations.map((r) => (
          <Flex key={r.id} justify="space-between" align="center" gap={8} style={{ marginBottom: 8 }}>
            <div style={{ minWidth: 0 }}>
              <Typography.Text strong>{r.title}</Typography.Text>
              <Typography.Paragraph type="secondary" ellipsis={{ rows: 2 }} style={{ margin: 0 }}>
                {r.text}
              </Typography.Paragraph>
            </div>
            <Button size="small" type="primary" icon={<SendOutlined />} onClick={() => send(r)}>
              {t('sidebar.send')}
            </Button>
          </Flex>
        ))}
      </Card>
    </Flex>
  );
}
