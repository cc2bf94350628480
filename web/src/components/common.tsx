import {
  ArrowLeftOutlined,
  DeleteOutlined,
  LeftOutlined,
  ReloadOutlined,
  RightOutlined,
  SaveOutlined,
} from '@ant-design/icons';
import { Alert, Button, Flex, Popconfirm, Space, Tag, Typography } from 'antd';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, type FollowStatus, type StaffStatus, type UnitKind } from '../api';

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

const KIND_COLOR: Record<UnitKind, string> = {
  hq: 'magenta',
  region: 'geekblue',
  area: 'cyan',
  store: 'green',
  team: 'gold',
};

export function UnitKindTag({ kind }: { kind: UnitKind }) {
  const { t } = useTranslation();
  return (
    <Tag color={KIND_COLOR[kind]} className="kind-tag">
      {t(`unitKind.${kind}`)}
    </Tag>
  );
}

const STAFF_STATUS_COLOR: Record<StaffStatus, string> = {
  active: 'success',
  disabled: 'warning',
  departed: 'default',
};

export function StaffStatusTag({ status }: { status: StaffStatus }) {
  const { t } = useTranslation();
  return <Tag color={STAFF_STATUS_COLOR[status]}>{t(`staffStatus.${status}`)}</Tag>;
}

const FOLLOW_STATUS_COLOR: Record<FollowStatus, string> = {
  active: 'success',
  deleted_by_customer: 'error',
  deleted_by_staff: 'warning',
};

export function FollowStatusTag({ status }: { status: FollowStatus }) {
  const { t } = useTranslation();
  return <Tag color={FOLLOW_STATUS_COLOR[status]}>{t(`followStatus.${status}`)}</Tag>;
}

/**
 * An editor page's header actions: back to the list, delete (confirmed) once saved, save. `strings` is the
 * page's i18n prefix holding back, delete, cancel, save and confirmDelete ({{name}}).
 */
export function EditorActions(props: {
  strings: 'layers' | 'segments';
  backTo: string;
  onBack: (path: string) => void;
  /** The saved item's name: delete is offered only for a saved item. */
  savedName: string | null;
  canSave: boolean;
  saving: boolean;
  onSave: () => void;
  onDelete: () => void;
  saveTestId: string;
}) {
  const { t } = useTranslation();
  const k = (key: 'back' | 'delete' | 'cancel' | 'save' | 'confirmDelete') =>
    `${props.strings}.${key}` as const;
  return (
    <Space>
      <Button icon={<ArrowLeftOutlined />} onClick={() => props.onBack(props.backTo)}>
        {t(k('back'))}
      </Button>
      {props.savedName !== null && props.canSave ? (
        <Popconfirm
          title={t(k('confirmDelete'), { name: props.savedName })}
          okText={t(k('delete'))}
          cancelText={t(k('cancel'))}
          okButtonProps={{ danger: true }}
          onConfirm={props.onDelete}
        >
          <Button danger icon={<DeleteOutlined />}>
            {t(k('delete'))}
          </Button>
        </Popconfirm>
      ) : null}
      {props.canSave ? (
        <Button
          type="primary"
          icon={<SaveOutlined />}
          loading={props.saving}
          onClick={props.onSave}
          data-testid={props.saveTestId}
        >
          {t(k('save'))}
        </Button>
      ) : null}
    </Space>
  );
}
