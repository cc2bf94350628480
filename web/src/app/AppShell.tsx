import { LogoutOutlined, MenuFoldOutlined, MenuUnfoldOutlined, ShopOutlined } from '@ant-design/icons';
import { App, Avatar, Button, Drawer, Flex, Grid, Layout, Menu, Spin, Tag, Tooltip, Typography } from 'antd';
import { Suspense, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Outlet, useLocation, useNavigate } from 'react-router-dom';
import type { Role } from '../features/accounts/api';
import { useAuth, useMe } from '../features/accounts/auth';
import { forgetListPages } from '../shared/hooks';
import { LangSwitch } from '../shared/LangSwitch';
import { PAGES } from './pages';

const ROLE_COLOR: Record<Role, string> = {
  hq_admin: 'red',
  region_manager: 'purple',
  store_manager: 'blue',
  staff: 'green',
};

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
  // On a phone the menu is a drawer over the page, so the content keeps the whole width.
  const phone = !Grid.useBreakpoint().md;
  const [drawerOpen, setDrawerOpen] = useState(false);

  const menu = PAGES.flatMap(({ paths, menu: entry }) =>
    entry && (!entry.roles || entry.roles.includes(me.role)) ? [{ key: `/${paths[0]}`, ...entry }] : [],
  );
  const selected = menu.find((m) => location.pathname === m.key || location.pathname.startsWith(`${m.key}/`));

  const onLogout = async () => {
    forgetListPages();
    await logout().catch(() => undefined);
    message.success(t('shell.logoutDone'));
    navigate('/login', { replace: true });
  };

  const logo = (short: boolean) => (
    <Link to="/home" className="shell-logo" onClick={() => setDrawerOpen(false)}>
      <span className="brand-mark">私</span>
      {short ? null : <span className="shell-logo-text">{t('app.name')}</span>}
    </Link>
  );
  const nav = (
    <Menu
      mode="inline"
      style={{ borderInlineEnd: 'none' }}
      selectedKeys={selected ? [selected.key] : []}
      onClick={() => setDrawerOpen(false)}
      items={menu.map((m) => ({ key: m.key, icon: m.icon, label: <Link to={m.key}>{t(m.label)}</Link> }))}
    />
  );

  return (
    <Layout className="shell">
      {phone ? (
        <Drawer
          placement="left"
          open={drawerOpen}
          onClose={() => setDrawerOpen(false)}
          closable={false}
          size={240}
          styles={{ body: { padding: 0 } }}
          data-testid="menu-drawer"
        >
          {logo(false)}
          {nav}
        </Drawer>
      ) : (
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
          {logo(collapsed)}
          {nav}
        </Layout.Sider>
      )}
      <Layout>
        <Layout.Header className="shell-header">
          <Flex align="center" gap={12} style={{ minWidth: 0 }}>
            <Button
              type="text"
              aria-label={t(phone ? 'shell.menu' : 'shell.collapse')}
              data-testid="menu-toggle"
              icon={collapsed || phone ? <MenuUnfoldOutlined /> : <MenuFoldOutlined />}
              onClick={() => (phone ? setDrawerOpen(true) : setCollapsed(!collapsed))}
            />
            <ShopOutlined className="shell-corp-icon" />
            <Typography.Text strong className="shell-corp" data-testid="corp-name" ellipsis>
              {me.corpName}
            </Typography.Text>
          </Flex>
          <Flex align="center" wrap={false} className="shell-tools">
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
            <Button
              icon={<LogoutOutlined />}
              onClick={onLogout}
              aria-label={t('shell.logout')}
              data-testid="logout"
            >
              <span className="shell-logout-text">{t('shell.logout')}</span>
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
