import { ContactsOutlined, TeamOutlined } from '@ant-design/icons';
import { Card, Col, Empty, Flex, Input, Row, Skeleton, Statistic, Table, Tree, Typography } from 'antd';
import type { DataNode } from 'antd/es/tree';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router-dom';
import { type Lang, useLang } from '../../i18n';
import { CursorPager, ErrorAlert, PageHeader } from '../../shared/components';
import { formatNumber } from '../../shared/format';
import { useAsync, useCursorPages } from '../../shared/hooks';
import { numberParam, setParams } from '../../shared/params';
import { customersApi, type UnitCounts } from '../customers/api';
import { staffApi } from '../staff/api';
import { staffColumns } from '../staff/staffColumns';
import { orgApi, type Unit } from './api';
import { UnitKindTag } from './UnitKindTag';
import { buildUnitTree, idsToDepth, type UnitNode } from './units';

type CountedUnit = Unit & Omit<UnitCounts, 'unitId'>;

interface UnitDataNode extends DataNode {
  key: number;
  unit: CountedUnit;
  children: UnitDataNode[];
}

function UnitTitle({ unit, lang }: { unit: CountedUnit; lang: Lang }) {
  const { t } = useTranslation();
  return (
    <span className="unit-node" data-testid="org-node">
      <UnitKindTag kind={unit.kind} />
      <Typography.Text strong={unit.kind !== 'store' && unit.kind !== 'team'}>{unit.name}</Typography.Text>
      <span className="unit-counts">
        {t('org.staffCount', { n: formatNumber(unit.staffCount, lang) })} ·{' '}
        {t('org.customerCount', { n: formatNumber(unit.customerCount, lang) })}
      </span>
    </span>
  );
}

/** Keeps the nodes whose name matches `q`, with their ancestors. */
function filterTree<U extends Unit>(nodes: UnitNode<U>[], q: string): UnitNode<U>[] {
  if (!q) return nodes;
  const needle = q.toLowerCase();
  const out: UnitNode<U>[] = [];
  for (const node of nodes) {
    const children = filterTree(node.children, q);
    const hit = node.name.toLowerCase().includes(needle) || (node.code ?? '').toLowerCase().includes(needle);
    if (hit || children.length > 0)
      out.push({ ...node, children: hit && children.length === 0 ? [] : children });
  }
  return out;
}

function allIds(nodes: UnitNode[]): number[] {
  return nodes.flatMap((n) => [n.id, ...allIds(n.children)]);
}

function UnitStaff({ unit, hasChildren }: { unit: CountedUnit; hasChildren: boolean }) {
  const { t } = useTranslation();
  const lang = useLang();
  const pages = useCursorPages(
    (cursor, signal) => staffApi.staff({ unitId: unit.id, cursor: cursor ?? undefined, limit: 20 }, signal),
    String(unit.id),
    'siyu.pages.org-staff',
  );
  // A leaf unit's staff all belong to it: no unit column there.
  const columns = useMemo(
    () => staffColumns(t, lang, { compact: true }).filter((c) => hasChildren || c.key !== 'unit'),
    [t, lang, hasChildren],
  );
  return (
    <Card
      title={
        <Flex align="center" gap={8}>
          <UnitKindTag kind={unit.kind} />
          <span>{t('org.unitStaff', { name: unit.name })}</span>
        </Flex>
      }
      extra={
        unit.code ? (
          <Typography.Text type="secondary">{t('org.code', { code: unit.code })}</Typography.Text>
        ) : null
      }
      data-testid="org-unit-staff"
    >
      <Row gutter={16} style={{ marginBottom: 16 }}>
        <Col span={12}>
          <Statistic title={t('staff.title')} value={unit.staffCount} prefix={<TeamOutlined />} />
        </Col>
        <Col span={12}>
          <Statistic title={t('customers.title')} value={unit.customerCount} prefix={<ContactsOutlined />} />
        </Col>
      </Row>
      {pages.error ? <ErrorAlert error={pages.error} onRetry={pages.reload} /> : null}
      <Table
        rowKey="id"
        size="small"
        columns={columns}
        dataSource={pages.items}
        loading={pages.loading}
        pagination={false}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('staff.empty')} /> }}
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

export default function OrgPage() {
  const { t } = useTranslation();
  const lang = useLang();
  // The tree and its counts (a separate, slower read) in one state.
  const units = useAsync(async (signal) => {
    const [list, counts] = await Promise.all([orgApi.units(signal), customersApi.unitCounts(signal)]);
    const by = new Map(counts.items.map((c) => [c.unitId, c]));
    return {
      items: list.items.map(
        (u): CountedUnit => ({
          ...u,
          staffCount: by.get(u.id)?.staffCount ?? 0,
          customerCount: by.get(u.id)?.customerCount ?? 0,
        }),
      ),
    };
  }, 'units');
  const [params, setSearchParams] = useSearchParams();
  const [search, setSearch] = useState('');
  const [expanded, setExpanded] = useState<number[] | null>(null);

  const items = units.data?.items ?? [];
  const roots = useMemo(() => buildUnitTree(units.data?.items ?? []), [units.data]);
  const shown = useMemo(() => filterTree(roots, search.trim()), [roots, search]);

  const selectedId = numberParam(params, 'unit') ?? roots[0]?.id;
  const selected = items.find((u) => u.id === selectedId);

  const treeData = useMemo(() => {
    const toData = (node: UnitNode<CountedUnit>): UnitDataNode => ({
      key: node.id,
      unit: node,
      title: node.name,
      children: node.children.map(toData),
    });
    return shown.map(toData);
  }, [shown]);

  const expandedKeys = search.trim()
    ? allIds(shown)
    : (expanded ?? (items.length <= 60 ? allIds(roots) : idsToDepth(roots, 2)));

  return (
    <>
      <PageHeader title={t('org.title')} subtitle={t('org.subtitle')} />
      {units.error ? <ErrorAlert error={units.error} onRetry={units.reload} /> : null}
      <Row gutter={[16, 16]} align="top">
        <Col xs={24} xl={8} xxl={7}>
          <Card title={t('org.treeTitle')}>
            <Input.Search
              allowClear
              placeholder={t('org.searchUnit')}
              onChange={(e) => setSearch(e.target.value)}
              style={{ marginBottom: 12 }}
            />
            {units.loading && !units.data ? (
              <Skeleton active paragraph={{ rows: 6 }} />
            ) : treeData.length === 0 ? (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('org.empty')} />
            ) : (
              <Tree<UnitDataNode>
                className="org-tree"
                data-testid="org-tree"
                blockNode
                treeData={treeData}
                expandedKeys={expandedKeys}
                onExpand={(keys) => setExpanded(keys as number[])}
                selectedKeys={selectedId === undefined ? [] : [selectedId]}
                onSelect={(keys) => {
                  const id = keys[0];
                  if (id !== undefined)
                    setSearchParams(setParams(params, { unit: Number(id) }), { replace: true });
                }}
                titleRender={(node) => <UnitTitle unit={node.unit} lang={lang} />}
              />
            )}
          </Card>
        </Col>
        <Col xs={24} xl={16} xxl={17}>
          {selected ? (
            <UnitStaff
              key={selected.id}
              unit={selected}
              hasChildren={items.some((u) => u.parentId === selected.id)}
            />
          ) : (
            <Card>
              {units.loading ? (
                <Skeleton active />
              ) : (
                <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('org.selectHint')} />
              )}
            </Card>
          )}
        </Col>
      </Row>
    </>
  );
}
