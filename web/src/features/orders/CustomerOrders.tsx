import { LinkOutlined, ShopOutlined, UndoOutlined, WarningOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Empty, Flex, Popconfirm, Skeleton, Tag, Tooltip, Typography } from 'antd';
import type { TFunction } from 'i18next';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import i18n, { useLang } from '../../i18n';
import { ApiError, isAbort } from '../../shared/api/client';
import { ErrorAlert } from '../../shared/components';
import { formatDateTime, formatMoney } from '../../shared/format';
import { useAsync } from '../../shared/hooks';
import { useMe } from '../accounts/auth';
import {
  type CustomerIdentities,
  type CustomerOrder,
  type IdentityKind,
  type OrderChannel,
  ordersApi,
} from './api';

const CHANNEL_COLOR: Record<OrderChannel, string> = {
  miniprogram: 'green',
  ecommerce: 'geekblue',
  pos: 'orange',
};
/** Order of trust, strongest first: the colours fade with it. */
const KIND_COLOR: Record<IdentityKind, string> = {
  external_userid: 'green',
  unionid: 'cyan',
  openid: 'blue',
  phone: 'purple',
};

function Muted({ children }: { children: React.ReactNode }) {
  return <Typography.Text type="secondary">{children}</Typography.Text>;
}

function OrderRow({ order }: { order: CustomerOrder }) {
  const { t } = useTranslation();
  const lang = useLang();
  return (
    <div className="order-row" data-testid="order">
      <Flex justify="space-between" align="flex-start" gap={12} wrap>
        <Flex vertical gap={4} style={{ minWidth: 0, flex: 1 }}>
          <Flex align="center" gap={8} wrap>
            <Typography.Text strong>{formatDateTime(order.orderedAt, lang)}</Typography.Text>
            <Tag color={CHANNEL_COLOR[order.channel]} style={{ marginInlineEnd: 0 }}>
              {t(`orders.channel.${order.channel}`)}
            </Tag>
            {order.store ? (
              <Muted>
                <ShopOutlined /> {order.store.name}
              </Muted>
            ) : null}
          </Flex>
          <Flex gap={6} wrap>
            {order.items.map((i, n) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: an order's lines never move; the line number is their key
              <span key={`${i.productCode}-${n}`} className="order-item">
                {i.productName}
                <span className="order-item-qty">×{i.quantity}</span>
              </span>
            ))}
          </Flex>
        </Flex>
        <Flex vertical align="flex-end" gap={2}>
          <span className="order-paid">{formatMoney(order.paidFen, lang)}</span>
          {order.couponCode ? (
            <Tooltip title={t('orders.couponUsed', { code: order.couponCode })}>
              <Tag color="gold" variant="filled" style={{ marginInlineEnd: 0 }}>
                {t('orders.coupon', { amount: formatMoney(order.couponFen, lang) })}
              </Tag>
            </Tooltip>
          ) : null}
          {order.paidFen !== order.totalFen ? (
            <Typography.Text delete type="secondary" style={{ fontSize: 12 }}>
              {formatMoney(order.totalFen, lang)}
            </Typography.Text>
          ) : null}
        </Flex>
      </Flex>
      <Muted>
        <span className="order-meta">
          {sourceName(t, order.source)} · {order.sourceOrderId}
          {order.linkedBy ? ` · ${t('orders.linkedBy', { kind: t(`orders.kind.${order.linkedBy}`) })}` : ''}
        </span>
      </Muted>
    </div>
  );
}

/** The customer's orders, newest first, a page at a time. */
export function OrdersCard({ customerId }: { customerId: number }) {
  const { t } = useTranslation();
  const [orders, setOrders] = useState<CustomerOrder[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<Error | null>(null);

  const load = (cursor: string | null, signal?: AbortSignal) => {
    setLoading(true);
    setError(null);
    ordersApi.customerOrders(customerId, cursor, signal).then(
      (page) => {
        setOrders((had) => (cursor ? [...had, ...page.items] : page.items));
        setNext(page.nextCursor);
        setLoading(false);
      },
      (err: unknown) => {
        if (isAbort(err)) return;
        setError(err instanceof Error ? err : new Error(String(err)));
        setLoading(false);
      },
    );
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: reloads only when the customer changes
  useEffect(() => {
    const ctrl = new AbortController();
    load(null, ctrl.signal);
    return () => ctrl.abort();
  }, [customerId]);

  return (
    <Card title={t('orders.title')} data-testid="orders">
      {error ? <ErrorAlert error={error} onRetry={() => load(null)} /> : null}
      {orders.length === 0 && loading ? (
        <Skeleton active paragraph={{ rows: 3 }} />
      ) : orders.length === 0 && !error ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('orders.empty')} />
      ) : (
        <Flex vertical gap={0}>
          {orders.map((o) => (
            <OrderRow key={o.id} order={o} />
          ))}
        </Flex>
      )}
      {next ? (
        <Flex justify="center" style={{ marginTop: 12 }}>
          <Button onClick={() => load(next)} loading={loading} data-testid="orders-more">
            {t('orders.loadMore')}
          </Button>
        </Flex>
      ) : null}
    </Card>
  );
}

/** An integration's source name (`miniprogram`, `pos` …) in words; a name of the brand's own stays as it is. */
function sourceName(t: TFunction, name: string): string {
  const key = `orders.sourceName.${name}`;
  return i18n.exists(key) ? t(key as 'orders.sourceName.pos') : name;
}

function sourceLabel(t: TFunction, source: string): string {
  if (source === 'wecom') return t('orders.source.wecom');
  const [kind, name] = [source.slice(0, source.indexOf(':')), source.slice(source.indexOf(':') + 1)];
  if (kind === 'order') return t('orders.source.order', { source: sourceName(t, name) });
  if (kind === 'member') return t('orders.source.member', { source: sourceName(t, name) });
  return source;
}

const MANAGERS = new Set(['hq_admin', 'region_manager', 'store_manager']);

/** OneID: the customer's identities with their sources; a manager can undo a link. */
export function IdentitiesCard({ customerId, onChanged }: { customerId: number; onChanged(): void }) {
  const { t } = useTranslation();
  const lang = useLang();
  const me = useMe();
  const { message } = App.useApp();
  const data = useAsync((signal) => ordersApi.customerIdentities(customerId, signal), String(customerId));
  const [busy, setBusy] = useState<number | null>(null);
  const canUndo = MANAGERS.has(me.role);

  const undo = async (identityId: number) => {
    setBusy(identityId);
    try {
      const r = await ordersApi.undoIdentityLink(customerId, identityId);
      message.success(t('orders.undoDone', { orders: r.ordersUnlinked, members: r.membersUnlinked }));
      data.reload();
      onChanged();
    } catch (err) {
      message.error(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(null);
    }
  };

  const value = (display: string | null) =>
    display ? <span className="mono identity-value">{display}</span> : <Muted>{t('orders.hidden')}</Muted>;
  const body = (d: CustomerIdentities) => (
    <Flex vertical gap={12}>
      {d.identities.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('orders.noIdentities')} />
      ) : (
        d.identities.map((i) => (
          <Flex
            key={i.id}
            justify="space-between"
            align="center"
            gap={8}
            className="identity-row"
            data-testid="identity"
          >
            <Flex vertical gap={2} style={{ minWidth: 0 }}>
              <Flex align="center" gap={6} wrap>
                <Tag color={KIND_COLOR[i.kind]} style={{ marginInlineEnd: 0 }}>
                  {t(`orders.kind.${i.kind}`)}
                </Tag>
                {value(i.display)}
              </Flex>
              <Muted>
                <span style={{ fontSize: 12 }}>
                  {sourceLabel(t, i.source)} ·{' '}
                  {t('orders.linkedAt', { at: formatDateTime(i.linkedAt, lang) })}
                  {i.orders ? ` · ${t('orders.carriesOrders', { count: i.orders })}` : ''}
                  {i.members ? ` · ${t('orders.carriesMembers', { count: i.members })}` : ''}
                </span>
              </Muted>
            </Flex>
            {canUndo && i.undoable ? (
              <Popconfirm
                title={t('orders.undo')}
                description={<div style={{ maxWidth: 280 }}>{t('orders.undoConfirm')}</div>}
                okText={t('orders.undo')}
                okButtonProps={{ danger: true }}
                onConfirm={() => undo(i.id)}
              >
                <Button size="small" icon={<UndoOutlined />} loading={busy === i.id} data-testid="undo-link">
                  {t('orders.undo')}
                </Button>
              </Popconfirm>
            ) : null}
          </Flex>
        ))
      )}
      {d.conflicts.length > 0 ? (
        <Alert
          type="warning"
          showIcon
          icon={<WarningOutlined />}
          title={t('orders.conflicts')}
          description={
            <Flex vertical gap={4}>
              {d.conflicts.map((c) => (
                <span key={c.id}>
                  {t(c.role === 'held_here' ? 'orders.heldHere' : 'orders.heldByOther', {
                    kind: t(`orders.kind.${c.kind}`),
                    source: sourceLabel(t, c.source),
                  })}{' '}
                  <Link to={`/customers/${c.otherCustomerId}`}>
                    <LinkOutlined /> {t('orders.viewOther')}
                  </Link>
                </span>
              ))}
            </Flex>
          }
        />
      ) : null}
      {d.unlinked.length > 0 ? (
        <div>
          <Typography.Text type="secondary" strong>
            {t('orders.unlinked')}
          </Typography.Text>
          {d.unlinked.map((u) => (
            <Flex key={`${u.kind}-${u.undoneAt}`} align="center" gap={6} wrap className="identity-unlinked">
              <Tag style={{ marginInlineEnd: 0 }}>{t(`orders.kind.${u.kind}`)}</Tag>
              <Typography.Text delete type="secondary">
                {u.display ?? t('orders.hidden')}
              </Typography.Text>
              <Muted>
                <span style={{ fontSize: 12 }}>
                  {sourceLabel(t, u.source)} ·{' '}
                  {t('orders.undoneBy', { name: u.undoneBy ?? '—', at: formatDateTime(u.undoneAt, lang) })}
                </span>
              </Muted>
            </Flex>
          ))}
        </div>
      ) : null}
    </Flex>
  );

  return (
    <Card
      title={t('orders.identities')}
      extra={
        <Tooltip title={t('orders.trustHint')}>
          <Muted>{t('orders.trust')}</Muted>
        </Tooltip>
      }
      data-testid="identities"
    >
      {data.error ? (
        <ErrorAlert error={data.error} onRetry={data.reload} />
      ) : !data.data ? (
        <Skeleton active paragraph={{ rows: 2 }} />
      ) : (
        body(data.data)
      )}
    </Card>
  );
}
