import { EyeOutlined } from '@ant-design/icons';
import { App, Button, Space, Tooltip } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { client, unwrap } from '../../shared/api/client';

/**
 * The masked number, and 查看 to reveal the full one: an explicit, audited action (counted against the
 * caller's phone budget), never a side effect of opening the profile.
 */
export function RevealPhone({ customerId, masked }: { customerId: number; masked: string }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [phone, setPhone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const reveal = async () => {
    setBusy(true);
    try {
      const res = await unwrap(
        client.POST('/api/v1/customers/{id}/phone/reveal', { params: { path: { id: customerId } } }),
      );
      setPhone(res.phone);
    } catch (err) {
      message.error((err as Error).message, 6);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Space size={4}>
      <span className="mono" data-testid="profile-phone">
        {phone ?? masked}
      </span>
      {phone ? null : (
        <Tooltip title={t('profile.revealHint')}>
          <Button
            type="link"
            size="small"
            icon={<EyeOutlined />}
            loading={busy}
            onClick={reveal}
            data-testid="reveal-phone"
          >
            {t('profile.reveal')}
          </Button>
        </Tooltip>
      )}
    </Space>
  );
}
