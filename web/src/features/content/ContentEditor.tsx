import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { App, Button, Checkbox, Drawer, Flex, Form, Input, Select, Space, Tag, Typography } from 'antd';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useLang } from '../../i18n';
import { isAbort } from '../../shared/api/client';
import { useAsync } from '../../shared/hooks';
import {
  type Attachment,
  type ContentInput,
  type ContentItem,
  contentApi,
  KINDS,
  PERSONAS,
  type Rendered,
  SCENES,
  STAGES,
} from './api';
import { fileNameOf, WechatPreview } from './WechatPreview';

type AttachmentType = Attachment['type'];
const ATTACHMENT_TYPES: AttachmentType[] = ['image', 'link', 'miniprogram', 'video', 'file'];

interface Values {
  title: string;
  key?: string;
  kind: ContentInput['kind'];
  script: boolean;
  text: string;
  attachments: (Partial<Attachment> & { type: AttachmentType })[];
  personas: string[];
  stages: string[];
  products: string[];
  scenes: string[];
}

const toValues = (item?: ContentItem): Values =>
  item
    ? {
        title: item.title,
        key: item.key ?? undefined,
        kind: item.kind,
        script: item.script,
        text: item.text,
        attachments: item.attachments,
        personas: item.personas,
        stages: item.stages,
        products: item.products,
        scenes: item.scenes,
      }
    : {
        title: '',
        kind: 'trust',
        script: false,
        text: '',
        attachments: [],
        personas: [],
        stages: [],
        products: [],
        scenes: [],
      };

/** Drops empty optional fields so the server sees what a person typed, nothing else. */
function toInput(v: Values): ContentInput {
  const clean = (a: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(a).filter(([, x]) => x !== undefined && x !== '')) as Attachment;
  return {
    title: v.title ?? '',
    key: v.key?.trim() ? v.key.trim() : null,
    kind: v.kind,
    script: Boolean(v.script),
    text: v.text ?? '',
    attachments: (v.attachments ?? []).map((a) => clean(a)),
    personas: (v.personas ?? []) as ContentInput['personas'],
    stages: (v.stages ?? []) as ContentInput['stages'],
    products: v.products ?? [],
    scenes: (v.scenes ?? []) as ContentInput['scenes'],
  };
}

/** The server's render of the form, 300 ms after the last change; a 400 shows as the reason. */
function usePreview(values: Values | undefined) {
  const [state, setState] = useState<{ rendered?: Rendered; error: string | null }>({ error: null });
  const key = JSON.stringify(values ?? null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` is the values, serialised.
  useEffect(() => {
    if (!values) return;
    const ctrl = new AbortController();
    const timer = setTimeout(() => {
      contentApi.preview(toInput(values), ctrl.signal).then(
        (rendered) => setState({ rendered, error: null }),
        (err: unknown) => {
          if (!isAbort(err)) setState((s) => ({ rendered: s.rendered, error: (err as Error).message }));
        },
      );
    }, 300);
    return () => {
      clearTimeout(timer);
      ctrl.abort();
    };
  }, [key]);
  return state;
}

function AttachmentFields({
  name,
  type,
  disabled,
}: {
  name: number;
  type: AttachmentType;
  disabled: boolean;
}) {
  const { t } = useTranslation();
  const field = (f: string, label: string, required = true) => (
    <Form.Item
      name={[name, f]}
      label={label}
      rules={required ? [{ required: true }] : []}
      style={{ marginBottom: 8 }}
    >
      <Input disabled={disabled} />
    </Form.Item>
  );
  switch (type) {
    case 'image':
      return field('picUrl', t('content.picUrl'));
    case 'link':
      return (
        <>
          {field('title', t('content.linkTitle'))}
          {field('url', t('content.url'))}
          {field('desc', t('content.desc'), false)}
          {field('picUrl', t('content.picUrl'), false)}
        </>
      );
    case 'miniprogram':
      return (
        <>
          {field('title', t('content.linkTitle'))}
          {field('appid', t('content.appid'))}
          {field('page', t('content.page'))}
          {field('picUrl', t('content.cover'))}
        </>
      );
    case 'video':
      return (
        <>
          {field('name', t('content.fileName'), false)}
          {field('url', t('content.videoUrl'))}
        </>
      );
    default:
      return (
        <>
          {field('name', t('content.fileName'))}
          {field('url', t('content.fileUrl'))}
        </>
      );
  }
}

/** Create, edit or (read-only) view an item, with the WeChat preview of what a customer receives. */
export function ContentEditor(props: {
  open: boolean;
  item?: ContentItem;
  onClose(): void;
  onSaved(): void;
}) {
  const { t } = useTranslation();
  const lang = useLang();
  const { message, modal } = App.useApp();
  const [form] = Form.useForm<Values>();
  const readOnly = Boolean(props.item && !props.item.editable);
  const [saving, setSaving] = useState(false);
  const values = Form.useWatch([], form) as Values | undefined;
  const preview = usePreview(props.open ? values : undefined);
  const vars = useAsync((signal) => contentApi.variables(signal), 'content-variables');
  const textRef = useRef<{ resizableTextArea?: { textArea: HTMLTextAreaElement } } | null>(null);

  useEffect(() => {
    if (props.open) form.setFieldsValue(toValues(props.item));
  }, [props.open, props.item, form]);

  const insert = (name: string) => {
    const el = textRef.current?.resizableTextArea?.textArea;
    const text: string = form.getFieldValue('text') ?? '';
    const at = el ? el.selectionStart : text.length;
    const token = `{{${name}}}`;
    form.setFieldValue('text', text.slice(0, at) + token + text.slice(el ? el.selectionEnd : at));
  };

  const save = async () => {
    let v: Values;
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    setSaving(true);
    try {
      const input = toInput(v);
      const saved = props.item
        ? await contentApi.update(props.item.id, input)
        : await contentApi.create(input);
      message.success(t('content.saved', { title: saved.title }));
      props.onSaved();
    } catch (err) {
      message.error((err as Error).message);
    } finally {
      setSaving(false);
    }
  };

  const remove = () => {
    const item = props.item;
    if (!item) return;
    modal.confirm({
      title: t('content.deleteConfirm', { title: item.title }),
      okButtonProps: { danger: true },
      onOk: async () => {
        try {
          await contentApi.remove(item.id);
          message.success(t('content.deleted', { title: item.title }));
          props.onSaved();
        } catch (err) {
          message.error((err as Error).message);
        }
      },
    });
  };

  const sampleName = useMemo(
    () => vars.data?.items.find((v) => v.name === 'customer_name')?.sample ?? '',
    [vars.data],
  );
  const sender = vars.data?.items.find((v) => v.name === 'staff_name')?.sample ?? '';
  const options = <T extends string>(list: readonly T[], prefix: string) =>
    list.map((v) => ({ value: v, label: t(`${prefix}.${v}` as never) as string }));

  return (
    <Drawer
      open={props.open}
      onClose={props.onClose}
      width="min(1000px, 100vw)"
      destroyOnHidden
      title={
        props.item ? (readOnly ? t('content.viewTitle') : t('content.editTitle')) : t('content.newTitle')
      }
      extra={
        readOnly ? null : (
          <Space>
            {props.item ? (
              <Button danger icon={<DeleteOutlined />} onClick={remove} data-testid="content-delete">
                {t('content.delete')}
              </Button>
            ) : null}
            <Button type="primary" loading={saving} onClick={save} data-testid="content-save">
              {t('content.save')}
            </Button>
          </Space>
        )
      }
    >
      <div className="content-editor">
        <Form<Values> form={form} layout="vertical" disabled={readOnly} className="content-form">
          <Form.Item name="title" label={t('content.fieldTitle')} rules={[{ required: true, max: 60 }]}>
            <Input data-testid="content-title" />
          </Form.Item>
          <Flex gap={12} wrap>
            <Form.Item name="kind" label={t('content.kindLabel')} style={{ minWidth: 160 }}>
              <Select options={options(KINDS, 'content.kind')} data-testid="content-kind" />
            </Form.Item>
            <Form.Item
              name="key"
              label={t('content.fieldKey')}
              tooltip={t('content.fieldKeyHelp')}
              style={{ flex: 1, minWidth: 180 }}
            >
              <Input placeholder="welcome.day0" />
            </Form.Item>
          </Flex>
          <Form.Item name="script" valuePropName="checked">
            <Checkbox>{t('content.fieldScript')}</Checkbox>
          </Form.Item>
          <Form.Item name="text" label={t('content.fieldText')} extra={t('content.fieldTextHelp')}>
            <Input.TextArea
              ref={textRef as never}
              autoSize={{ minRows: 4, maxRows: 12 }}
              data-testid="content-text"
            />
          </Form.Item>
          {readOnly ? null : (
            <Flex gap={6} wrap style={{ marginTop: -8, marginBottom: 16 }}>
              <Typography.Text type="secondary">{t('content.insertVariable')}:</Typography.Text>
              {(vars.data?.items ?? []).map((v) => (
                <Tag.CheckableTag
                  key={v.name}
                  checked={false}
                  onChange={() => insert(v.name)}
                  data-testid="content-var"
                >
                  {v.label[lang]}
                </Tag.CheckableTag>
              ))}
            </Flex>
          )}
          <Form.Item label={t('content.attachments')}>
            <Form.List name="attachments">
              {(fields, { add, remove: drop }) => (
                <Flex vertical gap={8}>
                  {fields.map((f) => {
                    const type = form.getFieldValue(['attachments', f.name, 'type']) as AttachmentType;
                    return (
                      <div key={f.key} className="content-attachment">
                        <Flex justify="space-between" align="center" style={{ marginBottom: 8 }}>
                          <Tag>{t(`content.attachmentType.${type}`)}</Tag>
                          {readOnly ? null : (
                            <Button size="small" type="text" onClick={() => drop(f.name)}>
                              {t('content.remove')}
                            </Button>
                          )}
                        </Flex>
                        <AttachmentFields name={f.name} type={type} disabled={readOnly} />
                      </div>
                    );
                  })}
                  {readOnly || fields.length >= 9 ? null : (
                    <Select<AttachmentType>
                      placeholder={
                        <span>
                          <PlusOutlined /> {t('content.addAttachment')}
                        </span>
                      }
                      value={null as never}
                      options={ATTACHMENT_TYPES.map((v) => ({
                        value: v,
                        label: t(`content.attachmentType.${v}`),
                      }))}
                      onChange={(type) => add({ type })}
                      style={{ maxWidth: 240 }}
                      data-testid="content-add-attachment"
                    />
                  )}
                </Flex>
              )}
            </Form.List>
          </Form.Item>
          <Form.Item name="scenes" label={t('content.sceneLabel')}>
            <Select mode="multiple" options={options(SCENES, 'content.scene')} />
          </Form.Item>
          <Form.Item name="stages" label={t('content.stageLabel')}>
            <Select mode="multiple" options={options(STAGES, 'content.stage')} />
          </Form.Item>
          <Form.Item name="personas" label={t('content.personaLabel')}>
            <Select mode="multiple" options={options(PERSONAS, 'content.persona')} />
          </Form.Item>
          <Form.Item name="products" label={t('content.products')} extra={t('content.productsHelp')}>
            <Select mode="tags" open={false} />
          </Form.Item>
        </Form>
        <div className="content-preview-pane">
          <Typography.Text strong>{t('content.previewCustomer', { name: sampleName })}</Typography.Text>
          <WechatPreview rendered={preview.rendered} error={preview.error} sender={sender} />
          {preview.rendered?.media.length ? (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('content.uploadNote', {
                names: preview.rendered.media.map((m) => m.name ?? fileNameOf(m.url) ?? m.field).join(', '),
              })}
            </Typography.Text>
          ) : null}
        </div>
      </div>
    </Drawer>
  );
}
