import { Card, Empty, Flex, Input } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router-dom';
import { useLang } from '../../i18n';
import { CursorPager, ErrorAlert, PageHeader } from '../../shared/components';
import { useCursorPages } from '../../shared/hooks';
import { numberParam, setParams } from '../../shared/params';
import { ResponsiveTable } from '../../shared/ResponsiveTable';
import { useMe } from '../accounts/auth';
import { mayCreate } from '../accounts/permissions';
import { UnitTreeSelect } from '../org/UnitTreeSelect';
import { type Staff, staffApi } from './api';
import { PersonaEditor } from './PersonaEditor';
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
  // managers edit a member's persona and name card (the server holds it to their subtree)
  const manager = mayCreate(useMe());
  const [editing, setEditing] = useState<number | null>(null);

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
          onRow={(s: Staff) => ({
            'data-testid': 'staff-row',
            onClick: manager ? () => setEditing(s.id) : undefined,
            style: manager ? { cursor: 'pointer' } : undefined,
          })}
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
      <PersonaEditor
        staffId={editing}
        onClose={() => setEditing(null)}
        onSaved={() => {
          setEditing(null);
          pages.reload();
        }}
      />
    </>
  );
}
