import { BellOutlined, CheckOutlined, CloseOutlined, UserOutlined } from '@ant-design/icons';
import { App, Button, Card, Flex, Input, Modal, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { useLang } from '../../i18n';
import { formatDateTime } from '../../shared/format';
import { type Task, type TaskState, tasksApi } from './api';

export const STATE_COLOR: Record<TaskState, string> = {
  open: 'processing',
  overdue: 'error',
  done_on_time: 'success',
  done_late: 'warning',
  dismissed: 'default',
};

export function TaskStateTag({ state }: { state: TaskState }) {
  const { t } = useTranslation();
  return (
    <Tag color={STATE_COLOR[state]} style={{ marginInlineEnd: 0 }} data-testid="task-state">
      {t(`tasks.state.${state}`)}
    </Tag>
  );
}

/** Done, with an optional note; dismiss, with a reason. Each answers the task as it now is. */
export function TaskActions({ task, onChanged }: { task: Task; onChanged(task: Task): void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [dialog, setDialog] = useState<'complete' | 'dismiss' | null>(null);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  if (!task.canComplete && !task.canDismiss) return null;

  const submit = async () => {
    if (dialog === 'dismiss' && !text.trim()) {
      message.error(t('tasks.dismissReasonRequired'));
      return;
    }
    setBusy(true);
    try {
      const next =
        dialog === 'complete'
          ? await tasksApi.complete(task.id, text.trim() || undefined)
          : await tasksApi.dismiss(task.id, text.trim());
      message.success(dialog === 'complete' ? t('tasks.completed') : t('tasks.dismissed_'));
      setDialog(null);
      setText('');
      onChanged(next);
    } catch (err) {
      message.error((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Flex gap={8} wrap>
        {task.canComplete ? (
          <Button
            type="primary"
            icon={<CheckOutlined />}
            onClick={() => setDialog('complete')}
            data-testid="task-complete"
          >
            {t('tasks.complete')}
          </Button>
        ) : null}
        {task.canDismiss ? (
          <Button icon={<CloseOutlined />} onClick={() => setDialog('dismiss')} data-testid="task-dismiss">
            {t('tasks.dismiss')}
          </Button>
        ) : null}
      </Flex>
      <Modal
        open={dialog !== null}
        title={dialog === 'complete' ? t('tasks.complete') : t('tasks.dismiss')}
        onCancel={() => setDialog(null)}
        onOk={submit}
        confirmLoading={busy}
        destroyOnHidden
      >
        <Typography.Paragraph strong>{task.title}</Typography.Paragraph>
        <Input.TextArea
          autoFocus
          rows={3}
          maxLength={500}
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder={dialog === 'complete' ? t('tasks.completeNote') : t('tasks.dismissReason')}
          data-testid="task-dialog-text"
        />
      </Modal>
    </>
  );
}

/** One task as a card: what, for whom, when, its state and reminder; actions when the caller may act. */
export function TaskCard({
  task,
  onChanged,
  showStaff,
  hideCustomer,
  highlight,
}: {
  task: Task;
  onChanged(task: Task): void;
  showStaff?: boolean;
  /** On the customer's own profile. */
  hideCustomer?: boolean;
  highlight?: boolean;
}) {
  const { t } = useTranslation();
  const lang = useLang();
  return (
    <Card
      size="small"
      className={highlight ? 'task-card task-card-highlight' : 'task-card'}
      data-testid="task-card"
      id={`task-${task.id}`}
    >
      <Flex vertical gap={6}>
        <Flex align="center" gap={8} wrap>
          <Tag color="blue" variant="filled" style={{ marginInlineEnd: 0 }}>
            {t(`tasks.kind.${task.kind}`)}
          </Tag>
          <TaskStateTag state={task.state} />
          {task.source.kind === 'journey' ? (
            <Tag style={{ marginInlineEnd: 0 }}>{t('tasks.fromJourney')}</Tag>
          ) : null}
        </Flex>
        <Typography.Text strong style={{ fontSize: 15 }} data-testid="task-title">
          {task.title}
        </Typography.Text>
        {task.note ? <Typography.Text type="secondary">{task.note}</Typography.Text> : null}
        <Flex gap={12} wrap style={{ fontSize: 13 }}>
          {hideCustomer ? null : task.customerId ? (
            <Link to={`/customers/${task.customerId}`}>
              <UserOutlined /> {task.customerName}
            </Link>
          ) : (
            <Typography.Text type="secondary">{t('tasks.noCustomer')}</Typography.Text>
          )}
          {showStaff ? (
            <Typography.Text type="secondary">
              {t('tasks.staffOf', { name: task.staffName, unit: task.unitName })}
            </Typography.Text>
          ) : null}
        </Flex>
        <Flex gap={12} wrap style={{ fontSize: 13 }}>
          <Typography.Text type={task.state === 'overdue' ? 'danger' : 'secondary'}>
            {t('tasks.due')} {formatDateTime(task.dueAt, lang)}
          </Typography.Text>
          {task.reminder.state === 'none' ? null : (
            <Typography.Text type={task.reminder.state === 'failed' ? 'warning' : 'secondary'}>
              <BellOutlined /> {t(`tasks.reminder.${task.reminder.state}`)}
            </Typography.Text>
          )}
        </Flex>
        {task.closeNote ? <Typography.Text type="secondary">“{task.closeNote}”</Typography.Text> : null}
        <TaskActions task={task} onChanged={onChanged} />
      </Flex>
    </Card>
  );
}
