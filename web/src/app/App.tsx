import { App as AntApp, Button, ConfigProvider, Result, theme } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { lazy, type ReactNode, Suspense, useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { AuthProvider, useAuth } from '../features/accounts/auth';
import LoginPage from '../features/accounts/LoginPage';
import { AppShell, PageLoading } from './AppShell';
import { PAGES } from './pages';

const NotFoundPage = lazy(() => import('./NotFoundPage'));
/** The staff sidebar opened inside WeCom: a phone page of its own, outside the console's shell. */
const SidebarPage = lazy(() => import('../features/sidebar/SidebarPage'));
/** Where a one-time link lands: sets a password with no session. */
const ResetPasswordPage = lazy(() => import('../features/accounts/ResetPasswordPage'));

const FONT_FAMILY = [
  '-apple-system',
  'BlinkMacSystemFont',
  '"Segoe UI"',
  '"PingFang SC"',
  '"Hiragino Sans GB"',
  '"Microsoft YaHei"',
  '"Noto Sans CJK SC"',
  '"Noto Sans SC"',
  '"Source Han Sans SC"',
  '"WenQuanYi Micro Hei"',
  '"Helvetica Neue"',
  'Arial',
  'sans-serif',
  '"Apple Color Emoji"',
  '"Segoe UI Emoji"',
  '"Noto Color Emoji"',
].join(', ');

function RequireAuth({ children }: { children: ReactNode }) {
  const { state, reload } = useAuth();
  const location = useLocation();
  const { t } = useTranslation();
  if (state.status === 'loading') return <PageLoading />;
  if (state.status === 'error') {
    return (
      <Result
        status="error"
        title={t('common.loadFailed')}
        subTitle={state.error.message}
        extra={
          <Button type="primary" onClick={reload}>
            {t('common.retry')}
          </Button>
        }
      />
    );
  }
  if (state.status === 'anonymous') {
    return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  }
  return children;
}

function LoginRoute() {
  const { state } = useAuth();
  if (state.status === 'loading') return <PageLoading />;
  return <LoginPage />;
}

export function App() {
  const { t, i18n } = useTranslation();
  const en = i18n.language === 'en';
  useEffect(() => {
    document.title = t('app.title');
  }, [t]);
  return (
    <ConfigProvider
      locale={en ? enUS : zhCN}
      button={{ autoInsertSpace: false }}
      theme={{
        algorithm: theme.defaultAlgorithm,
        token: { fontFamily: FONT_FAMILY, colorPrimary: '#1677ff', borderRadius: 8 },
        components: {
          Layout: {
            headerBg: '#ffffff',
            siderBg: '#ffffff',
            bodyBg: '#f5f6fa',
            headerPadding: '0 24px 0 12px',
          },
        },
      }}
    >
      <AntApp>
        <AuthProvider>
          <BrowserRouter>
            <Routes>
              <Route path="/login" element={<LoginRoute />} />
              <Route
                path="/reset-password"
                element={
                  <Suspense fallback={<PageLoading />}>
                    <ResetPasswordPage />
                  </Suspense>
                }
              />
              <Route
                path="/sidebar"
                element={
                  <Suspense fallback={<PageLoading />}>
                    <SidebarPage />
                  </Suspense>
                }
              />
              <Route
                element={
                  <RequireAuth>
                    <AppShell />
                  </RequireAuth>
                }
              >
                <Route index element={<Navigate to="/home" replace />} />
                {PAGES.flatMap(({ paths, page: Page }) =>
                  paths.map((path) => <Route key={path} path={path} element={<Page />} />),
                )}
                <Route
                  path="*"
                  element={
                    <Suspense fallback={<PageLoading />}>
                      <NotFoundPage />
                    </Suspense>
                  }
                />
              </Route>
            </Routes>
          </BrowserRouter>
        </AuthProvider>
      </AntApp>
    </ConfigProvider>
  );
}
