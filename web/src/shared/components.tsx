import { DownloadOutlined, LeftOutlined, ReloadOutlined, RightOutlined } from '@ant-design/icons';
import { Alert, App, Button, Dropdown, Flex, Modal, Radio, Space, Typography } from 'antd';
import { type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from './api/client';

export function PageHeader({
  title,
  subtitle,
  extra,
}: {
  title: ReactNode;
  subtitle?: ReactNode;
  extra?: ReactNode;
}) {
  return (
    <Flex className="page-header" justify="space-between" align="flex-end" wrap gap={12}>
      <div>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {title}
        </Typography.Title>
        {subtitle ? <Typography.Text type="secondary">{subtitle}</Typography.Text> : null}
      </div>
      {extra}
    </Flex>
  );
}

export function ErrorAlert({ error, onRetry }: { error: Error; onRetry?: () => void }) {
  const { t } = useTranslation();
  const requestId = error instanceof ApiError ? error.requestId : undefined;
  return (
    <Alert
      type="error"
      showIcon
      title={`${t('common.loadFailed')}: ${error.message}`}
      description={requestId ? t('common.requestId', { id: requestId }) : undefined}
      action={
        onRetry ? (
          <Button size="small" icon={<ReloadOutlined />} onClick={onRetry}>
            {t('common.retry')}
          </Button>
        ) : undefined
      }
      style={{ marginBottom: 16 }}
    />
  );
}

export function CursorPager(props: {
  page: number;
  hasPrev: boolean;
  hasNext: boolean;
  loading: boolean;
  onPrev(): void;
  onNext(): void;
}) {
  const { t } = useTranslation();
  return (
    <Flex justify="flex-end" align="center" gap={12} className="cursor-pager">
      <Typography.Text type="secondary">{t('common.page', { page: props.page })}</Typography.Text>
      <Space.Compact>
        <Button icon={<LeftOutlined />} disabled={!props.hasPrev || props.loading} onClick={props.onPrev}>
          {t('common.prevPage')}
        </Button>
        <Button disabled={!props.hasNext || props.loading} onClick={props.onNext}>
          {t('common.nextPage')}
          <RightOutlined />
        </Button>
      </Space.Compact>
    </Flex>
  );
}

export type PhoneMode = 'masked' | 'full';

/**
 * 导出 with its formats: `onExport` fetches and saves the file; a refusal (too many rows, say) shows the
 * server's message. With `fullPhones` (HQ admins: the server refuses anyone else), a format opens a dialog
 * choosing masked or full phones, the latter with a notice that the export is audited.
 */
export function ExportButton({
  onExport,
  testId,
  fullPhones = false,
}: {
  onExport(format: 'xlsx' | 'csv', phones: PhoneMode): Promise<void>;
  testId?: string;
  fullPhones?: boolean;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);
  const [asking, setAsking] = useState<'xlsx' | 'csv' | null>(null);
  const [phones, setPhones] = useState<PhoneMode>('masked');
  const run = async (format: 'xlsx' | 'csv', mode: PhoneMode) => {
    setBusy(true);
    try {
      await onExport(format, mode);
      setAsking(null);
    } catch (err) {
      message.error((err as Error).message, 6);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Dropdown
        trigger={['click']}
        disabled={busy}
        menu={{
          items: [
            { key: 'xlsx', label: t('common.exportXlsx') },
            { key: 'csv', label: t('common.exportCsv') },
            { type: 'divider' },
            { key: 'hint', label: t('common.exportHint'), disabled: true },
          ],
          onClick: ({ key }) => {
            const format = key as 'xlsx' | 'csv';
            if (!fullPhones) return void run(format, 'masked');
            setPhones('masked');
            setAsking(format);
          },
        }}
      >
        <Button icon={<DownloadOutlined />} loading={busy} data-testid={testId}>
          {t('common.export')}
        </Button>
      </Dropdown>
      {fullPhones ? (
        <Modal
          open={asking !== null}
          title={asking === 'csv' ? t('common.exportCsv') : t('common.exportXlsx')}
          okText={t('common.exportGo')}
          cancelText={t('common.cancel')}
          confirmLoading={busy}
          onOk={() => asking && run(asking, phones)}
          onCancel={() => setAsking(null)}
          okButtonProps={{ 'data-testid': 'export-go' }}
        >
          <Flex vertical gap={12}>
            <Typography.Text>{t('common.exportPhones')}</Typography.Text>
            <Radio.Group
              value={phones}
              onChange={(e) => setPhones(e.target.value as PhoneMode)}
              data-testid="export-phones"
            >
              <Flex vertical gap={8}>
                <Radio value="masked">{t('common.exportMasked')}</Radio>
                <Radio value="full">{t('common.exportFull')}</Radio>
              </Flex>
            </Radio.Group>
            {phones === 'full' ? (
              <Alert
                type="warning"
                showIcon
                title={t('common.exportFullNotice')}
                data-testid="export-full-notice"
              />
            ) : null}
          </Flex>
        </Modal>
      ) : null}
    </>
  );
}
