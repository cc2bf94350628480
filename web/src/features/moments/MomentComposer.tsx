import { PlusOutlined } from '@ant-design/icons';
import {
  App,
  Button,
  DatePicker,
  Drawer,
  Form,
  Image,
  Input,
  Segmented,
  Select,
  Space,
  Typography,
  Upload,
} from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useAsync } from '../../shared/hooks';
import { PERSONAS } from '../content/api';
import { UnitTreeSelect } from '../org/UnitTreeSelect';
import { tagsApi } from '../tags/api';
import {
  AXES,
  type Axis,
  KINDS,
  type MomentInput,
  type MomentKind,
  type MomentPost,
  momentsApi,
} from './api';

type Persona = (typeof PERSONAS)[number];

interface Values {
  unitId?: number;
  axis: Axis;
  title: string;
  body?: string;
  kind: MomentKind;
  linkTitle?: string;
  linkUrl?: string;
  senderStaffIds: number[];
  tagIds?: number[];
  plannedAt: Dayjs;
}

interface Media {
  id: number;
  kind: 'image' | 'video';
  name: string;
}

/**
 * The composer (a drawer, full width on a phone): axis, text and up to 9 images / 1 video / 1 link, the
 * members who post (filtered by persona), the tags of the customers who see it, and the planned time.
 */
export function MomentComposer(props: {
  open: boolean;
  post?: MomentPost | null;
  /** The day clicked in the calendar: the default planned time is 20:00 that day. */
  day?: Dayjs | null;
  onClose(): void;
  onSaved(id: number): void;
}) {
  const { t } = useTranslation();
  const { message, modal } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [persona, setPersona] = useState<Persona | undefined>(undefined);
  const [media, setMedia] = useState<Media[]>(
    () =>
      props.post?.mediaIds.map((id) => ({
        id,
        kind: props.post?.kind === 'video' ? ('video' as const) : ('image' as const),
        name: String(id),
      })) ?? [],
  );
  const [saving, setSaving] = useState(false);
  const kind = Form.useWatch('kind', form) ?? props.post?.kind ?? 'images';
  const unitId: number | undefined = Form.useWatch('unitId', form) ?? props.post?.unitId;
  // the members to choose from: the unit's and its subtree's (the server checks the same)
  const senders = useAsync(
    (signal) =>
      momentsApi.senders({ ...(persona ? { persona } : {}), ...(unitId ? { unitId } : {}) }, signal),
    `senders:${persona ?? ''}:${unitId ?? ''}`,
  );
  const tags = useAsync((signal) => tagsApi.tags(signal), 'tags');
  const tagOptions = useMemo(
    () =>
      (tags.data?.groups ?? []).map((g) => ({
        label: g.name,
        options: g.tags
          .filter((tag) => tag.sync === 'synced')
          .map((tag) => ({ value: tag.id, label: tag.name })),
      })),
    [tags.data],
  );
  const senderOptions = (senders.data?.items ?? []).map((s) => ({
    value: s.id,
    label: `${s.personaName || s.name} · ${t(`persona.${s.persona}` as never)} · ${s.unitName}`,
  }));

  const initial: Values = props.post
    ? {
        unitId: props.post.unitId,
        axis: props.post.axis,
        title: props.post.title,
        body: props.post.body,
        kind: props.post.kind,
        linkTitle: props.post.linkTitle ?? undefined,
        linkUrl: props.post.linkUrl ?? undefined,
        senderStaffIds: props.post.senderStaffIds,
        tagIds: props.post.tagIds,
        plannedAt: dayjs(props.post.plannedAt),
      }
    : {
        axis: 'product',
        title: '',
        kind: 'images',
        senderStaffIds: [],
        tagIds: [],
        plannedAt: (props.day?.isAfter(dayjs(), 'day') ? props.day : dayjs().add(1, 'day'))
          .hour(20)
          .minute(0)
          .second(0),
      };

  const wanted: 'image' | 'video' | null = kind === 'video' ? 'video' : kind === 'text' ? null : 'image';
  const maxMedia = kind === 'images' ? 9 : 1;
  const shown = media.filter((m) => m.kind === wanted);

  async function upload(file: File) {
    try {
      const saved = await momentsApi.upload(file);
      setMedia((list) => [...list, { id: saved.id, kind: saved.kind, name: saved.fileName }]);
    } catch (err) {
      message.error(`${t('moments.composer.uploadFailed')}: ${(err as Error).message}`);
    }
  }

  async function save() {
    const values = await form.validateFields();
    const input: MomentInput = {
      ...(values.unitId && !props.post ? { unitId: values.unitId } : {}),
      axis: values.axis,
      title: values.title,
      body: values.body ?? '',
      kind: values.kind,
      mediaIds: shown.slice(0, maxMedia).map((m) => m.id),
      linkTitle: values.kind === 'link' ? (values.linkTitle ?? null) : null,
      linkUrl: values.kind === 'link' ? (values.linkUrl ?? null) : null,
      senderStaffIds: values.senderStaffIds,
      tagIds: values.tagIds ?? [],
      plannedAt: values.plannedAt.toISOString(),
    };
    setSaving(true);
    try {
      const saved = props.post
        ? await momentsApi.update(props.post.id, input)
        : await momentsApi.create(input);
      if (saved.scheduleNote?.kind === 'spread')
        message.warning(
          t('moments.note.spread', {
            from: dayjs(saved.scheduleNote.from).format('YYYY-MM-DD HH:mm'),
            at: dayjs(saved.plannedAt).format('YYYY-MM-DD HH:mm'),
          }),
          8,
        );
      else message.success(t('moments.composer.saved'));
      props.onSaved(saved.id);
    } catch (err) {
      message.error((err as Error).message);
    } finally {
      setSaving(false);
    }
  }

  function cancelPost() {
    const post = props.post;
    if (!post) return;
    modal.confirm({
      title: t('moments.composer.cancelPost'),
      onOk: async () => {
        await momentsApi.cancel(post.id);
        message.success(t('moments.composer.cancelled'));
        props.onSaved(post.id);
      },
    });
  }

  return (
    <Drawer
      open={props.open}
      onClose={props.onClose}
      width="min(640px, 100vw)"
      destroyOnHidden
      title={props.post ? t('moments.composer.editTitle') : t('moments.composer.newTitle')}
      extra={
        <Space>
          {props.post ? (
            <Button danger onClick={cancelPost} data-testid="moment-cancel">
              {t('moments.composer.cancelPost')}
            </Button>
          ) : null}
          <Button type="primary" loading={saving} onClick={save} data-testid="moment-save">
            {t('moments.composer.save')}
          </Button>
        </Space>
      }
    >
      <Form<Values> form={form} layout="vertical" initialValues={initial}>
        <Form.Item
          name="unitId"
          label={t('moments.composer.unit')}
          extra={props.post ? t('moments.composer.unitFixed') : t('moments.composer.unitHint')}
        >
          <UnitTreeSelect
            value={unitId}
            onChange={(v) => {
              // the members chosen may be outside the new unit: chosen again from its list
              form.setFieldsValue({ unitId: v, senderStaffIds: [] });
            }}
            placeholder={t('moments.composer.ownUnit')}
            style={{ width: '100%' }}
            disabled={Boolean(props.post)}
            data-testid="moment-unit"
          />
        </Form.Item>
        <Form.Item name="axis" label={t('moments.composer.axis')}>
          <Segmented block options={AXES.map((a) => ({ value: a, label: t(`moments.axis.${a}`) }))} />
        </Form.Item>
        <Form.Item name="title" label={t('moments.composer.title')} rules={[{ required: true, max: 60 }]}>
          <Input data-testid="moment-title" />
        </Form.Item>
        <Form.Item name="body" label={t('moments.composer.body')} extra={t('moments.composer.bodyHint')}>
          <Input.TextArea rows={4} maxLength={2000} showCount data-testid="moment-body" />
        </Form.Item>
        <Form.Item name="kind" label={t('moments.composer.kind')}>
          <Segmented block options={KINDS.map((k) => ({ value: k, label: t(`moments.kind.${k}`) }))} />
        </Form.Item>
        {wanted ? (
          <Form.Item
            label={
              kind === 'images'
                ? t('moments.composer.images')
                : kind === 'video'
                  ? t('moments.composer.video')
                  : t('moments.composer.cover')
            }
          >
            <Space wrap>
              {shown.map((m) =>
                m.kind === 'image' ? (
                  <Image
                    key={m.id}
                    src={momentsApi.mediaUrl(m.id)}
                    width={72}
                    height={72}
                    style={{ objectFit: 'cover' }}
                  />
                ) : (
                  <Typography.Text key={m.id}>{m.name}</Typography.Text>
                ),
              )}
              {shown.length < maxMedia ? (
                <Upload
                  accept={wanted === 'video' ? 'video/mp4' : 'image/jpeg,image/png'}
                  showUploadList={false}
                  multiple={kind === 'images'}
                  beforeUpload={(file) => {
                    void upload(file);
                    return false;
                  }}
                >
                  <Button icon={<PlusOutlined />} data-testid="moment-upload">
                    {t('moments.composer.upload')}
                  </Button>
                </Upload>
              ) : null}
            </Space>
          </Form.Item>
        ) : null}
        {kind === 'link' ? (
          <>
            <Form.Item name="linkTitle" label={t('moments.composer.linkTitle')} rules={[{ required: true }]}>
              <Input maxLength={64} />
            </Form.Item>
            <Form.Item
              name="linkUrl"
              label={t('moments.composer.linkUrl')}
              rules={[{ required: true, type: 'url' }]}
            >
              <Input placeholder="https://" />
            </Form.Item>
          </>
        ) : null}
        <Form.Item label={t('moments.composer.persona')}>
          <Select<Persona | undefined>
            allowClear
            value={persona}
            onChange={setPersona}
            placeholder={t('moments.composer.allPersonas')}
            options={PERSONAS.map((p) => ({ value: p, label: t(`persona.${p}` as never) as string }))}
            data-testid="moment-persona"
          />
        </Form.Item>
        <Form.Item
          name="senderStaffIds"
          label={t('moments.composer.senders')}
          rules={[{ required: true, type: 'array', min: 1 }]}
          extra={
            <Button
              type="link"
              size="small"
              style={{ padding: 0 }}
              onClick={() => {
                const current = form.getFieldValue('senderStaffIds') as number[];
                form.setFieldValue('senderStaffIds', [
                  ...new Set([...(current ?? []), ...senderOptions.map((o) => o.value)]),
                ]);
              }}
              data-testid="moment-select-all"
            >
              {t('moments.composer.selectAll')}
            </Button>
          }
        >
          <Select
            mode="multiple"
            options={senderOptions}
            optionFilterProp="label"
            data-testid="moment-senders"
          />
        </Form.Item>
        <Form.Item name="tagIds" label={t('moments.composer.tags')}>
          <Select mode="multiple" options={tagOptions} optionFilterProp="label" />
        </Form.Item>
        <Form.Item name="plannedAt" label={t('moments.composer.plannedAt')} rules={[{ required: true }]}>
          <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" style={{ width: '100%' }} />
        </Form.Item>
      </Form>
    </Drawer>
  );
}
