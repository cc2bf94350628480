import { ManOutlined, UserOutlined, WomanOutlined } from '@ant-design/icons';
import { Avatar, Flex } from 'antd';
import { useTranslation } from 'react-i18next';
import type { Gender } from '../api';

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
      <span>{t(`gender.${gender}`)}</span>
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
