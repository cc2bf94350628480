import { UsergroupAddOutlined } from '@ant-design/icons';
import { Avatar, Button, Drawer, List, Pagination, Space, Tooltip, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router-dom';
import { ErrorAlert } from '../../shared/components';
import { useAsync } from '../../shared/hooks';
import type { Condition, Rule } from '../segments/api';
import { type DrillQuery, insightApi } from './api';

const PAGE = 20;

/**
 * The segment rule that holds the customers behind a figure: its channel, method, store or member, its
 * scope's unit, its stage and its order step. The acquisition months, 7-day retention, group membership and
 * a members' persona are no segment fields: `dropped` says when the figure narrowed by them.
 */
export function drillRule(q: Omit<DrillQuery, 'offset' | 'limit'>): { rule: Rule | null; dropped: boolean } {
  const rules: Condition[] = [];
  const ids = (k: string) => [Number(k)];
  if (q.by && q.by !== 'total' && q.key !== undefined) {
    if (q.by === 'channel' && q.key !== '0') rules.push({ field: 'channel', cmp: 'in', value: ids(q.key) });
    if (q.by === 'method' && q.key !== 'none')
      rules.push({ field: 'channel_method', cmp: 'in', value: [q.key] });
    if (q.by === 'store') rules.push({ field: 'follow_unit', cmp: 'in', value: ids(q.key) });
    if (q.by === 'staff') rules.push({ field: 'staff', cmp: 'in', value: ids(q.key) });
  }
  if (q.unitId !== undefined) rules.push({ field: 'follow_unit', cmp: 'in', value: [q.unitId] });
  if (q.staffId !== undefined) rules.push({ field: 'staff', cmp: 'in', value: [q.staffId] });
  if (q.stage) rules.push({ field: 'stage', cmp: 'in', value: [q.stage] });
  if (q.product) rules.push({ field: 'product', cmp: 'in', value: [q.product] });
  if (q.massSend !== undefined) rules.push({ field: 'mass_send', cmp: 'in', value: [q.massSend] });
  if (q.journey !== undefined) rules.push({ field: 'journey', cmp: 'in', value: [q.journey] });
  if (q.step === 'firstOrder') rules.push({ field: 'order_count', cmp: 'gte', value: 1 });
  if (q.step === 'repurchase') rules.push({ field: 'order_count', cmp: 'gte', value: 2 });
  const dropped =
    q.from !== undefined ||
    q.to !== undefined ||
    q.step === 'retained7d' ||
    q.step === 'joinedGroup' ||
    (q.by === 'persona' && q.key !== undefined);
  return { rule: rules.length ? { op: 'and', rules } : null, dropped };
}

/** The customers behind a figure, 20 at a time; each opens their profile. */
export function DrillDrawer({
  query,
  title,
  onClose,
}: {
  query: Omit<DrillQuery, 'offset' | 'limit'> | null;
  title: string;
  onClose(): void;
}) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [page, setPage] = useState(1);
  const segment = query ? drillRule(query) : null;
  const key = JSON.stringify(query);
  const state = useAsync(
    (signal) =>
      query
        ? insightApi.customers({ ...query, offset: (page - 1) * PAGE, limit: PAGE }, signal)
        : Promise.resolve(null),
    `${key}:${page}`,
  );
  const data = state.data;
  return (
    <Drawer
      open={query !== null}
      onClose={() => {
        setPage(1);
        onClose();
      }}
      title={`${title} · ${t('insight.drillTitle', { n: data?.total ?? 0 })}`}
      width={Math.min(520, typeof window === 'undefined' ? 520 : window.innerWidth)}
      destroyOnHidden
    >
      {state.error ? <ErrorAlert error={state.error} onRetry={state.reload} /> : null}
      {segment ? (
        <Space direction="vertical" size={4} style={{ marginBottom: 8, width: '100%' }}>
          <Tooltip title={segment.rule ? t('insight.drillSaveHint') : t('insight.drillNoSegment')}>
            <Button
              icon={<UsergroupAddOutlined />}
              disabled={!segment.rule}
              data-testid="insight-drill-segment"
              onClick={() => navigate('/segments/new', { state: { rule: segment.rule, name: title } })}
            >
              {t('insight.drillSave')}
            </Button>
          </Tooltip>
          {segment.rule && segment.dropped ? (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('insight.drillSaveDropped')}
            </Typography.Text>
          ) : null}
        </Space>
      ) : null}
      <List
        loading={state.loading}
        dataSource={data?.items ?? []}
        data-testid="insight-drill"
        renderItem={(c) => (
          <List.Item>
            <List.Item.Meta
              avatar={<Avatar src={c.avatar ?? undefined}>{c.name.slice(0, 1)}</Avatar>}
              title={<Link to={`/customers/${c.id}`}>{c.name}</Link>}
              description={
                <Typography.Text type="secondary">
                  {t('insight.staff')}: {c.staffName} · {c.unitName} · {t('insight.acquired')} {c.acquiredDay}{' '}
                  · {t('insight.orders')} {c.orderCount} · {t(`stage.${c.stage}` as 'stage.new')}
                </Typography.Text>
              }
            />
          </List.Item>
        )}
      />
      {data && data.total > PAGE ? (
        <Pagination
          size="small"
          current={page}
          pageSize={PAGE}
          total={data.total}
          showSizeChanger={false}
          onChange={setPage}
        />
      ) : null}
    </Drawer>
  );
}
