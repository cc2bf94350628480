import { UsergroupAddOutlined } from '@ant-design/icons';
import { Avatar, Button, Drawer, List, Pagination, Tooltip, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router-dom';
import { ErrorAlert } from '../../shared/components';
import { useAsync } from '../../shared/hooks';
import { type DrillQuery, insightApi } from './api';

const PAGE = 20;

/**
 * The customers behind a figure, 20 at a time; each opens their profile. The server sends the segment rule
 * of the same customers with them, which "save as segment" opens in the segment editor.
 */
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
      <Tooltip title={t('insight.drillSaveHint')}>
        <Button
          icon={<UsergroupAddOutlined />}
          disabled={!data}
          style={{ marginBottom: 8 }}
          data-testid="insight-drill-segment"
          onClick={() => data && navigate('/segments/new', { state: { rule: data.rule, name: title } })}
        >
          {t('insight.drillSave')}
        </Button>
      </Tooltip>
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
