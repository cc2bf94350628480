import { Card, Empty, Flex, Input } from 'antd';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router-dom';
import { useLang } from '../../i18n';
import { CursorPager, ErrorAlert, PageHeader } from '../../shared/components';
import { useCursorPages } from '../../shared/hooks';
import { numberParam, setParams } from '../../shared/params';
import { ResponsiveTable } from '../../shared/ResponsiveTable';
import { UnitTreeSelect } from '../org/UnitTreeSelect';
import { staffApi } from './api';
import { staffColumns } from './staffColumns';

const PAGE_SIZE = 20;

export default function StaffPage() {
  const { t } = useTranslation();
  const lang = useLang();
  const [params, setSearchParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const unitId = numberParam(params, 'unitId');

  const key = JSON.stringify({ q, unitId });
  const pages = useCursorPages(
    (cursor, signal) =>
      staffApi.staff({ q: q || undefined, unitId, cursor: cursor ?? undefined, limit: PAGE_SIZE }, signal),
    key,
    'siyu.pages.staff',
  );

  const columns = useMemo(() => staffColumns(t, lang), [t, lang]);

  return (
    <>
      <PageHeader title={t('staff.title')} subtitle={t('staff.subtitle')} />
      <Card>
        <Flex gap={12} wrap style={{ marginBottom: 16 }}>
          <Input.Search
            key={`q:${q}`}
            allowClear
            defaultValue={q}
            placeholder={t('staff.searchPlaceholder')}
            onSearch={(value) => setSearchParams(setParams(params, { q: value.trim() || undefined }))}
            style={{ width: 260 }}
          />
          <UnitTreeSelect
            value={unitId}
            onChange={(v) => setSearchParams(setParams(params, { unitId: v }))}
            placeholder={t('staff.unitPlaceholder')}
          />
        </Flex>
        {pages.error ? <ErrorAlert error={pages.error} onRetry={pages.reload} /> : null}
        <ResponsiveTable
          rowKey="id"
          size="middle"
          data-testid="staff-table"
          columns={columns}
          dataSource={pages.items}
          loading={pages.loading}
          pagination={false}
          scroll={{ x: 'max-content' }}
          locale={{
            emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('staff.empty')} />,
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
    </>
  );
}
