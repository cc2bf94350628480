import {
  ApartmentOutlined,
  BlockOutlined,
  ContactsOutlined,
  CrownOutlined,
  FilterOutlined,
  ImportOutlined,
  LogoutOutlined,
  MenuFoldOutlined,
  MenuUnfoldOutlined,
  QrcodeOutlined,
  ShopOutlined,
  TagsOutlined,
  TeamOutlined,
  WechatWorkOutlined,
} from '@ant-design/icons';
import { App, Avatar, Button, Flex, Layout, Menu, Spin, Tag, Tooltip, Typography } from 'antd';
import { type ReactNode, Suspense, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Outlet, useLocation, useNavigate } from 'react-router-dom';
import type { Role } from '../api';
import { useAuth, useMe } from '../auth';
import { forgetListPages } from '../hooks';
import type { Messages } from '../i18n/zh';
import { LangSwitch } from './LangSwitch';

const ROLE_COLOR: Record<Role, string> = {
  hq_admin: 'red',
  region_manager: 'purple',
  store_manager: 'blue',
  staff: 'green',
};

interface MenuEntry {
  key: string;
  icon: ReactNode;
  label: `menu.${keyof Messages['menu']}`;
  /** Only these roles see the entry; everyone when absent. */
  roles?: readonly Role[];
}

const MENU: readonly MenuEntry[] = [
  { key: '/org', icon: <ApartmentOutlined />, label: 'menu.org' },
  { key: '/staff', icon: <TeamOutlined />, label: 'menu.staff' },
  { key: '/customers', icon: <ContactsOutlined />, label: 'menu.customers' },
  { key: '/super-users', icon: <CrownOutlined />, label: 'menu.superUsers' },
  { key: '/channels', icon: <QrcodeOutlined />, label: 'menu.channels' },
  { key: '/tags', icon: <TagsOutlined />, label: 'menu.tags' },
  { key: '/segments', icon: <FilterOutlined />, label: 'menu.segments' },
  { key: '/layers', icon: <BlockOutlined />, label: 'menu.layers' },
  {
    key: '/order-import',
    icon: <ImportOutlined />,
    label: 'menu.orderImport',
    roles: ['hq_admin', 'region_manager', 'store_manager'],
  },
  { key: '/wecom', icon: <WechatWorkOutlined />, label: 'menu.wecom', roles: ['hq_admin'] },
];

export function PageLoading() {
  return (
    <Flex justify="center" align="center" style={{ minHeight: 240 }}>
      <Spin size="large" />
    </Flex>
  );
}

/** The signed-in frame: side menu, header with brand, account, role, language and sign-out. */
export function AppShell() {
  const { t } = useTranslation();
  const me = useMe();
  const { logout } = useAuth();
  const { message } = App.useApp();
  const location = useLocation();
  const navigate = useNavigate();
  const [collapsed, setCollapsed] = useState(false);

  const menu = MENU.filter((m) => !m.roles || m.roles.includes(me.role));
  const selected = menu.find((m) => location.pathname === m.key || location.pathname.startsWith(`${m.key}/`));

  const onLogout = async () => {
    forgetListPages();
    await logout().catch(() => undefined);
    message.success(t('shell.logoutDone'));
    navigate('/login', { replace: true });
  };

  return (
    <Layout className="shell">
      <Layout.Sider
        theme="light"
        collapsible
        collapsed={collapsed}
        onCollapse={setCollapsed}
        breakpoint="lg"
        trigger={null}
        width={208}
        className="shell-sider"
      >
        <Link to="/customers" className="shell-logo">
          <span className="brand-mark">私</span>
          {collapsed ? null : <span className="shell-logo-text">{t('app.name')}</span>}
        </Link>
        <Menu
          mode="inline"
          style={{ borderInlineEnd: 'none' }}
          selectedKeys={selected ? [selected.key] : []}
          items={menu.map((m) => ({ key: m.key, icon: m.icon, label: <Link to={m.key}>{t(m.label)}</Link> }))}
        />
      </Layout.Sider>
      <Layout>
        <Layout.Header className="shell-header">
          <Flex align="center" gap={12} style={{ minWidth: 0 }}>
            <Button
              type="text"
              aria-label={t('shell.collapse')}
              icon={collapsed ? <MenuUnfoldOutlined /> : <MenuFoldOutlined />}
              onClick={() => setCollapsed(!collapsed)}
            />
            <ShopOutlined className="shell-corp-icon" />
            <Typography.Text strong className="shell-corp" data-testid="corp-name" ellipsis>
              {me.corpName}
            </Typography.Text>
          </Flex>
          <Flex align="center" gap={16} wrap={false}>
            <LangSwitch size="small" />
            <Tooltip title={me.unitName}>
              <Flex align="center" gap={8} className="shell-account" data-testid="account">
                <Avatar size="small" style={{ backgroundColor: '#1677ff' }}>
                  {me.displayName.slice(0, 1)}
                </Avatar>
                <Typography.Text className="shell-account-name">{me.displayName}</Typography.Text>
                <Tag color={ROLE_COLOR[me.role]} style={{ marginInlineEnd: 0 }} data-testid="account-role">
                  {t(`role.${me.role}`)}
                </Tag>
              </Flex>
            </Tooltip>
            <Button icon={<LogoutOutlined />} onClick={onLogout} data-testid="logout">
              {t('shell.logout')}
            </Button>
          </Flex>
        </Layout.Header>
        <Layout.Content className="shell-content">
          <Suspense fallback={<PageLoading />}>
            <Outlet />
          </Suspense>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
