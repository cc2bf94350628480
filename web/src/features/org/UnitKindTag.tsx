import { Tag } from 'antd';
import { useTranslation } from 'react-i18next';
import type { UnitKind } from './api';

const KIND_COLOR: Record<UnitKind, string> = {
  hq: 'magenta',
  region: 'geekblue',
  area: 'cyan',
  store: 'green',
  team: 'gold',
};

export function UnitKindTag({ kind }: { kind: UnitKind }) {
  const { t } = useTranslation();
  return (
    <Tag color={KIND_COLOR[kind]} className="kind-tag">
      {t(`unitKind.${kind}`)}
    </Tag>
  );
}
