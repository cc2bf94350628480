import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Descriptions,
  Drawer,
  Flex,
  List,
  Row,
  Select,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useLang } from '../../i18n';
import { ErrorAlert, ExportButton } from '../../shared/components';
import { formatMoney, formatNumber } from '../../shared/format';
import { useAsync } from '../../shared/hooks';
import { useMe } from '../accounts/auth';
import {
  type DrillQuery,
  LADDER_ROLES,
  type LadderReply,
  type LadderRole,
  leversApi,
  type Product,
} from './api';
import { DrillDrawer } from './DrillDrawer';

const ROLE_COLORS: Record<LadderRole, string> = {
  traffic: 'cyan',
  trust: 'blue',
  profit: 'gold',
  expansion: 'purple',
};
const rate = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);

function RoleTag({ role }: { role: LadderRole | null }) {
  const { t } = useTranslation();
  return role ? (
    <Tag color={ROLE_COLORS[role]}>{t(`levers.role.${role}`)}</Tag>
  ) : (
    <Tag>{t('levers.noRole')}</Tag>
  );
}

function Flags({ flags }: { flags: Product['flags'] }) {
  const { t } = useTranslation();
  return (
    <>
      {flags.map((f) => (
        <Tag key={f} color="red" data-testid="product-flag">
          {t(`levers.flag.${f}`)}
        </Tag>
      ))}
    </>
  );
}

/** A product's page: its figures and flags against the other buyers, and what its buyers bought next. */
function ProductDrawer({ code, onClose }: { code: string | null; onClose(): void }) {
  const { t } = useTranslation();
  const lang = useLang();
  const state = useAsync(
    (s) => (code ? leversApi.product(code, s) : Promise.resolve(undefined)),
    `prod${code ?? ''}`,
  );
  const p = state.data;
  return (
    <Drawer open={code !== null} onClose={onClose} title={p ? `${p.name}（${p.code}）` : code} width={480}>
      {state.error ? <ErrorAlert error={state.error} onRetry={state.reload} /> : null}
      {p ? (
        <Flex vertical gap={12} data-testid="product-page">
          <Flex wrap gap={4}>
            <RoleTag role={p.role} />
            <Flags flags={p.flags} />
          </Flex>
          <Descriptions size="small" column={1} bordered>
            <Descriptions.Item label={t('levers.buyers')}>{formatNumber(p.buyers, lang)}</Descriptions.Item>
            <Descriptions.Item label={t('levers.orders')}>{formatNumber(p.orders, lang)}</Descriptions.Item>
            <Descriptions.Item label={t('levers.gmv')}>{formatMoney(p.gmvFen, lang)}</Descriptions.Item>
            <Descriptions.Item label={t('levers.repeatBuyers')}>
              {formatNumber(p.repeatBuyers, lang)}
            </Descriptions.Item>
            <Descriptions.Item label={t('levers.churnRate')}>{rate(p.churnRate)}</Descriptions.Item>
            <Descriptions.Item label={t('levers.complaintRate')}>{rate(p.complaintRate)}</Descriptions.Item>
          </Descriptions>
          <Typography.Text type="secondary">
            {t('levers.baseline', { c: rate(p.baseline.churnRate), p: rate(p.baseline.complaintRate) })}
          </Typography.Text>
          <List
            size="small"
            header={<Typography.Text strong>{t('levers.next')}</Typography.Text>}
            dataSource={p.next}
            renderItem={(n) => (
              <List.Item extra={`${formatNumber(n.buyers, lang)} ${t('levers.buyers')}`}>
                {n.name} <RoleTag role={n.role} />
              </List.Item>
            )}
          />
        </Flex>
      ) : null}
    </Drawer>
  );
}

type Cohort = LadderReply['cohorts'][number];

/** The product ladder: products with their role and flags, movement up the ladder by cohort, next product by stage. */
export function LadderTab() {
  const { t } = useTranslation();
  const lang = useLang();
  const me = useMe();
  const { message } = App.useApp();
  const [open, setOpen] = useState<string | null>(null);
  const [drill, setDrill] = useState<{ query: Omit<DrillQuery, 'offset' | 'limit'>; title: string } | null>(
    null,
  );
  const products = useAsync((s) => leversApi.products(s), 'products');
  const ladder = useAsync((s) => leversApi.ladder({}, s), 'ladder');
  const canEdit = me.role === 'hq_admin';
  const setRole = async (p: Product, role: LadderRole | null) => {
    try {
      await leversApi.setRole(p.code, role);
      message.success(
        t('levers.roleSaved', { name: p.name, role: role ? t(`levers.role.${role}`) : t('levers.noRole') }),
      );
      products.reload();
      ladder.reload();
    } catch (err) {
      message.error((err as Error).message, 6);
    }
  };
  const roles = (r: Cohort['entered']) =>
    LADDER_ROLES.map((k) => `${t(`levers.role.${k}`)} ${r[k]}`).join(' · ');
  return (
    <Flex vertical gap={12}>
      <Alert type="info" showIcon message={t('levers.productsHelp')} />
      {products.error ? <ErrorAlert error={products.error} onRetry={products.reload} /> : null}
      <Card
        size="small"
        title={t('levers.products')}
        extra={
          <ExportButton
            onExport={(format) => leversApi.export({ view: 'products', format })}
            testId="products-export"
          />
        }
      >
        <Table<Product>
          size="small"
          rowKey="code"
          loading={products.loading}
          scroll={{ x: 860 }}
          pagination={{ pageSize: 20, hideOnSinglePage: true }}
          dataSource={products.data?.items ?? []}
          data-testid="product-table"
          rowClassName={(p) => (p.flags.length ? 'product-flagged' : '')}
          columns={[
            {
              title: t('levers.name'),
              key: 'name',
              fixed: 'left',
              render: (_, p) => (
                <Button type="link" size="small" style={{ padding: 0 }} onClick={() => setOpen(p.code)}>
                  {p.name}
                </Button>
              ),
            },
            { title: t('levers.code'), dataIndex: 'code', key: 'code' },
            {
              title: t('levers.roleTitle'),
              key: 'role',
              render: (_, p) =>
                canEdit ? (
                  <Select<LadderRole | 'none'>
                    size="small"
                    style={{ width: 100 }}
                    value={p.role ?? 'none'}
                    onChange={(v) => setRole(p, v === 'none' ? null : v)}
                    options={[
                      ...LADDER_ROLES.map((r) => ({ value: r, label: t(`levers.role.${r}`) })),
                      { value: 'none' as const, label: t('levers.noRole') },
                    ]}
                    data-testid={`role-${p.code}`}
                  />
                ) : (
                  <RoleTag role={p.role} />
                ),
            },
            {
              title: t('levers.buyers'),
              key: 'buyers',
              render: (_, p) => (
                <Button
                  type="link"
                  size="small"
                  style={{ padding: 0 }}
                  data-testid={`product-drill-${p.code}`}
                  onClick={() => setDrill({ query: { product: p.code }, title: p.name })}
                >
                  {formatNumber(p.buyers, lang)}
                </Button>
              ),
            },
            { title: t('levers.gmv'), key: 'gmv', render: (_, p) => formatMoney(p.gmvFen, lang) },
            { title: t('levers.churnRate'), key: 'churn', render: (_, p) => rate(p.churnRate) },
            { title: t('levers.complaintRate'), key: 'complaints', render: (_, p) => rate(p.complaintRate) },
            { title: t('levers.flags'), key: 'flags', render: (_, p) => <Flags flags={p.flags} /> },
          ]}
        />
      </Card>
      {ladder.error ? <ErrorAlert error={ladder.error} onRetry={ladder.reload} /> : null}
      <Row gutter={[12, 12]}>
        <Col xs={24} xl={15}>
          <Card size="small" title={t('levers.cohorts')}>
            <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>
              {t('levers.cohortsHelp')}
            </Typography.Paragraph>
            <Table<Cohort>
              size="small"
              rowKey="month"
              loading={ladder.loading}
              scroll={{ x: 760 }}
              pagination={false}
              dataSource={ladder.data?.cohorts ?? []}
              data-testid="ladder-cohorts"
              columns={[
                {
                  title: t('levers.cohortMonth'),
                  key: 'm',
                  fixed: 'left',
                  render: (_, c) => c.month.slice(0, 7),
                },
                {
                  title: t('levers.customers'),
                  key: 'c',
                  render: (_, c) => (
                    <Button
                      type="link"
                      size="small"
                      style={{ padding: 0 }}
                      onClick={() =>
                        setDrill({
                          query: { from: c.month.slice(0, 7), to: c.month.slice(0, 7) },
                          title: `${t('levers.cohortMonth')} ${c.month.slice(0, 7)}`,
                        })
                      }
                    >
                      {formatNumber(c.customers, lang)}
                    </Button>
                  ),
                },
                { title: t('levers.onLadder'), dataIndex: 'onLadder', key: 'on' },
                { title: t('levers.entered'), key: 'e', render: (_, c) => roles(c.entered) },
                { title: t('levers.reached'), key: 'r', render: (_, c) => roles(c.reached) },
                {
                  title: t('levers.movedUp'),
                  key: 'up',
                  render: (_, c) => `${c.movedUp}${c.onLadder ? `（${rate(c.movedUp / c.onLadder)}）` : ''}`,
                },
              ]}
            />
          </Card>
        </Col>
        <Col xs={24} xl={9}>
          <Card size="small" title={t('levers.recommendations')}>
            <List
              size="small"
              loading={ladder.loading}
              dataSource={ladder.data?.recommendations ?? []}
              data-testid="ladder-recommendations"
              renderItem={(r) => (
                <List.Item>
                  <Flex justify="space-between" wrap gap={4} style={{ width: '100%' }}>
                    <span>
                      {t(`stage.${r.stage}` as 'stage.new')}（{formatNumber(r.customers, lang)}） →{' '}
                      <RoleTag role={r.role} />
                    </span>
                    <Typography.Text strong>{r.product ? r.product.name : t('levers.none')}</Typography.Text>
                  </Flex>
                </List.Item>
              )}
            />
          </Card>
        </Col>
      </Row>
      <ProductDrawer code={open} onClose={() => setOpen(null)} />
      <DrillDrawer query={drill?.query ?? null} title={drill?.title ?? ''} onClose={() => setDrill(null)} />
    </Flex>
  );
}
