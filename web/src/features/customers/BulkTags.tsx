import { Alert, App, Flex, Modal, Progress, Radio, Select, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { isAbort } from '../../shared/api/client';
import { useAsync } from '../../shared/hooks';
import { tagsApi } from '../tags/api';
import { type CustomerFilter, customersApi, type TagJob } from './api';

const POLL_MS = 1000;

function TagsSelect(props: {
  value: number[];
  onChange(v: number[]): void;
  placeholder: string;
  testId: string;
}) {
  const { t } = useTranslation();
  const tags = useAsync((signal) => tagsApi.tags(signal), 'tags');
  const options = useMemo(
    () =>
      (tags.data?.groups ?? []).map((g) => ({
        label: g.name,
        title: g.name,
        options: g.tags.map((tag) => ({ value: tag.id, label: tag.name, group: g.name })),
      })),
    [tags.data],
  );
  return (
    <Select<number[]>
      mode="multiple"
      allowClear
      showSearch={{ optionFilterProp: ['label', 'group'] }}
      loading={tags.loading}
      placeholder={tags.error ? tags.error.message : props.placeholder}
      notFoundContent={tags.loading ? t('common.loading') : undefined}
      value={props.value}
      onChange={props.onChange}
      options={options}
      style={{ width: '100%' }}
      data-testid={props.testId}
    />
  );
}

/**
 * 批量打标签: tags added to and removed from the selected customers, or every customer of the list's
 * filters; a large set runs on the server as a job whose progress is shown until it ends.
 */
export function BulkTagsModal(props: {
  open: boolean;
  selectedIds: number[];
  filter: CustomerFilter;
  /** The filtered list's total, when known. */
  total: number | undefined;
  onClose(): void;
  /** Tags changed: the list reloads, the selection clears. */
  onDone(): void;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [target, setTarget] = useState<'selected' | 'filter'>('selected');
  const [add, setAdd] = useState<number[]>([]);
  const [remove, setRemove] = useState<number[]>([]);
  const [job, setJob] = useState<TagJob | null>(null);
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!props.open) return;
    setTarget(props.selectedIds.length ? 'selected' : 'filter');
    setAdd([]);
    setRemove([]);
    setJob(null);
    setError(null);
  }, [props.open, props.selectedIds.length]);

  const finished = (j: TagJob) => {
    if (j.status === 'failed') {
      setError(j.error ?? t('bulkTags.failed'));
      return;
    }
    message.success(t('bulkTags.done', { changed: j.changed, total: j.total }));
    props.onDone();
    props.onClose();
  };

  // a running job: its progress once a second until it ends
  const running = job?.status === 'running' ? job.id : null;
  // biome-ignore lint/correctness/useExhaustiveDependencies: polls per running job id.
  useEffect(() => {
    if (running === null) return;
    const ctrl = new AbortController();
    let timer = 0;
    const poll = () => {
      customersApi.tagJob(running, ctrl.signal).then(
        (j) => {
          setJob(j);
          if (j.status === 'running') timer = window.setTimeout(poll, POLL_MS);
          else finished(j);
        },
        (err: unknown) => {
          if (!isAbort(err)) setError((err as Error).message);
        },
      );
    };
    timer = window.setTimeout(poll, POLL_MS);
    return () => {
      window.clearTimeout(timer);
      ctrl.abort();
    };
  }, [running]);

  const submit = async () => {
    if (add.length + remove.length === 0) {
      setError(t('bulkTags.nothing'));
      return;
    }
    setSending(true);
    setError(null);
    try {
      const j = await customersApi.startTagJob({
        ...(target === 'selected' ? { customerIds: props.selectedIds } : { filter: props.filter }),
        add,
        remove,
      });
      setJob(j);
      if (j.status !== 'running') finished(j);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setSending(false);
    }
  };

  const busy = sending || job?.status === 'running';
  return (
    <Modal
      open={props.open}
      title={t('bulkTags.title')}
      okText={t('bulkTags.apply')}
      cancelText={t('bulkTags.close')}
      onOk={submit}
      onCancel={props.onClose}
      okButtonProps={{ loading: busy, 'data-testid': 'bulk-tags-apply' } as never}
      destroyOnHidden
    >
      <Flex vertical gap={16}>
        <Radio.Group value={target} onChange={(e) => setTarget(e.target.value)} disabled={busy}>
          <Flex vertical gap={8}>
            <Radio value="selected" disabled={props.selectedIds.length === 0}>
              {t('bulkTags.selected', { count: props.selectedIds.length })}
            </Radio>
            <Radio value="filter" data-testid="bulk-tags-filter">
              {props.total === undefined
                ? t('bulkTags.filterUnknown')
                : t('bulkTags.filter', { count: props.total })}
            </Radio>
          </Flex>
        </Radio.Group>
        <div>
          <Typography.Text strong>{t('bulkTags.add')}</Typography.Text>
          <TagsSelect value={add} onChange={setAdd} placeholder={t('bulkTags.pick')} testId="bulk-tags-add" />
        </div>
        <div>
          <Typography.Text strong>{t('bulkTags.remove')}</Typography.Text>
          <TagsSelect
            value={remove}
            onChange={setRemove}
            placeholder={t('bulkTags.pick')}
            testId="bulk-tags-remove"
          />
        </div>
        <Typography.Text type="secondary">{t('bulkTags.hint')}</Typography.Text>
        {job?.status === 'running' ? (
          <div data-testid="bulk-tags-progress">
            <Typography.Text>{t('bulkTags.progress', { done: job.done, total: job.total })}</Typography.Text>
            <Progress percent={job.total ? Math.floor((job.done / job.total) * 100) : 0} />
          </div>
        ) : null}
        {error ? <Alert type="error" showIcon title={error} /> : null}
      </Flex>
    </Modal>
  );
}
