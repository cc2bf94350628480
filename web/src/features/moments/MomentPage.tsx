import { ArrowLeftOutlined, EditOutlined } from '@ant-design/icons';
import {
  Alert,
  Button,
  Card,
  Descriptions,
  Flex,
  Grid,
  Image,
  Space,
  Statistic,
  Table,
  type TableColumnsType,
  Tag,
  Typography,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useParams } from 'react-router-dom';
import { useLang } from '../../i18n';
import { ErrorAlert, PageHeader } from '../../shared/components';
import { formatDateTime } from '../../shared/format';
import { useAsync } from '../../shared/hooks';
import { AXIS_COLORS, type MomentPost, momentsApi } from './api';
import { MomentComposer } from './MomentComposer';

type Member = MomentPost['members'][number];
const STATUS_COLOR = { pending: 'default', published: 'success', invalid: 'error' } as const;

/** One post: its content, and each member's publishing with the customers who see it, likes and comments. */
export default function MomentPage() {
  const { t } = useTranslation();
  const lang = useLang();
  const navigate = useNavigate();
  const phone = !Grid.useBreakpoint().md;
  const id = Number(useParams().id);
  const post = useAsync((signal) => momentsApi.post(id, signal), String(id));
  const [editing, setEditing] = useState(false);
  const p = post.data;

  const columns: TableColumnsType<Member> = [
    {
      title: t('moments.post.memberName'),
      dataIndex: 'name',
      render: (name: string, m) => (
        <Space>
          {name}
          {m.persona ? <Tag>{t(`persona.${m.persona}` as never)}</Tag> : null}
        </Space>
      ),
    },
    {
      title: t('moments.post.memberStatus'),
      dataIndex: 'status',
      render: (s: Member['status']) => <Tag color={STATUS_COLOR[s]}>{t(`moments.memberStatus.${s}`)}</Tag>,
    },
    { title: t('moments.post.visible'), dataIndex: 'visible', align: 'right' },
    { title: t('moments.post.likes'), dataIndex: 'likes', align: 'right' },
    { title: t('moments.post.comments'), dataIndex: 'comments', align: 'right' },
  ];

  return (
    <>
      <PageHeader
        title={
          <Space wrap>
            <Button
              type="text"
              icon={<ArrowLeftOutlined />}
              onClick={() => navigate('/moments')}
              aria-label={t('moments.post.back')}
            />
            {p?.title ?? ''}
          </Space>
        }
        extra={
          p?.status === 'planned' ? (
            <Button icon={<EditOutlined />} onClick={() => setEditing(true)} data-testid="moment-edit">
              {t('moments.post.edit')}
            </Button>
          ) : null
        }
      />
      {post.error ? <ErrorAlert error={post.error} onRetry={post.reload} /> : null}
      {p ? (
        <Flex vertical gap={12}>
          {p.scheduleNote && (p.status === 'planned' || p.scheduleNote.kind === 'spread') ? (
            <Alert
              type="info"
              showIcon
              data-testid="moment-schedule-note"
              title={t(`moments.note.${p.scheduleNote.kind}`, {
                from: formatDateTime(p.scheduleNote.from, lang),
                at: formatDateTime(p.plannedAt, lang),
              })}
            />
          ) : null}
          {p.status === 'failed' ? (
            <Alert type="error" showIcon title={`${t('moments.post.failure')}: ${p.failure ?? ''}`} />
          ) : null}
          <Card size="small" style={{ borderLeft: `4px solid ${AXIS_COLORS[p.axis]}` }}>
            <Descriptions
              size="small"
              column={phone ? 1 : 2}
              items={[
                {
                  label: t('moments.composer.axis'),
                  children: (
                    <Space>
                      <Tag color={AXIS_COLORS[p.axis]}>{t(`moments.axis.${p.axis}`)}</Tag>
                      <Tag data-testid="moment-status">{t(`moments.status.${p.status}`)}</Tag>
                    </Space>
                  ),
                },
                { label: t('moments.post.unit'), children: p.unitName },
                { label: t('moments.post.plannedAt'), children: formatDateTime(p.plannedAt, lang) },
                { label: t('moments.post.publishedAt'), children: formatDateTime(p.publishedAt, lang) },
                {
                  label: t('moments.post.tags'),
                  children: p.tags.length
                    ? p.tags.map((tag) => <Tag key={tag.id}>{tag.name}</Tag>)
                    : t('moments.post.allCustomers'),
                },
                {
                  label: t('moments.composer.senders'),
                  children: p.senders.map((s) => s.name).join('、'),
                },
              ]}
            />
            {p.body ? (
              <Typography.Paragraph
                style={{ whiteSpace: 'pre-wrap', marginTop: 12 }}
                data-testid="moment-body-text"
              >
                {p.body}
              </Typography.Paragraph>
            ) : null}
            {p.kind === 'images' || p.kind === 'link' ? (
              <Image.PreviewGroup>
                <Space wrap>
                  {p.mediaIds.map((m) => (
                    <Image
                      key={m}
                      src={momentsApi.mediaUrl(m)}
                      width={phone ? 96 : 120}
                      height={phone ? 96 : 120}
                      style={{ objectFit: 'cover' }}
                    />
                  ))}
                </Space>
              </Image.PreviewGroup>
            ) : null}
            {p.kind === 'link' && p.linkUrl ? (
              <div>
                {t('moments.post.link')}:{' '}
                <Typography.Link href={p.linkUrl} target="_blank" rel="noreferrer">
                  {p.linkTitle}
                </Typography.Link>
              </div>
            ) : null}
          </Card>
          <Flex gap={12} wrap>
            {(
              [
                ['publishedMembers', `${p.publishedCount}/${p.memberCount}`],
                ['visible', p.visible],
                ['likes', p.likes],
                ['comments', p.comments],
              ] as const
            ).map(([key, value]) => (
              <Card size="small" key={key} style={{ flex: '1 1 140px' }}>
                <Statistic
                  title={t(`moments.post.${key}`)}
                  value={value}
                  data-testid={`moment-stat-${key}`}
                />
              </Card>
            ))}
          </Flex>
          <Card size="small" title={t('moments.post.members')}>
            {p.members.length === 0 ? (
              <Typography.Text type="secondary">{t('moments.post.noMembers')}</Typography.Text>
            ) : phone ? (
              <Flex vertical gap={8} data-testid="moment-members">
                {p.members.map((m) => (
                  <Card size="small" key={m.userid}>
                    <Flex justify="space-between" wrap gap={4}>
                      <Typography.Text strong>{m.name}</Typography.Text>
                      <Tag color={STATUS_COLOR[m.status]}>{t(`moments.memberStatus.${m.status}`)}</Tag>
                    </Flex>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {t('moments.post.visible')} {m.visible} · {t('moments.post.likes')} {m.likes} ·{' '}
                      {t('moments.post.comments')} {m.comments}
                    </Typography.Text>
                  </Card>
                ))}
              </Flex>
            ) : (
              <Table<Member>
                rowKey="userid"
                size="small"
                columns={columns}
                dataSource={p.members}
                pagination={p.members.length > 20 ? { pageSize: 20 } : false}
                data-testid="moment-members"
              />
            )}
          </Card>
        </Flex>
      ) : null}
      {editing && p ? (
        <MomentComposer
          open
          post={p}
          onClose={() => setEditing(false)}
          onSaved={() => {
            setEditing(false);
            post.reload();
          }}
        />
      ) : null}
    </>
  );
}
