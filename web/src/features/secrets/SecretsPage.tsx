import {
  Alert,
  App,
  Button,
  Card,
  Empty,
  Flex,
  Input,
  Modal,
  Popconfirm,
  Table,
  type TableColumnsType,
  Tag,
  Typography,
} from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useLang } from '../../i18n';
import { ErrorAlert, PageHeader } from '../../shared/components';
import { formatDateTime } from '../../shared/format';
import { useAsync } from '../../shared/hooks';
import { type Integration, secretsApi } from './api';

/** 对接密钥 (HQ admins): integrator secrets listed with their last use, created (shown once) and revoked. */
export default function SecretsPage() {
  const { t } = useTranslation();
  const lang = useLang();
  const { message } = App.useApp();
  const list = useAsync((signal) => secretsApi.list(signal), 'secrets');
  const [source, setSource] = useState('');
  const [busy, setBusy] = useState(false);
  const [shown, setShown] = useState<{ source: string; secret: string } | null>(null);

  const create = async () => {
    setBusy(true);
    try {
      const res = await secretsApi.create(source.trim());
      setShown({ source: res.source, secret: res.secret });
      setSource('');
      list.reload();
    } catch (err) {
      message.error((err as Error).message, 6);
    } finally {
      setBusy(false);
    }
  };

  const columns: TableColumnsType<Integration> = useMemo(
    () => [
      {
        key: 'source',
        title: t('secrets.source'),
        render: (_, r) => <span className="mono">{r.source}</span>,
      },
      {
        key: 'createdAt',
        title: t('secrets.createdAt'),
        render: (_, r) => formatDateTime(r.createdAt, lang),
      },
      {
        key: 'lastUsedAt',
        title: t('secrets.lastUsedAt'),
        render: (_, r) => (r.lastUsedAt ? formatDateTime(r.lastUsedAt, lang) : t('secrets.never')),
      },
      {
        key: 'status',
        title: t('secrets.status'),
        render: (_, r) =>
          r.revokedAt ? (
            <Tag>{t('secrets.revoked', { at: formatDateTime(r.revokedAt, lang) })}</Tag>
          ) : (
            <Tag color="success">{t('secrets.live')}</Tag>
          ),
      },
      {
        key: 'actions',
        title: '',
        render: (_, r) =>
          r.revokedAt ? null : (
            <Popconfirm
              title={t('secrets.revokeConfirm')}
              onConfirm={async () => {
                try {
                  await secretsApi.revoke(r.id);
                  list.reload();
                } catch (err) {
                  message.error((err as Error).message, 6);
                }
              }}
            >
              <Button danger size="small" data-testid="secret-revoke">
                {t('secrets.revoke')}
              </Button>
            </Popconfirm>
          ),
      },
    ],
    [t, lang, list, message],
  );

  return (
    <>
      <PageHeader title={t('secrets.title')} subtitle={t('secrets.subtitle')} />
      <Card>
        <Flex gap={8} wrap style={{ marginBottom: 16 }}>
          <Input
            value={source}
            onChange={(e) => setSource(e.target.value)}
            placeholder={t('secrets.sourcePlaceholder')}
            style={{ width: 240 }}
            data-testid="secret-source"
          />
          <Button
            type="primary"
            loading={busy}
            disabled={!source.trim()}
            onClick={create}
            data-testid="secret-create"
          >
            {t('secrets.create')}
          </Button>
        </Flex>
        {list.error ? <ErrorAlert error={list.error} onRetry={list.reload} /> : null}
        <Table<Integration>
          rowKey="id"
          size="middle"
          columns={columns}
          dataSource={list.data?.items ?? []}
          loading={list.loading}
          pagination={false}
          scroll={{ x: 'max-content' }}
          locale={{
            emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('secrets.empty')} />,
          }}
        />
      </Card>
      <Modal
        open={shown !== null}
        onCancel={() => setShown(null)}
        onOk={() => setShown(null)}
        title={shown?.source}
      >
        <Flex vertical gap={12}>
          <Alert type="warning" showIcon title={t('secrets.shownOnce')} />
          <Typography.Paragraph
            copyable={{ text: shown?.secret ?? '' }}
            className="mono"
            data-testid="secret-shown"
          >
            {shown?.secret}
          </Typography.Paragraph>
        </Flex>
      </Modal>
    </>
  );
}
