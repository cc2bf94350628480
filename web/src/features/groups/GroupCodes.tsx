import { PlusOutlined, PrinterOutlined } from '@ant-design/icons';
import {
  App,
  Button,
  Card,
  Empty,
  Flex,
  Form,
  Image,
  Input,
  InputNumber,
  Modal,
  Select,
  Space,
  Switch,
  Tag,
  Typography,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { ApiError } from '../../shared/api/client';
import { ErrorAlert } from '../../shared/components';
import { useAsync } from '../../shared/hooks';
import { useMe } from '../accounts/auth';
import { mayCreate } from '../accounts/permissions';
import { UnitTreeSelect } from '../org/UnitTreeSelect';
import { type GroupCode, groupsApi } from './api';

interface Values {
  unitId: number;
  name: string;
  groupIds: number[];
  roomBaseName: string;
  roomBaseId: number;
  autoCreate: boolean;
  welcomeText: string;
}

function CreateCode({ onCreated }: { onCreated(): void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [open, setOpen] = useState(false);
  const [saving, setSaving] = useState(false);
  const [form] = Form.useForm<Values>();
  const unitId = Form.useWatch('unitId', form);
  const groups = useAsync(
    (signal) => (open ? groupsApi.list({ unitId, limit: 200 }, signal) : Promise.resolve(null)),
    `code-groups:${open}:${unitId}`,
  );
  const submit = async () => {
    const v = await form.validateFields();
    setSaving(true);
    try {
      await groupsApi.createCode(v);
      message.success(t('groups.codes.created'));
      setOpen(false);
      form.resetFields();
      onCreated();
    } catch (err) {
      message.error(err instanceof ApiError ? err.message : String(err));
    } finally {
      setSaving(false);
    }
  };
  return (
    <>
      <Button
        type="primary"
        icon={<PlusOutlined />}
        onClick={() => setOpen(true)}
        data-testid="create-group-code"
      >
        {t('groups.codes.create')}
      </Button>
      <Modal
        open={open}
        title={t('groups.codes.create')}
        onCancel={() => setOpen(false)}
        onOk={submit}
        confirmLoading={saving}
        destroyOnHidden
      >
        <Form
          form={form}
          layout="vertical"
          initialValues={{ roomBaseId: 1, autoCreate: true, welcomeText: '欢迎{客户昵称}加入{群名}～' }}
        >
          <Form.Item name="unitId" label={t('groups.codes.unit')} rules={[{ required: true }]}>
            <UnitTreeSelect value={undefined} onChange={() => {}} placeholder={t('groups.codes.unit')} />
          </Form.Item>
          <Form.Item name="name" label={t('groups.codes.name')} rules={[{ required: true, max: 30 }]}>
            <Input />
          </Form.Item>
          <Form.Item name="groupIds" label={t('groups.codes.groups')} rules={[{ required: true }]}>
            <Select
              mode="multiple"
              maxCount={5}
              loading={groups.loading}
              options={(groups.data?.items ?? []).map((g) => ({
                value: g.id,
                label: `${g.name} (${g.memberCount})`,
              }))}
              optionFilterProp="label"
            />
          </Form.Item>
          <Space wrap>
            <Form.Item name="roomBaseName" label={t('groups.codes.baseName')} rules={[{ max: 40 }]}>
              <Input style={{ width: 200 }} />
            </Form.Item>
            <Form.Item name="roomBaseId" label={t('groups.codes.baseId')}>
              <InputNumber min={1} max={9999} />
            </Form.Item>
            <Form.Item name="autoCreate" label={t('groups.codes.autoCreate')} valuePropName="checked">
              <Switch />
            </Form.Item>
          </Space>
          <Form.Item
            name="welcomeText"
            label={t('groups.codes.welcome')}
            extra={t('groups.codes.welcomeHint')}
          >
            <Input.TextArea rows={3} maxLength={1000} />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}

function printCode(code: GroupCode) {
  const w = window.open('', '_blank');
  if (!w || !code.qrCode) return;
  w.document.title = code.name;
  const root = w.document.createElement('div');
  root.style.cssText = 'text-align:center;font-family:sans-serif;padding:48px';
  const h = w.document.createElement('h1');
  h.textContent = code.name;
  const img = w.document.createElement('img');
  img.src = code.qrCode;
  img.style.width = '320px';
  const p = w.document.createElement('p');
  p.textContent = code.unitName;
  root.append(h, img, p);
  w.document.body.append(root);
  w.setTimeout(() => w.print(), 300);
}

function CodeCard({ code }: { code: GroupCode }) {
  const { t } = useTranslation();
  return (
    <Card
      size="small"
      title={code.name}
      extra={<Typography.Text type="secondary">{code.unitName}</Typography.Text>}
      data-testid="group-code"
      actions={
        code.qrCode
          ? [
              <Button key="print" type="link" icon={<PrinterOutlined />} onClick={() => printCode(code)}>
                {t('groups.codes.print')}
              </Button>,
            ]
          : undefined
      }
    >
      <Flex gap={12} wrap>
        {code.qrCode ? (
          <Image width={96} src={code.qrCode} alt={t('groups.codes.qr')} />
        ) : (
          <Tag>{t('groups.codes.pending')}</Tag>
        )}
        <Flex vertical gap={4} style={{ flex: 1, minWidth: 180 }}>
          {code.groups.map((g) => (
            <Space key={g.id} size={6}>
              <Link to={`/groups/${g.id}`}>{g.name}</Link>
              <Typography.Text type="secondary">{g.memberCount}/200</Typography.Text>
              {g.id === code.currentGroupId ? <Tag color="green">{t('groups.codes.current')}</Tag> : null}
              {g.retired ? <Tag>{t('groups.codes.retired')}</Tag> : null}
            </Space>
          ))}
          <Typography.Text type="secondary">
            {t('groups.codes.joins')} {code.joins} · {t('groups.codes.routed')} {code.routed}
            {code.autoCreate ? ` · ${code.roomBaseName}${code.roomBaseId}…` : ''}
          </Typography.Text>
          {code.welcomeText ? (
            <Typography.Paragraph ellipsis={{ rows: 2 }} style={{ margin: 0 }}>
              {code.welcomeText}{' '}
              {code.welcomeSynced ? <Tag color="blue">{t('groups.codes.welcomeSynced')}</Tag> : null}
            </Typography.Paragraph>
          ) : null}
        </Flex>
      </Flex>
    </Card>
  );
}

/** The group codes of the caller's units, each with its groups in order and where joins go now. */
export function GroupCodes() {
  const { t } = useTranslation();
  const canCreate = mayCreate(useMe());
  const codes = useAsync((signal) => groupsApi.codes(signal), 'group-codes');
  return (
    <Flex vertical gap={12}>
      {canCreate ? (
        <div>
          <CreateCode onCreated={codes.reload} />
        </div>
      ) : null}
      {codes.error ? <ErrorAlert error={codes.error} onRetry={codes.reload} /> : null}
      {codes.data?.items.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('groups.codes.empty')} />
      ) : (
        <div className="task-grid">
          {(codes.data?.items ?? []).map((c) => (
            <CodeCard key={c.id} code={c} />
          ))}
        </div>
      )}
    </Flex>
  );
}
