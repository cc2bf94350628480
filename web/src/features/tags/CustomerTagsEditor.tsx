import { EditOutlined } from '@ant-design/icons';
import { Alert, App, Button, Modal, Select, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../shared/api/client';
import { useAsync } from '../../shared/hooks';
import type { CustomerDetail } from '../customers/api';
import { tagsApi } from './api';

/**
 * Puts tags on and takes tags off one customer, among the tags of the caller's view; WeCom gets the change
 * on the customer's follow (mark_tag), and the timeline says who made it.
 */
export function CustomerTagsEditor(props: {
  customerId: number;
  current: CustomerDetail['tags'];
  onSaved(): void;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [open, setOpen] = useState(false);
  const [chosen, setChosen] = useState<number[]>([]);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const tags = useAsync(
    (signal) => (open ? tagsApi.tags(signal) : Promise.resolve(null)),
    `customer-tags:${open}`,
  );

  const start = () => {
    setChosen(props.current.map((x) => x.id));
    setError(null);
    setOpen(true);
  };
  const save = async () => {
    const before = new Set(props.current.map((x) => x.id));
    const add = chosen.filter((id) => !before.has(id));
    const remove = [...before].filter((id) => !chosen.includes(id));
    if (add.length + remove.length === 0) {
      setOpen(false);
      return;
    }
    setSaving(true);
    setError(null);
    try {
      await tagsApi.editCustomerTags(props.customerId, { add, remove });
      message.success(t('tags.saved'));
      setOpen(false);
      props.onSaved();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setSaving(false);
    }
  };

  return (
    <>
      <Button
        size="small"
        type="link"
        icon={<EditOutlined />}
        onClick={start}
        data-testid="edit-customer-tags"
      >
        {t('tags.edit')}
      </Button>
      <Modal
        open={open}
        title={t('tags.editCustomerTags')}
        onCancel={() => setOpen(false)}
        onOk={save}
        confirmLoading={saving}
        destroyOnHidden
      >
        {error ? <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} /> : null}
        <Typography.Paragraph type="secondary">{t('tags.editCustomerTagsHint')}</Typography.Paragraph>
        <Select
          mode="multiple"
          style={{ width: '100%' }}
          value={chosen}
          onChange={setChosen}
          loading={!tags.data}
          optionFilterProp="label"
          options={(tags.data?.groups ?? []).map((g) => ({
            label: g.name,
            options: g.tags.map((x) => ({ value: x.id, label: x.name })),
          }))}
          data-testid="customer-tags-select"
        />
      </Modal>
    </>
  );
}
