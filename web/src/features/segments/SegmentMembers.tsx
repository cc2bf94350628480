import { Card, Empty, Flex, type TableColumnsType, Typography } from 'antd';
import { type HTMLAttributes, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router-dom';
import { useLang } from '../../i18n';
import { CursorPager, ErrorAlert, ExportButton } from '../../shared/components';
import { formatDate, formatMoney } from '../../shared/format';
import { useCursorPages } from '../../shared/hooks';
import { ResponsiveTable } from '../../shared/ResponsiveTable';
import { useMe } from '../accounts/auth';
import { CustomerAvatar } from '../customers/customer';
import { StageTag } from '../customers/Lifecycle';
import { type SegmentMembersPage, segmentsApi } from './api';

type Member = SegmentMembersPage['items'][number];

/** A saved segment's members, all of them a page at a time, and its export (managers). */
export function SegmentMembers({ segmentId }: { segmentId: number }) {
  const { t } = useTranslation();
  const lang = useLang();
  const navigate = useNavigate();
  const me = useMe();
  const canExport = me.role !== 'staff';
  const pages = useCursorPages(
    (cursor, signal) => segmentsApi.segmentMembers(segmentId, cursor, signal),
    String(segmentId),
    'siyu.pages.segmentMembers',
  );
  const columns: TableColumnsType<Member> = useMemo(
    () => [
      {
        key: 'name',
        title: t('ruleAudience.member'),
        render: (_, m) => (
          <Flex align="center" gap={8}>
            <CustomerAvatar name={m.name} avatar={m.avatar} size={28} />
            <Typography.Text strong ellipsis style={{ maxWidth: 160 }}>
              {m.name}
            </Typography.Text>
          </Flex>
        ),
      },
      {
        key: 'stage',
        title: t('ruleAudience.stageTitle'),
        render: (_, m) => <StageTag stage={m.stage} />,
      },
      {
        key: 'ltv',
        title: t('ruleAudience.ltv'),
        align: 'right',
        render: (_, m) => formatMoney(m.ltvFen, lang),
      },
      {
        key: 'last',
        title: t('ruleAudience.lastOrder'),
        render: (_, m) => <span style={{ whiteSpace: 'nowrap' }}>{formatDate(m.lastOrderAt, lang)}</span>,
      },
    ],
    [t, lang],
  );
  return (
    <Card
      title={t('segmentMembers.title')}
      extra={
        canExport ? (
          <ExportButton
            testId="segment-export"
            fullPhones={me.role === 'hq_admin'}
            onExport={(format, phones) => segmentsApi.exportSegmentMembers(segmentId, format, phones)}
          />
        ) : null
      }
      data-testid="segment-members"
    >
      <Typography.Paragraph type="secondary">{t('segmentMembers.hint')}</Typography.Paragraph>
      {pages.error ? <ErrorAlert error={pages.error} onRetry={pages.reload} /> : null}
      <ResponsiveTable<Member>
        className="clickable-rows"
        rowKey="id"
        size="small"
        columns={columns}
        dataSource={pages.items}
        loading={pages.loading}
        pagination={false}
        scroll={{ x: 'max-content' }}
        onRow={(m) =>
          ({
            'data-testid': 'segment-member',
            tabIndex: 0,
            onClick: () => navigate(`/customers/${m.id}`),
            onKeyDown: (e) => {
              if (e.key === 'Enter') navigate(`/customers/${m.id}`);
            },
          }) as HTMLAttributes<HTMLElement>
        }
        locale={{
          emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('ruleAudience.empty')} />,
        }}
      />
      <CursorPager
        page={pages.page}
        hasPrev={pages.hasPrev}
        hasNext={pages.hasNext}
        loading={pages.loading}
        onPrev={pages.prev}
        onNext={pages.next}
      />
    </Card>
  );
}
