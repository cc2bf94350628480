import {
  Button,
  Card,
  Empty,
  Flex,
  Progress,
  Segmented,
  Table,
  type TableColumnsType,
  Typography,
} from 'antd';
import { type HTMLAttributes, useEffect, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router-dom';
import { CursorPager, ErrorAlert, PageHeader } from '../../shared/components';
import { useAsync, useCursorPages } from '../../shared/hooks';
import { numberParam, setParams } from '../../shared/params';
import { ResponsiveTable } from '../../shared/ResponsiveTable';
import { useMe } from '../accounts/auth';
import { type Task, type TaskQuery, type TaskStatsRow, tasksApi } from './api';
import { TaskCard } from './TaskCard';

const FILTERS = ['active', 'overdue', 'done', 'dismissed', 'all'] as const satisfies readonly NonNullable<
  TaskQuery['state']
>[];
type Filter = (typeof FILTERS)[number];
const isFilter = (s: string | null): s is Filter => (FILTERS as readonly (string | null)[]).includes(s);
const PAGE_SIZE = 20;

function Rate({ value }: { value: number | null }) {
  if (value === null) return <Typography.Text type="secondary">—</Typography.Text>;
  return <Progress percent={Math.round(value * 100)} size="small" style={{ minWidth: 90, margin: 0 }} />;
}

/** The task list of a filter: cards, a page at a time; `?task=` scrolls to and marks that task. */
function TaskList({
  query,
  showStaff,
  mine,
}: {
  query: Omit<TaskQuery, 'cursor'>;
  showStaff: boolean;
  mine: boolean;
}) {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const focus = numberParam(params, 'task');
  const pages = useCursorPages(
    (cursor, signal) => tasksApi.list({ ...query, cursor: cursor ?? undefined, limit: PAGE_SIZE }, signal),
    JSON.stringify(query),
    'siyu.pages.tasks',
  );
  useEffect(() => {
    if (focus && pages.items.some((i) => i.id === focus))
      document.getElementById(`task-${focus}`)?.scrollIntoView({ block: 'center' });
  }, [focus, pages.items]);
  return (
    <>
      {pages.error ? <ErrorAlert error={pages.error} onRetry={pages.reload} /> : null}
      {pages.items.length === 0 && !pages.loading ? (
        <Empty
          image={Empty.PRESENTED_IMAGE_SIMPLE}
          description={mine ? t('tasks.emptyMine') : t('tasks.empty')}
          data-testid="tasks-empty"
        />
      ) : (
        <div className="task-grid" data-testid="task-list">
          {pages.items.map((task: Task) => (
            <TaskCard
              key={task.id}
              task={task}
              showStaff={showStaff}
              highlight={task.id === focus}
              onChanged={pages.reload}
            />
          ))}
        </div>
      )}
      <CursorPager
        page={pages.page}
        hasPrev={pages.hasPrev}
        hasNext={pages.hasNext}
        loading={pages.loading}
        onPrev={pages.prev}
        onNext={pages.next}
      />
    </>
  );
}

function FilterBar({ filter, onChange }: { filter: Filter; onChange(f: Filter): void }) {
  const { t } = useTranslation();
  return (
    <div className="task-filter">
      <Segmented<Filter>
        value={filter}
        onChange={onChange}
        options={FILTERS.map((f) => ({ value: f, label: t(`tasks.filter.${f}`) }))}
        data-testid="task-filter"
      />
    </div>
  );
}

/** A front-line member's own tasks: cards that fit a phone, done or dismissed in place. */
function MyTasks() {
  const { t } = useTranslation();
  const [params, setSearchParams] = useSearchParams();
  const state = params.get('state');
  const filter: Filter = isFilter(state) ? state : 'active';
  return (
    <>
      <PageHeader title={t('tasks.mineTitle')} subtitle={t('tasks.mineSubtitle')} />
      <FilterBar
        filter={filter}
        onChange={(f) => setSearchParams(setParams(params, { state: f, task: undefined }))}
      />
      <TaskList query={{ state: filter }} showStaff={false} mine />
    </>
  );
}

/** Completion rates per store or per member; a row picks the list below. */
function StatsTable({ by, onPick }: { by: 'store' | 'staff'; onPick(row: TaskStatsRow): void }) {
  const { t } = useTranslation();
  const stats = useAsync((signal) => tasksApi.stats({ by }, signal), `task-stats:${by}`);
  const columns: TableColumnsType<TaskStatsRow> = useMemo(
    () => [
      {
        key: 'name',
        title: by === 'store' ? t('tasks.store') : t('tasks.staff'),
        render: (_, r) => (
          <Flex vertical>
            <Typography.Link onClick={() => onPick(r)}>{r.name}</Typography.Link>
            {by === 'staff' ? (
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {r.unitName}
              </Typography.Text>
            ) : null}
          </Flex>
        ),
      },
      { key: 'rate', title: t('tasks.completionRate'), render: (_, r) => <Rate value={r.completionRate} /> },
      { key: 'onTimeRate', title: t('tasks.onTimeRate'), render: (_, r) => <Rate value={r.onTimeRate} /> },
      { key: 'onTime', title: t('tasks.onTime'), dataIndex: 'onTime', align: 'right' },
      { key: 'late', title: t('tasks.late'), dataIndex: 'late', align: 'right' },
      { key: 'open', title: t('tasks.open'), dataIndex: 'open', align: 'right' },
      {
        key: 'overdue',
        title: t('tasks.overdue'),
        align: 'right',
        render: (_, r) => (
          <Typography.Text type={r.overdue ? 'danger' : undefined}>{r.overdue}</Typography.Text>
        ),
      },
      { key: 'dismissed', title: t('tasks.dismissed'), dataIndex: 'dismissed', align: 'right' },
    ],
    [t, by, onPick],
  );
  return (
    <>
      {stats.error ? <ErrorAlert error={stats.error} onRetry={stats.reload} /> : null}
      <ResponsiveTable<TaskStatsRow>
        rowKey="id"
        size="small"
        columns={columns}
        dataSource={stats.data?.items ?? []}
        loading={stats.loading}
        pagination={false}
        scroll={{ x: 'max-content' }}
        onRow={() => ({ 'data-testid': 'task-stats-row' }) as HTMLAttributes<HTMLElement>}
        summary={() =>
          stats.data && stats.data.items.length > 1 ? (
            <Table.Summary.Row>
              <Table.Summary.Cell index={0}>
                <Typography.Text strong>{t('tasks.total')}</Typography.Text>
              </Table.Summary.Cell>
              <Table.Summary.Cell index={1}>
                <Rate value={stats.data.total.completionRate} />
              </Table.Summary.Cell>
              <Table.Summary.Cell index={2}>
                <Rate value={stats.data.total.onTimeRate} />
              </Table.Summary.Cell>
              <Table.Summary.Cell index={3} align="right">
                {stats.data.total.onTime}
              </Table.Summary.Cell>
              <Table.Summary.Cell index={4} align="right">
                {stats.data.total.late}
              </Table.Summary.Cell>
              <Table.Summary.Cell index={5} align="right">
                {stats.data.total.open}
              </Table.Summary.Cell>
              <Table.Summary.Cell index={6} align="right">
                {stats.data.total.overdue}
              </Table.Summary.Cell>
              <Table.Summary.Cell index={7} align="right">
                {stats.data.total.dismissed}
              </Table.Summary.Cell>
            </Table.Summary.Row>
          ) : null
        }
        locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('tasks.empty')} /> }}
      />
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {t('tasks.window')}
      </Typography.Text>
    </>
  );
}

/** Managers: completion rates per store and per member, and the tasks of the one picked. */
function TeamTasks() {
  const { t } = useTranslation();
  const [params, setSearchParams] = useSearchParams();
  const by = params.get('by') === 'staff' ? 'staff' : 'store';
  const state = params.get('state');
  const filter: Filter = isFilter(state) ? state : 'active';
  const staffId = numberParam(params, 'staffId');
  const unitId = numberParam(params, 'unitId');
  const pickedName = params.get('name');
  const pick = (row: TaskStatsRow) =>
    setSearchParams(
      setParams(params, {
        staffId: by === 'staff' ? row.id : undefined,
        unitId: by === 'store' ? row.id : undefined,
        name: row.name,
        task: undefined,
      }),
    );
  return (
    <>
      <PageHeader title={t('tasks.title')} subtitle={t('tasks.subtitle')} />
      <Flex vertical gap={16}>
        <Card
          title={
            <Segmented<'store' | 'staff'>
              value={by}
              onChange={(v) => setSearchParams(setParams(params, { by: v }))}
              options={[
                { value: 'store', label: t('tasks.byStore') },
                { value: 'staff', label: t('tasks.byStaff') },
              ]}
              data-testid="task-stats-by"
            />
          }
        >
          <StatsTable by={by} onPick={pick} />
        </Card>
        <Card
          title={t('tasks.list')}
          extra={
            pickedName && (staffId || unitId) ? (
              <Flex align="center" gap={8} wrap>
                <Typography.Text type="secondary">
                  {t('tasks.showingFor', { name: pickedName })}
                </Typography.Text>
                <Button
                  size="small"
                  onClick={() =>
                    setSearchParams(
                      setParams(params, { staffId: undefined, unitId: undefined, name: undefined }),
                    )
                  }
                >
                  {t('tasks.clear')}
                </Button>
              </Flex>
            ) : null
          }
        >
          <FilterBar
            filter={filter}
            onChange={(f) => setSearchParams(setParams(params, { state: f, task: undefined }))}
          />
          <TaskList query={{ state: filter, staffId, unitId }} showStaff mine={false} />
        </Card>
      </Flex>
    </>
  );
}

/** 待办: a front-line member's own tasks; a manager's team with its completion rates. */
export default function TasksPage() {
  const me = useMe();
  return me.role === 'staff' ? <MyTasks /> : <TeamTasks />;
}
