import { PlusOutlined } from '@ant-design/icons';
import { Button, Empty, type TableColumnsType, Tag, Typography } from 'antd';
import type { HTMLAttributes } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { useLang } from '../../i18n';
import { CursorPager, ErrorAlert, PageHeader } from '../../shared/components';
import { formatDateTime, formatNumber } from '../../shared/format';
import { useCursorPages } from '../../shared/hooks';
import { ResponsiveTable } from '../../shared/ResponsiveTable';
import { type MassSendItem, type MassSendStatus, outreachApi } from './api';
import { MassSendComposer } from './MassSendComposer';
import { MassSendDetail } from './MassSendDetail';

export const STATUS_COLOR: Record<MassSendStatus, string> = {
  scheduled: 'blue',
  sending: 'gold',
  done: 'green',
  cancelled: 'default',
};

/** 群发: the list (`/mass-sends`), the composer (`/mass-sends/new`) and one send's results (`/mass-sends/:id`). */
export default function MassSendsPage() {
  const { id } = useParams();
  if (id === 'new') return <MassSendComposer />;
  if (id !== undefined) return <MassSendDetail id={Number(id)} />;
  return <MassSendList />;
}

function MassSendList() {
  const { t } = useTranslation();
  const lang = useLang();
  const navigate = useNavigate();
  const pages = useCursorPages(
    (cursor, signal) => outreachApi.list(cursor, signal),
    'mass-sends',
    'siyu.pages.mass-sends',
  );
  const columns: TableColumnsType<MassSendItem> = [
    {
      key: 'name',
      title: t('massSends.columns.name'),
      render: (_, m) => (
        <span>
          <Link to={`/mass-sends/${m.id}`}>{m.name}</Link>
          {m.target === 'groups' ? (
            <Tag color="purple" style={{ marginLeft: 6 }}>
              {t('massSends.targetTag.groups')}
            </Tag>
          ) : null}
          {m.recurring ? <Tag color="cyan">{t('massSends.targetTag.recurring')}</Tag> : null}
        </span>
      ),
    },
    {
      key: 'status',
      title: t('massSends.columns.status'),
      render: (_, m) => <Tag color={STATUS_COLOR[m.status]}>{t(`massSends.status.${m.status}`)}</Tag>,
    },
    {
      key: 'kind',
      title: t('massSends.contentKind'),
      responsive: ['md'],
      render: (_, m) => t(`massSends.kind.${m.contentKind}`),
    },
    {
      key: 'receiving',
      title: t('massSends.columns.receiving'),
      align: 'right',
      render: (_, m) => formatNumber(m.receiving, lang),
    },
    {
      key: 'sent',
      title: t('massSends.columns.sent'),
      align: 'right',
      render: (_, m) => formatNumber(m.sent, lang),
    },
    {
      key: 'sendAt',
      title: t('massSends.columns.sendAt'),
      responsive: ['md'],
      render: (_, m) => formatDateTime(m.sendAt ?? m.createdAt, lang),
    },
  ];
  return (
    <>
      <PageHeader
        title={t('massSends.title')}
        subtitle={t('massSends.subtitle')}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/mass-sends/new')}>
            {t('massSends.create')}
          </Button>
        }
      />
      {pages.error ? <ErrorAlert error={pages.error} onRetry={pages.reload} /> : null}
      <ResponsiveTable<MassSendItem>
        rowKey="id"
        size="small"
        columns={columns}
        dataSource={pages.items}
        loading={pages.loading}
        pagination={false}
        scroll={{ x: 'max-content' }}
        locale={{
          emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('massSends.empty')} />,
        }}
        onRow={() => ({ 'data-testid': 'mass-send-row' }) as HTMLAttributes<HTMLElement>}
      />
      <CursorPager
        page={pages.page}
        hasPrev={pages.hasPrev}
        hasNext={pages.hasNext}
        loading={pages.loading}
        onPrev={pages.prev}
        onNext={pages.next}
      />
      <Typography.Paragraph type="secondary" style={{ marginTop: 12 }} />
    </>
  );
}
