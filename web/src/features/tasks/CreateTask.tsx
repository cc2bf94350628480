import { PlusOutlined } from '@ant-design/icons';
import { App, Button, Form, Input, Modal, Select } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { TASK_KINDS, type Task, type TaskKind, tasksApi } from './api';

/** A member who may get the task: one who follows the customer now. */
export interface Assignee {
  staffId: number;
  name: string;
}

interface Values {
  staffId: number;
  kind: TaskKind;
  title: string;
  note?: string;
  due: string;
  remind: 'default' | 'none';
}

/** `YYYY-MM-DDTHH:mm` in the browser's time zone, what a datetime-local input holds. */
function localInput(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** 新建待办 from a customer's profile (managers): for one of the members who follow them. */
export function CreateTaskButton({
  customer,
  assignees,
  onCreated,
}: {
  customer: { id: number; name: string };
  assignees: Assignee[];
  onCreated(task: Task): void;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<Values>();

  const start = () => {
    const due = new Date(Date.now() + 24 * 3600_000);
    due.setMinutes(0, 0, 0);
    form.setFieldsValue({
      staffId: assignees[0]?.staffId,
      kind: 'call',
      title: t('tasks.kind.call'),
      note: '',
      due: localInput(due),
      remind: 'default',
    });
    setOpen(true);
  };

  const submit = async () => {
    const v = await form.validateFields();
    setBusy(true);
    try {
      const task = await tasksApi.create({
        staffId: v.staffId,
        customerId: customer.id,
        kind: v.kind,
        title: v.title.trim(),
        note: v.note?.trim() || undefined,
        dueAt: new Date(v.due).toISOString(),
        ...(v.remind === 'none' ? { remindAt: null } : {}),
      });
      message.success(t('tasks.created', { name: task.staffName }));
      setOpen(false);
      onCreated(task);
    } catch (err) {
      message.error((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Button
        size="small"
        icon={<PlusOutlined />}
        onClick={start}
        disabled={assignees.length === 0}
        title={assignees.length === 0 ? t('tasks.noFollower') : undefined}
        data-testid="task-create"
      >
        {t('tasks.create')}
      </Button>
      <Modal
        open={open}
        title={t('tasks.createFor', { name: customer.name })}
        onCancel={() => setOpen(false)}
        onOk={submit}
        confirmLoading={busy}
        destroyOnHidden
      >
        <Form form={form} layout="vertical" data-testid="task-form">
          <Form.Item name="staffId" label={t('tasks.staff')} rules={[{ required: true }]}>
            <Select options={assignees.map((a) => ({ value: a.staffId, label: a.name }))} />
          </Form.Item>
          <Form.Item name="kind" label={t('tasks.kindLabel')} rules={[{ required: true }]}>
            <Select
              options={TASK_KINDS.map((k) => ({ value: k, label: t(`tasks.kind.${k}`) }))}
              onChange={(k: TaskKind) => {
                // the title follows the kind until someone writes one of their own
                const title = form.getFieldValue('title') as string;
                if (!title || TASK_KINDS.some((kind) => t(`tasks.kind.${kind}`) === title))
                  form.setFieldValue('title', t(`tasks.kind.${k}`));
              }}
              data-testid="task-kind"
            />
          </Form.Item>
          <Form.Item
            name="title"
            label={t('tasks.taskTitle')}
            rules={[{ required: true, whitespace: true, message: t('tasks.taskTitleRequired') }]}
          >
            <Input maxLength={100} data-testid="task-title-input" />
          </Form.Item>
          <Form.Item name="note" label={t('tasks.note')}>
            <Input.TextArea rows={2} maxLength={1000} />
          </Form.Item>
          <Form.Item
            name="due"
            label={t('tasks.dueAt')}
            rules={[{ required: true, message: t('tasks.dueRequired') }]}
          >
            <Input type="datetime-local" data-testid="task-due" />
          </Form.Item>
          <Form.Item name="remind" label={t('tasks.remind')}>
            <Select
              options={[
                { value: 'default', label: t('tasks.remindDefault') },
                { value: 'none', label: t('tasks.remindNone') },
              ]}
            />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
