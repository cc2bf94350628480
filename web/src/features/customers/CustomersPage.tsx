import { TagsOutlined } from '@ant-design/icons';
import {
  Button,
  Card,
  Checkbox,
  Empty,
  Flex,
  Grid,
  Input,
  Select,
  Spin,
  Table,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import type { ColumnsType } from 'antd/es/table';
import type { TFunction } from 'i18next';
import { type HTMLAttributes, type MouseEvent, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { type Lang, useLang } from '../../i18n';
import { CursorPager, ErrorAlert, ExportButton, PageHeader } from '../../shared/components';
import { formatDateTime, formatNumber } from '../../shared/format';
import { useAsync, useCursorPages } from '../../shared/hooks';
import { numberParam, setParams } from '../../shared/params';
import { useMe } from '../accounts/auth';
import { UnitTreeSelect } from '../org/UnitTreeSelect';
import { type Staff, staffApi } from '../staff/api';
import { JourneyRoleTag } from '../staff/staffColumns';
import { tagsApi } from '../tags/api';
import { type CustomerRow, customersApi, LIFECYCLE_STAGES, type LifecycleStage } from './api';
import { BulkTagsModal } from './BulkTags';
import { CustomerAvatar, GenderLabel } from './customer';
import { StageTag } from './Lifecycle';

const PAGE_SIZE = 20;
const MAX_TAGS = 3;

/** `tagId`: the tag being filtered on is shown first, so it is never hidden behind "+n". */
function columns(t: TFunction, lang: Lang, tagId: number | undefined): ColumnsType<CustomerRow> {
  return [
    {
      title: t('customers.customer'),
      key: 'name',
      fixed: 'left',
      render: (_, c) => (
        <Flex align="center" gap={10}>
          <CustomerAvatar name={c.name} avatar={c.avatar} />
          <Typography.Text strong data-testid="customer-name">
            {c.name}
          </Typography.Text>
        </Flex>
      ),
    },
    {
      title: t('facts.stage'),
      key: 'stage',
      render: (_, c) => <StageTag stage={c.stage} />,
    },
    {
      title: t('customers.gender'),
      key: 'gender',
      render: (_, c) => <GenderLabel gender={c.gender} />,
    },
    {
      title: t('customers.phone'),
      dataIndex: 'phoneMasked',
      key: 'phone',
      render: (v: string | null) =>
        v ? (
          <span className="mono">{v}</span>
        ) : (
          <Typography.Text type="secondary">{t('common.none')}</Typography.Text>
        ),
    },
    {
      title: t('customers.tags'),
      key: 'tags',
      render: (_, c) => <TagChips customer={c} tagId={tagId} />,
    },
    {
      title: t('customers.owners'),
      key: 'owners',
      render: (_, c) => <Owners customer={c} />,
    },
    {
      title: t('customers.firstAdded'),
      dataIndex: 'firstAddedAt',
      key: 'firstAddedAt',
      render: (v: string | null) => <span style={{ whiteSpace: 'nowrap' }}>{formatDateTime(v, lang)}</span>,
    },
  ];
}

/** A customer's tags, the filtered one first, MAX_TAGS shown and the rest behind "+n". */
function TagChips({ customer: c, tagId }: { customer: CustomerRow; tagId: number | undefined }) {
  const { t } = useTranslation();
  if (c.tags.length === 0) return <Typography.Text type="secondary">{t('common.none')}</Typography.Text>;
  const tags =
    tagId === undefined
      ? c.tags
      : [...c.tags].sort((a, b) => Number(b.id === tagId) - Number(a.id === tagId));
  const rest = tags.slice(MAX_TAGS);
  return (
    <span className="tag-chips">
      {tags.slice(0, MAX_TAGS).map((tag) => (
        <Tag key={tag.id} color="blue" variant="filled">
          {tag.name}
        </Tag>
      ))}
      {rest.length > 0 ? (
        <Tooltip title={rest.map((tag) => tag.name).join('、')}>
          <Tag>{t('customers.moreTags', { count: rest.length })}</Tag>
        </Tooltip>
      ) : null}
    </span>
  );
}

function Owners({ customer: c }: { customer: CustomerRow }) {
  const { t } = useTranslation();
  if (c.owners.length === 0) return <Typography.Text type="secondary">{t('common.none')}</Typography.Text>;
  return (
    <Flex vertical gap={4}>
      {c.owners.map((o) => (
        <Flex key={o.staffId} align="center" gap={6} wrap={false}>
          <span>{o.staffName}</span>
          <JourneyRoleTag role={o.journeyRole} />
        </Flex>
      ))}
    </Flex>
  );
}

/** The list on a phone: a card per customer (the table would show three of its seven columns). */
function CustomerCards(props: {
  items: readonly CustomerRow[];
  tagId: number | undefined;
  selected: readonly number[];
  onSelect(ids: number[]): void;
  onOpen(id: number): void;
}) {
  const { t } = useTranslation();
  const lang = useLang();
  const { selected, onSelect } = props;
  return (
    <Flex vertical gap={8} className="customer-cards">
      {props.items.map((c) => (
        <Card
          key={c.id}
          size="small"
          className="customer-card"
          data-testid="customer-row"
          data-row-key={c.id}
          tabIndex={0}
          onClick={(e) => {
            if (!(e.target as HTMLElement).closest('.row-select')) props.onOpen(c.id);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter') props.onOpen(c.id);
          }}
        >
          <Flex gap={10} align="start">
            {/* a tap around the box picks, never opens the profile */}
            <div className="row-select">
              <Checkbox
                checked={selected.includes(c.id)}
                onChange={(e) =>
                  onSelect(e.target.checked ? [...selected, c.id] : selected.filter((id) => id !== c.id))
                }
                aria-label={c.name}
              />
            </div>
            <CustomerAvatar name={c.name} avatar={c.avatar} />
            <Flex vertical gap={4} style={{ minWidth: 0, flex: 1 }}>
              <Flex justify="space-between" align="center" gap={8}>
                <Typography.Text strong ellipsis data-testid="customer-name">
                  {c.name}
                </Typography.Text>
                <StageTag stage={c.stage} />
              </Flex>
              <Flex gap={12} wrap align="center" className="customer-card-meta">
                <GenderLabel gender={c.gender} />
                {c.phoneMasked ? <span className="mono">{c.phoneMasked}</span> : null}
                {c.firstAddedAt ? <span>{formatDateTime(c.firstAddedAt, lang)}</span> : null}
              </Flex>
              <TagChips customer={c} tagId={props.tagId} />
              <Owners customer={c} />
            </Flex>
          </Flex>
        </Card>
      ))}
      {props.items.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('customers.empty')} />
      ) : null}
    </Flex>
  );
}

/** Staff picker for the filter: searches /staff in the chosen unit, and shows the chosen one by name. */
function StaffSelect(props: {
  unitId: number | undefined;
  value: number | undefined;
  onChange(v?: number): void;
}) {
  const { t } = useTranslation();
  const [q, setQ] = useState('');
  const [debounced, setDebounced] = useState('');
  useEffect(() => {
    const timer = window.setTimeout(() => setDebounced(q.trim()), 250);
    return () => window.clearTimeout(timer);
  }, [q]);

  const list = useAsync(
    (signal) => staffApi.staff({ unitId: props.unitId, q: debounced || undefined, limit: 50 }, signal),
    JSON.stringify({ unitId: props.unitId, q: debounced }),
  );
  const chosen = useAsync<Staff | null>(
    (signal) => (props.value === undefined ? Promise.resolve(null) : staffApi.staffById(props.value, signal)),
    String(props.value ?? ''),
  );

  const options = useMemo(() => {
    const items = [...(list.data?.items ?? [])];
    const picked = chosen.data;
    if (picked && !items.some((s) => s.id === picked.id)) items.unshift(picked);
    return items.map((s) => ({
      value: s.id,
      label: s.name,
      unit: s.unitName,
    }));
  }, [list.data, chosen.data]);

  return (
    <Select<number>
      allowClear
      showSearch={{ filterOption: false, onSearch: setQ }}
      loading={list.loading}
      placeholder={t('customers.staffPlaceholder')}
      value={props.value}
      onChange={(v) => {
        setQ('');
        props.onChange(v ?? undefined);
      }}
      options={options}
      optionRender={(o) => (
        <Flex justify="space-between" gap={12}>
          <span>{o.data.label}</span>
          <Typography.Text type="secondary" ellipsis>
            {o.data.unit}
          </Typography.Text>
        </Flex>
      )}
      notFoundContent={list.loading ? t('common.loading') : undefined}
      style={{ width: 200 }}
      popupMatchSelectWidth={280}
    />
  );
}

function TagSelect(props: { value: number | undefined; onChange(v?: number): void }) {
  const { t } = useTranslation();
  const tags = useAsync((signal) => tagsApi.tags(signal), 'tags');
  const options = useMemo(
    () =>
      (tags.data?.groups ?? []).map((g) => ({
        label: (
          <Flex justify="space-between" gap={8}>
            <span>{g.name}</span>
            <span>{t(`audience.${g.audience}`)}</span>
          </Flex>
        ),
        title: g.name,
        options: g.tags.map((tag) => ({ value: tag.id, label: tag.name, group: g.name })),
      })),
    [tags.data, t],
  );
  return (
    <Select<number>
      allowClear
      showSearch={{ optionFilterProp: ['label', 'group'] }}
      loading={tags.loading}
      status={tags.error ? 'error' : undefined}
      placeholder={tags.error ? tags.error.message : t('customers.tagPlaceholder')}
      value={props.value}
      onChange={(v) => props.onChange(v ?? undefined)}
      options={options}
      style={{ width: 200 }}
      popupMatchSelectWidth={260}
    />
  );
}

export default function CustomersPage() {
  const { t } = useTranslation();
  const lang = useLang();
  const navigate = useNavigate();
  const [params, setSearchParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const unitId = numberParam(params, 'unitId');
  const tagId = numberParam(params, 'tagId');
  const staffId = numberParam(params, 'staffId');
  const stageParam = params.get('stage');
  const stage = LIFECYCLE_STAGES.find((s) => s === stageParam);

  const key = JSON.stringify({ q, unitId, tagId, staffId, stage });
  const pages = useCursorPages(
    (cursor, signal) =>
      customersApi.customers(
        { q: q || undefined, unitId, tagId, staffId, stage, cursor: cursor ?? undefined, limit: PAGE_SIZE },
        signal,
      ),
    key,
    'siyu.pages.customers',
  );
  const cols = useMemo(() => columns(t, lang, tagId), [t, lang, tagId]);
  const filtered = Boolean(q || unitId || tagId || staffId || stage);
  const filter = { q: q || undefined, unitId, tagId, staffId, stage };
  const total = pages.data?.total;
  const me = useMe();
  const canExport = me.role !== 'staff';
  const [selected, setSelected] = useState<number[]>([]);
  const [bulkOpen, setBulkOpen] = useState(false);
  const phone = !Grid.useBreakpoint().md;
  // a new filter is a new list: what was picked in the old one no longer shows
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` is the filters.
  useEffect(() => setSelected([]), [key]);

  return (
    <>
      <PageHeader title={t('customers.title')} subtitle={t('customers.subtitle')} />
      <Card>
        <Flex gap={12} wrap style={{ marginBottom: 16 }}>
          <Input.Search
            key={`q:${q}`}
            allowClear
            defaultValue={q}
            placeholder={t('customers.searchPlaceholder')}
            onSearch={(value) => setSearchParams(setParams(params, { q: value.trim() || undefined }))}
            style={{ width: 280 }}
            data-testid="customer-search"
          />
          <UnitTreeSelect
            value={unitId}
            onChange={(v) => setSearchParams(setParams(params, { unitId: v, staffId: undefined }))}
            placeholder={t('customers.unitPlaceholder')}
          />
          <TagSelect value={tagId} onChange={(v) => setSearchParams(setParams(params, { tagId: v }))} />
          <StaffSelect
            unitId={unitId}
            value={staffId}
            onChange={(v) => setSearchParams(setParams(params, { staffId: v }))}
          />
          <Select<LifecycleStage>
            allowClear
            placeholder={t('facts.stageFilter')}
            value={stage}
            onChange={(v) => setSearchParams(setParams(params, { stage: v }))}
            options={LIFECYCLE_STAGES.map((s) => ({ value: s, label: t(`stage.${s}`) }))}
            style={{ width: 140 }}
            data-testid="stage-filter"
          />
          {filtered ? (
            <Button type="link" onClick={() => setSearchParams(new URLSearchParams())}>
              {t('common.reset')}
            </Button>
          ) : null}
        </Flex>
        <Flex justify="space-between" align="center" gap={12} wrap style={{ marginBottom: 12 }}>
          <Flex align="center" gap={12} wrap>
            <Typography.Text strong data-testid="customer-total">
              {total === undefined ? '\u00a0' : t('customers.total', { n: formatNumber(total, lang) })}
            </Typography.Text>
            {selected.length ? (
              <>
                <Typography.Text type="secondary" data-testid="customer-selected">
                  {t('customers.selectedCount', { count: selected.length })}
                </Typography.Text>
                <Button type="link" size="small" onClick={() => setSelected([])}>
                  {t('customers.clearSelection')}
                </Button>
              </>
            ) : null}
          </Flex>
          <Flex gap={8} wrap>
            <Button icon={<TagsOutlined />} onClick={() => setBulkOpen(true)} data-testid="bulk-tags">
              {t('customers.bulkTags')}
            </Button>
            {canExport ? (
              <ExportButton
                testId="customer-export"
                fullPhones={me.role === 'hq_admin'}
                onExport={(format, phones) => customersApi.exportCustomers(filter, format, phones)}
              />
            ) : null}
          </Flex>
        </Flex>
        {pages.error ? <ErrorAlert error={pages.error} onRetry={pages.reload} /> : null}
        {phone ? (
          <Spin spinning={pages.loading}>
            <CustomerCards
              items={pages.items}
              tagId={tagId}
              selected={selected}
              onSelect={setSelected}
              onOpen={(id) => navigate(`/customers/${id}`)}
            />
          </Spin>
        ) : (
          <Table<CustomerRow>
            rowSelection={{
              selectedRowKeys: selected,
              preserveSelectedRowKeys: true,
              onChange: (keys) => setSelected(keys.map(Number)),
            }}
            className="clickable-rows"
            rowKey="id"
            size="middle"
            columns={cols}
            dataSource={pages.items}
            loading={pages.loading}
            pagination={false}
            scroll={{ x: 'max-content' }}
            onRow={(record) =>
              ({
                'data-testid': 'customer-row',
                tabIndex: 0,
                // a tap beside a row's checkbox (a small target on a phone) must not open the profile
                onClick: (e: MouseEvent) => {
                  if (!(e.target as HTMLElement).closest('.ant-table-selection-column')) {
                    navigate(`/customers/${record.id}`);
                  }
                },
                onKeyDown: (e) => {
                  if (e.key === 'Enter') navigate(`/customers/${record.id}`);
                },
              }) as HTMLAttributes<HTMLElement>
            }
            locale={{
              emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('customers.empty')} />,
            }}
          />
        )}
        <CursorPager
          page={pages.page}
          hasPrev={pages.hasPrev}
          hasNext={pages.hasNext}
          loading={pages.loading}
          onPrev={pages.prev}
          onNext={pages.next}
        />
      </Card>
      <BulkTagsModal
        open={bulkOpen}
        selectedIds={selected}
        filter={filter}
        total={total}
        onClose={() => setBulkOpen(false)}
        onDone={() => {
          setSelected([]);
          pages.reload();
        }}
      />
    </>
  );
}
