import { Avatar, Flex, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import type { Lang } from '../../i18n';
import { formatNumber } from '../../shared/format';
import type { JourneyRole, Persona, Staff, StaffStatus } from './api';

const PERSONA_COLOR: Record<Persona, string> = {
  brand: 'blue',
  expert: 'purple',
  founder: 'volcano',
  sales: 'orange',
  assistant: 'cyan',
};

const JOURNEY_COLOR: Record<JourneyRole, string> = {
  online_ops: 'geekblue',
  customer_service: 'cyan',
  consultant: 'purple',
  sales: 'orange',
  doctor: 'red',
  store_staff: 'green',
};

/**
 * The customers routes name a persona or journey role as a plain string (the staff routes as an enum):
 * one this console does not know shows as it is.
 */
function isKnown<K extends string>(colors: Record<K, string>, value: string): value is K {
  return Object.hasOwn(colors, value);
}

export function PersonaTag({ persona, name }: { persona: string; name?: string | null }) {
  const { t } = useTranslation();
  const known = isKnown(PERSONA_COLOR, persona);
  const label = known ? t(`persona.${persona}`) : persona;
  return <Tag color={known ? PERSONA_COLOR[persona] : undefined}>{name ? `${label} · ${name}` : label}</Tag>;
}

export function JourneyRoleTag({ role }: { role: string }) {
  const { t } = useTranslation();
  const known = isKnown(JOURNEY_COLOR, role);
  return (
    <Tag color={known ? JOURNEY_COLOR[role] : undefined} variant="outlined">
      {known ? t(`journeyRole.${role}`) : role}
    </Tag>
  );
}

const STAFF_STATUS_COLOR: Record<StaffStatus, string> = {
  active: 'success',
  disabled: 'warning',
  departed: 'default',
};

export function StaffStatusTag({ status }: { status: StaffStatus }) {
  const { t } = useTranslation();
  return <Tag color={STAFF_STATUS_COLOR[status]}>{t(`staffStatus.${status}`)}</Tag>;
}

/** Columns of a staff table; `compact` leaves out the WeCom userid (for the narrower org page). */
export function staffColumns(t: TFunction, lang: Lang, opts: { compact?: boolean } = {}): ColumnsType<Staff> {
  const columns: ColumnsType<Staff> = [
    {
      title: t('staff.name'),
      dataIndex: 'name',
      key: 'name',
      render: (_, s) => (
        <Flex align="center" gap={8}>
          <Avatar size="small" style={{ backgroundColor: '#87a9ff', flex: 'none' }}>
            {s.name.slice(0, 1)}
          </Avatar>
          <Typography.Text strong>{s.name}</Typography.Text>
        </Flex>
      ),
    },
    ...(opts.compact
      ? []
      : [
          {
            title: t('staff.userid'),
            dataIndex: 'userid',
            key: 'userid',
            render: (v: string) => <span className="mono">{v}</span>,
          } as ColumnsType<Staff>[number],
        ]),
    { title: t('staff.unit'), dataIndex: 'unitName', key: 'unit' },
    {
      title: t('staff.persona'),
      key: 'persona',
      render: (_, s) => <PersonaTag persona={s.persona} name={s.personaName} />,
    },
    {
      title: t('staff.journeyRole'),
      key: 'journeyRole',
      render: (_, s) => <JourneyRoleTag role={s.journeyRole} />,
    },
    {
      title: t('staff.title_'),
      dataIndex: 'title',
      key: 'title',
      render: (v: string | null) =>
        v ?? <Typography.Text type="secondary">{t('common.none')}</Typography.Text>,
    },
    {
      title: t('staff.status'),
      key: 'status',
      render: (_, s) => <StaffStatusTag status={s.status} />,
    },
    {
      title: t('staff.customerCount'),
      dataIndex: 'customerCount',
      key: 'customerCount',
      align: 'right',
      render: (v: number) => formatNumber(v, lang),
    },
  ];
  return columns;
}
