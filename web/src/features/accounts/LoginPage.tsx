import { LockOutlined, UserOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Flex, Form, Input, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, useLocation, useNavigate } from 'react-router-dom';
import { ApiError } from '../../shared/api/client';
import { LangSwitch } from '../../shared/LangSwitch';
import { useAuth } from './auth';

interface LoginForm {
  login: string;
  password: string;
}

function destination(state: unknown): string {
  const from = (state as { from?: string } | null)?.from;
  return from?.startsWith('/') && !from.startsWith('/login') ? from : '/home';
}

export default function LoginPage() {
  const { t } = useTranslation();
  const { state, login } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<ApiError | Error | null>(null);

  if (state.status === 'signed-in') return <Navigate to={destination(location.state)} replace />;
  const expired = state.status === 'anonymous' && state.expired;

  const onFinish = async (values: LoginForm) => {
    setSubmitting(true);
    setError(null);
    try {
      await login(values.login.trim(), values.password);
      navigate(destination(location.state), { replace: true });
    } catch (err) {
      setError(err instanceof Error ? err : new Error(String(err)));
      setSubmitting(false);
    }
  };

  const rateLimited = error instanceof ApiError && error.status === 429;

  return (
    <div className="login-page">
      <div className="login-lang">
        <LangSwitch size="small" />
      </div>
      <Flex vertical align="center" gap={24} className="login-box">
        <Flex vertical align="center" gap={8}>
          <div className="brand-mark brand-mark-lg">私</div>
          <Typography.Title level={2} style={{ margin: 0 }}>
            {t('app.name')}
          </Typography.Title>
          <Typography.Text type="secondary">{t('login.subtitle')}</Typography.Text>
        </Flex>
        <Card className="login-card" title={t('login.title')}>
          {expired && !error ? (
            <Alert type="info" showIcon title={t('shell.sessionExpired')} style={{ marginBottom: 16 }} />
          ) : null}
          {error ? (
            <Alert
              type={rateLimited ? 'warning' : 'error'}
              showIcon
              role="alert"
              data-testid="login-error"
              title={error.message || t('login.failed')}
              style={{ marginBottom: 16 }}
            />
          ) : null}
          <Form<LoginForm> layout="vertical" requiredMark={false} onFinish={onFinish} disabled={submitting}>
            <Form.Item
              label={t('login.account')}
              name="login"
              rules={[{ required: true, whitespace: true, message: t('login.accountRequired') }]}
            >
              <Input
                id="login"
                size="large"
                prefix={<UserOutlined />}
                placeholder={t('login.accountPlaceholder')}
                autoComplete="username"
                autoFocus
              />
            </Form.Item>
            <Form.Item
              label={t('login.password')}
              name="password"
              rules={[{ required: true, message: t('login.passwordRequired') }]}
            >
              <Input.Password
                id="password"
                size="large"
                prefix={<LockOutlined />}
                placeholder={t('login.passwordPlaceholder')}
                autoComplete="current-password"
              />
            </Form.Item>
            <Button type="primary" htmlType="submit" size="large" block loading={submitting}>
              {t('login.submit')}
            </Button>
          </Form>
        </Card>
      </Flex>
    </div>
  );
}
