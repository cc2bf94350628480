import { LockOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Flex, Form, Input, Result, Typography } from 'antd';
import { type ReactNode, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { ApiError } from '../../shared/api/client';
import { LangSwitch } from '../../shared/LangSwitch';
import { peopleApi } from './api';

/** The server's rule for a new password (MIN_PASSWORD_LENGTH in src/modules/accounts/manage.ts, and 256). */
export const MIN_PASSWORD = 8;
export const MAX_PASSWORD = 256;

/** The token in the address's fragment (`#<token>`), '' when there is none or it cannot be read. */
function readToken(): string {
  try {
    return decodeURIComponent(window.location.hash.replace(/^#/, '')).trim();
  } catch {
    return '';
  }
}

interface Values {
  password: string;
  confirm: string;
}

/**
 * /reset-password#<token>: the page a one-time link opens, with no session. The token is in the fragment
 * (browsers never send it to a server or a proxy log); it is read here and sent once, in the request body.
 */
export default function ResetPasswordPage() {
  const { t } = useTranslation();
  const [token, setToken] = useState(readToken);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [login, setLogin] = useState<string | null>(null);

  // another link pasted into this tab changes only the fragment: the page starts again with it
  useEffect(() => {
    const onHash = () => {
      setToken(readToken());
      setLogin(null);
      setError(null);
      setBusy(false);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  const submit = async (v: Values) => {
    setBusy(true);
    setError(null);
    try {
      const done = await peopleApi.setPasswordByLink(token, v.password);
      // the token is spent: it leaves the address bar and the history entry
      window.history.replaceState(null, '', window.location.pathname);
      setLogin(done.login);
    } catch (err) {
      setError(err instanceof Error ? err : new Error(String(err)));
      setBusy(false);
    }
  };

  // a 400 is the server's word for a used, replaced or expired link (or a disabled login)
  const refused = error instanceof ApiError && error.status === 400;

  let body: ReactNode;
  if (login) {
    body = (
      <Result
        status="success"
        title={t('resetPassword.done')}
        subTitle={t('resetPassword.doneHint', { login })}
        extra={
          <Link to="/login">
            <Button type="primary" data-testid="reset-to-login">
              {t('resetPassword.toLogin')}
            </Button>
          </Link>
        }
        data-testid="reset-done"
      />
    );
  } else if (!token || token.length < 10) {
    body = (
      <Result
        status="warning"
        title={t('resetPassword.noToken')}
        subTitle={t('resetPassword.noTokenHint')}
        data-testid="reset-no-token"
      />
    );
  } else if (refused) {
    body = (
      <Result
        status="error"
        title={t('resetPassword.refused')}
        subTitle={t('resetPassword.refusedHint')}
        extra={
          <Link to="/login">
            <Button>{t('resetPassword.toLogin')}</Button>
          </Link>
        }
        data-testid="reset-refused"
      />
    );
  } else {
    body = (
      <>
        <Typography.Paragraph type="secondary">{t('resetPassword.subtitle')}</Typography.Paragraph>
        {error ? (
          <Alert
            type="error"
            showIcon
            role="alert"
            title={error.message}
            style={{ marginBottom: 16 }}
            data-testid="reset-error"
          />
        ) : null}
        <Form<Values> layout="vertical" requiredMark={false} onFinish={submit} disabled={busy}>
          <Form.Item
            name="password"
            label={t('resetPassword.password')}
            rules={[
              { required: true, message: t('resetPassword.tooShort', { min: MIN_PASSWORD }) },
              { min: MIN_PASSWORD, message: t('resetPassword.tooShort', { min: MIN_PASSWORD }) },
              { max: MAX_PASSWORD, message: t('resetPassword.tooLong', { max: MAX_PASSWORD }) },
            ]}
          >
            <Input.Password
              id="new-password"
              size="large"
              prefix={<LockOutlined />}
              placeholder={t('resetPassword.placeholder', { min: MIN_PASSWORD })}
              autoComplete="new-password"
              autoFocus
            />
          </Form.Item>
          <Form.Item
            name="confirm"
            label={t('resetPassword.confirm')}
            dependencies={['password']}
            rules={[
              { required: true, message: t('resetPassword.mismatch') },
              ({ getFieldValue }) => ({
                validator: (_, value: string) =>
                  !value || value === getFieldValue('password')
                    ? Promise.resolve()
                    : Promise.reject(new Error(t('resetPassword.mismatch'))),
              }),
            ]}
          >
            <Input.Password
              id="confirm-password"
              size="large"
              prefix={<LockOutlined />}
              autoComplete="new-password"
            />
          </Form.Item>
          <Button
            type="primary"
            htmlType="submit"
            size="large"
            block
            loading={busy}
            data-testid="reset-submit"
          >
            {t('resetPassword.submit')}
          </Button>
        </Form>
      </>
    );
  }

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
        </Flex>
        <Card className="login-card" title={t('resetPassword.title')}>
          {body}
        </Card>
      </Flex>
    </div>
  );
}
