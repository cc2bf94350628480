import {
  Card,
  Collapse,
  Descriptions,
  Empty,
  Grid,
  List,
  Table,
  type TableColumnType,
  type TableProps,
} from 'antd';
import type { HTMLAttributes, ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

type Column<T> = TableColumnType<T> & { children?: unknown };

function valueAt(record: object, dataIndex: TableColumnType<object>['dataIndex']): unknown {
  if (dataIndex === undefined || dataIndex === null) return undefined;
  const path = Array.isArray(dataIndex) ? dataIndex : [dataIndex];
  let v: unknown = record;
  for (const k of path) v = v == null ? undefined : (v as Record<string | number, unknown>)[k as string];
  return v;
}

function cell<T extends object>(c: Column<T>, record: T, index: number): ReactNode {
  const value = valueAt(record, c.dataIndex as TableColumnType<object>['dataIndex']);
  if (c.render) {
    const out = c.render(value, record, index);
    // a render may return cell props ({ children, props }) as antd allows
    return out && typeof out === 'object' && 'children' in (out as object) && !('$$typeof' in (out as object))
      ? ((out as { children: ReactNode }).children ?? null)
      : (out as ReactNode);
  }
  return value === undefined || value === null ? null : String(value);
}

/**
 * A table on a wide screen; on a phone, a card per row with each column as "label: value", because a table
 * at 390 px shows three of its columns and hides the rest behind a sideways scroll. Takes the Table's own
 * props: the same columns, rows, row handlers (onRow's test ids and clicks land on the card), pagination,
 * empty text and an expanded row (folded under 展开详情, rendered when opened). Row selection and summary rows
 * stay on the wide layout.
 */
export function ResponsiveTable<T extends object>(
  props: TableProps<T> & { cardTitle?: (record: T) => ReactNode },
) {
  const phone = !Grid.useBreakpoint().md;
  const { t } = useTranslation();
  const { cardTitle, ...table } = props;
  const expand = table.expandable?.expandedRowRender;
  if (!phone) return <Table<T> {...table} />;
  const columns = ((table.columns ?? []) as Column<T>[]).filter((c) => !c.hidden && !c.children);
  const first = cardTitle ? undefined : columns[0];
  const rest = cardTitle ? columns : columns.slice(1);
  const rows = [...(table.dataSource ?? [])];
  const keyOf = (r: T) =>
    typeof table.rowKey === 'function'
      ? table.rowKey(r, rows.indexOf(r))
      : String(
          (r as Record<string, unknown>)[(table.rowKey as string | undefined) ?? 'key'] ?? rows.indexOf(r),
        );
  const { position: _, ...paging } = table.pagination || {};
  const empty = table.locale?.emptyText;
  return (
    <List<T>
      data-testid={(table as { 'data-testid'?: string })['data-testid']}
      className="responsive-cards"
      dataSource={rows}
      loading={table.loading}
      rowKey={keyOf}
      pagination={table.pagination === false ? false : { pageSize: 10, size: 'small', ...paging }}
      locale={{
        emptyText:
          typeof empty === 'function' ? empty() : (empty ?? <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} />),
      }}
      renderItem={(record, index) => {
        const rowProps = (table.onRow?.(record, index) ?? {}) as HTMLAttributes<HTMLDivElement>;
        return (
          <Card
            size="small"
            {...rowProps}
            className={`responsive-card ${rowProps.className ?? ''}`}
            title={cardTitle ? cardTitle(record) : first ? cell(first, record, index) : undefined}
            style={{ marginBottom: 8, cursor: rowProps.onClick ? 'pointer' : undefined, ...rowProps.style }}
          >
            <Descriptions
              size="small"
              column={1}
              items={rest.map((c, i) => ({
                key: String(c.key ?? c.dataIndex ?? i),
                label: typeof c.title === 'function' ? undefined : (c.title as ReactNode),
                children: cell(c, record, index),
              }))}
            />
            {expand ? (
              <Collapse
                ghost
                size="small"
                items={[{ key: 'more', label: t('common.more'), children: expand(record, index, 0, true) }]}
              />
            ) : null}
          </Card>
        );
      }}
    />
  );
}
