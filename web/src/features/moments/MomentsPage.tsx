import { PlusOutlined } from '@ant-design/icons';
import { Badge, Button, Calendar, Card, Empty, Flex, Grid, Segmented, Tag, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { useLang } from '../../i18n';
import { ErrorAlert, PageHeader } from '../../shared/components';
import { formatDateTime } from '../../shared/format';
import { useAsync } from '../../shared/hooks';
import { setParams } from '../../shared/params';
import { AXES, AXIS_COLORS, type Axis, type MomentSummary, momentsApi } from './api';
import { MomentComposer } from './MomentComposer';

function PostChip({ post, onOpen }: { post: MomentSummary; onOpen(): void }) {
  return (
    <button
      type="button"
      className="moment-chip"
      onClick={(e) => {
        e.stopPropagation();
        onOpen();
      }}
      style={{
        borderLeft: `3px solid ${AXIS_COLORS[post.axis]}`,
        opacity: post.status === 'failed' ? 0.6 : 1,
      }}
      data-testid={`moment-chip-${post.id}`}
    >
      {dayjs(post.plannedAt).format('HH:mm')} {post.title}
    </button>
  );
}

/** One post as a card (the phone's list under the calendar). */
function PostCard({ post, onOpen }: { post: MomentSummary; onOpen(): void }) {
  const { t } = useTranslation();
  const lang = useLang();
  return (
    <Card
      size="small"
      hoverable
      onClick={onOpen}
      style={{ borderLeft: `4px solid ${AXIS_COLORS[post.axis]}` }}
      data-testid={`moment-card-${post.id}`}
    >
      <Flex justify="space-between" gap={8} wrap>
        <Typography.Text strong>{post.title}</Typography.Text>
        <Tag color={post.status === 'failed' ? 'error' : post.status === 'published' ? 'success' : 'default'}>
          {t(`moments.status.${post.status}`)}
        </Tag>
      </Flex>
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {t(`moments.axis.${post.axis}`)} · {t(`moments.kind.${post.kind}`)} ·{' '}
        {formatDateTime(post.plannedAt, lang)} · {post.unitName}
      </Typography.Text>
      {post.status === 'published' ? (
        <div style={{ fontSize: 12 }}>
          {t('moments.post.publishedMembers')} {post.publishedCount}/{post.memberCount} ·{' '}
          {t('moments.post.likes')} {post.likes} · {t('moments.post.comments')} {post.comments}
        </div>
      ) : null}
    </Card>
  );
}

/** 朋友圈: a month calendar of the posts coloured by axis, and the composer. */
export default function MomentsPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const phone = !Grid.useBreakpoint().md;
  const [params, setSearch] = useSearchParams();
  const month = dayjs(params.get('month') ?? undefined).isValid()
    ? dayjs(params.get('month') ?? undefined).startOf('month')
    : dayjs().startOf('month');
  const axisParam = params.get('axis');
  const axis = (AXES as readonly string[]).includes(axisParam ?? '') ? (axisParam as Axis) : undefined;
  const [composer, setComposer] = useState<{ day: Dayjs | null } | null>(null);
  const [selected, setSelected] = useState<Dayjs | null>(null);

  // the calendar shows six weeks around the month: load its edges too
  const from = month.subtract(7, 'day');
  const to = month.add(1, 'month').add(14, 'day');
  const posts = useAsync(
    (signal) => momentsApi.list({ from: from.toISOString(), to: to.toISOString(), axis }, signal),
    `${month.format('YYYY-MM')}:${axis ?? ''}`,
  );
  const byDay = useMemo(() => {
    const map = new Map<string, MomentSummary[]>();
    for (const p of posts.data?.items ?? []) {
      const key = dayjs(p.plannedAt).format('YYYY-MM-DD');
      map.set(key, [...(map.get(key) ?? []), p]);
    }
    return map;
  }, [posts.data]);
  const open = (id: number) => navigate(`/moments/${id}`);
  const monthPosts = (posts.data?.items ?? []).filter((p) =>
    selected ? dayjs(p.plannedAt).isSame(selected, 'day') : dayjs(p.plannedAt).isSame(month, 'month'),
  );

  return (
    <>
      <PageHeader
        title={t('moments.title')}
        subtitle={t('moments.subtitle')}
        extra={
          <Button
            type="primary"
            icon={<PlusOutlined />}
            onClick={() => setComposer({ day: selected })}
            data-testid="moment-new"
          >
            {t('moments.new')}
          </Button>
        }
      />
      <Flex gap={8} wrap align="center" style={{ marginBottom: 12 }}>
        <Segmented
          value={axis ?? 'all'}
          onChange={(v) => setSearch(setParams(params, { axis: v === 'all' ? undefined : String(v) }))}
          options={[
            { value: 'all', label: t('moments.allAxes') },
            ...AXES.map((a) => ({
              value: a,
              label: (
                <span>
                  <Badge color={AXIS_COLORS[a]} /> {t(`moments.axis.${a}`)}
                </span>
              ),
            })),
          ]}
        />
      </Flex>
      {posts.error ? <ErrorAlert error={posts.error} onRetry={posts.reload} /> : null}
      <Card size="small" data-testid="moments-calendar">
        <Calendar
          fullscreen={!phone}
          value={selected ?? month}
          onPanelChange={(d) => {
            setSelected(null);
            setSearch(setParams(params, { month: d.format('YYYY-MM') }));
          }}
          onSelect={(d, info) => {
            if (info.source === 'date') {
              setSelected(d);
              if (!d.isSame(month, 'month')) setSearch(setParams(params, { month: d.format('YYYY-MM') }));
            }
          }}
          cellRender={(d, info) => {
            if (info.type !== 'date') return info.originNode;
            const list = byDay.get(d.format('YYYY-MM-DD')) ?? [];
            if (phone)
              return list.length ? (
                <Flex justify="center" gap={2}>
                  {list.slice(0, 3).map((p) => (
                    <Badge key={p.id} color={AXIS_COLORS[p.axis]} />
                  ))}
                </Flex>
              ) : null;
            return (
              <Flex vertical gap={2}>
                {list.map((p) => (
                  <PostChip key={p.id} post={p} onOpen={() => open(p.id)} />
                ))}
              </Flex>
            );
          }}
        />
      </Card>
      {phone ? (
        <Flex vertical gap={8} style={{ marginTop: 12 }} data-testid="moments-list">
          {monthPosts.length === 0 && !posts.loading ? <Empty description={t('moments.noPosts')} /> : null}
          {monthPosts.map((p) => (
            <PostCard key={p.id} post={p} onOpen={() => open(p.id)} />
          ))}
        </Flex>
      ) : null}
      {composer ? (
        <MomentComposer
          open
          day={composer.day}
          onClose={() => setComposer(null)}
          onSaved={(id) => {
            setComposer(null);
            navigate(`/moments/${id}`);
          }}
        />
      ) : null}
    </>
  );
}
