import { ManOutlined, UserOutlined, WomanOutlined } from '@ant-design/icons';
import { Avatar, Flex, Tag } from 'antd';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import type { FollowStatus, Gender } from './api';

export function GenderLabel({ gender }: { gender: Gender }) {
  const { t } = useTranslation();
  const icon =
    gender === 1 ? (
      <ManOutlined style={{ color: '#1677ff' }} />
    ) : gender === 2 ? (
      <WomanOutlined style={{ color: '#eb2f96' }} />
    ) : null;
  return (
    <Flex align="center" gap={4} component="span">
      {icon}
      <span>{t(gender === 1 ? 'gender.1' : gender === 2 ? 'gender.2' : 'gender.0')}</span>
    </Flex>
  );
}

export function CustomerAvatar({
  name,
  avatar,
  size,
}: {
  name: string;
  avatar: string | null;
  size?: number;
}) {
  return (
    <Avatar
      size={size ?? 32}
      src={avatar ?? undefined}
      icon={name ? undefined : <UserOutlined />}
      style={{ backgroundColor: avatar ? undefined : '#69b1ff', flex: 'none' }}
    >
      {name.slice(0, 1)}
    </Avatar>
  );
}

const FOLLOW_STATUS_COLOR: Record<FollowStatus, string> = {
  active: 'success',
  deleted_by_customer: 'error',
  deleted_by_staff: 'warning',
  transferred: 'default',
};

export function FollowStatusTag({ status }: { status: FollowStatus }) {
  const { t } = useTranslation();
  return <Tag color={FOLLOW_STATUS_COLOR[status]}>{t(`followStatus.${status}`)}</Tag>;
}

const ADD_WAYS = new Set([0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 201, 202]);

/** WeCom's add_way code as words; unknown codes still show their number. */
export function addWayLabel(t: TFunction, code: number): string {
  if (ADD_WAYS.has(code)) return t(`addWay.${code}` as 'addWay.0');
  return t('addWay.other', { code });
}
