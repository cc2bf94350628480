import { TreeSelect } from 'antd';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { useAsync } from '../../shared/hooks';
import { orgApi } from './api';
import { buildUnitTree, type UnitNode } from './units';

interface TreeOption {
  value: number;
  title: string;
  children: TreeOption[];
}

/** Picks one unit of the caller's org tree (from /org/units); empty means "all units in scope". */
export function UnitTreeSelect(props: {
  value: number | undefined;
  onChange(value: number | undefined): void;
  placeholder: string;
  style?: React.CSSProperties;
  /** Set by a Form.Item, so that its label points at the control. */
  id?: string;
  disabled?: boolean;
  'data-testid'?: string;
}) {
  const { t } = useTranslation();
  const units = useAsync((signal) => orgApi.units(signal), 'units');
  const treeData = useMemo(() => {
    const toOption = (node: UnitNode): TreeOption => ({
      value: node.id,
      title: `${t(`unitKind.${node.kind}`)} · ${node.name}`,
      children: node.children.map(toOption),
    });
    return buildUnitTree(units.data?.items ?? []).map(toOption);
  }, [units.data, t]);

  return (
    <TreeSelect<number>
      id={props.id}
      disabled={props.disabled}
      data-testid={props['data-testid']}
      allowClear
      showSearch={{ treeNodeFilterProp: 'title' }}
      treeDefaultExpandAll
      loading={units.loading}
      status={units.error ? 'error' : undefined}
      placeholder={units.error ? units.error.message : props.placeholder}
      value={props.value}
      onChange={(v) => props.onChange(v ?? undefined)}
      treeData={treeData}
      style={{ minWidth: 220, ...props.style }}
      popupMatchSelectWidth={false}
    />
  );
}
