import {
  Alert,
  Button,
  Checkbox,
  Col,
  Drawer,
  Flex,
  Form,
  Input,
  InputNumber,
  Radio,
  Row,
  Select,
  Space,
  Switch,
  Typography,
} from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../shared/api/client';
import { useAsync } from '../../shared/hooks';
import { UnitTreeSelect } from '../org/UnitTreeSelect';
import { staffApi } from '../staff/api';
import { tagsApi } from '../tags/api';
import { type ChannelDetail, type ChannelInput, type ChannelMethod, channelsApi } from './api';

export const CHANNEL_METHODS: ChannelMethod[] = [
  'table_card',
  'poster',
  'rollup_banner',
  'package_card',
  'sms',
  'ai_call',
  'livestream',
  'mini_program',
  'wangwang',
  'other',
];
const VARIABLES = ['客户昵称', '员工', '诱饵', '渠道', '日期'] as const;
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

interface FormValues {
  name: string;
  scene: string;
  method: ChannelMethod;
  bait: string;
  unitId: number;
  assignMode: ChannelInput['assignMode'];
  poolStrategy: ChannelInput['poolStrategy'];
  dailyCap: number | null;
  skipVerify: boolean;
  remarkTemplate: string;
  welcomeText: string;
  linkTitle: string;
  linkUrl: string;
  staffIds: number[];
  backupIds: number[];
  tagIds: number[];
  hoursOn: boolean;
  hoursDays: number[];
  hoursStart: string;
  hoursEnd: string;
}

function toInput(v: FormValues): ChannelInput {
  const workingHours = v.hoursOn ? { days: v.hoursDays, start: v.hoursStart, end: v.hoursEnd } : null;
  return {
    name: v.name,
    scene: v.scene,
    method: v.method,
    bait: v.bait ?? '',
    unitId: v.unitId,
    assignMode: v.assignMode,
    poolStrategy: v.poolStrategy,
    dailyCap: v.dailyCap ?? null,
    workingHours,
    skipVerify: v.skipVerify,
    remarkTemplate: v.remarkTemplate ?? '',
    welcome: {
      ...(v.welcomeText ? { text: v.welcomeText } : {}),
      ...(v.linkTitle && v.linkUrl ? { link: { title: v.linkTitle, url: v.linkUrl } } : {}),
    },
    staff: [
      ...(v.staffIds ?? []).map((staffId) => ({ staffId, backup: false })),
      ...(v.backupIds ?? [])
        .filter((id) => !(v.staffIds ?? []).includes(id))
        .map((staffId) => ({ staffId, backup: true })),
    ],
    tagIds: v.tagIds ?? [],
  };
}

/** The welcome as the customer sees it in WeChat: the text bubble, then the link card. */
function WelcomePreview({ values, staffName }: { values: Partial<FormValues>; staffName: string }) {
  const { t } = useTranslation();
  const sample: Record<string, string> = {
    客户昵称: '林小满',
    员工: staffName || t('channelEditor.sampleStaff'),
    诱饵: values.bait || t('channelEditor.sampleBait'),
    渠道: values.name || t('channelEditor.sampleChannel'),
    日期: new Date().toISOString().slice(0, 10),
  };
  const text = (values.welcomeText ?? '').replace(
    /\{(客户昵称|员工|诱饵|渠道|日期)\}/g,
    (_, k: string) => sample[k] ?? '',
  );
  return (
    <div className="wechat-preview" data-testid="welcome-preview">
      <div className="wechat-preview-title">{staffName || t('channelEditor.sampleStaff')}</div>
      {text ? (
        <div className="wechat-bubble">{text}</div>
      ) : (
        <Typography.Text type="secondary">{t('channelEditor.noWelcome')}</Typography.Text>
      )}
      {values.linkTitle && values.linkUrl ? (
        <div className="wechat-card">
          <div className="wechat-card-title">{values.linkTitle}</div>
          <div className="wechat-card-url">{values.linkUrl}</div>
        </div>
      ) : null}
    </div>
  );
}

/** Create or edit a channel code; the unit and routing mode are fixed once created. */
export function ChannelEditor(props: {
  open: boolean;
  channel?: ChannelDetail;
  onClose(): void;
  onSaved(channel: ChannelDetail): void;
}) {
  const { t } = useTranslation();
  const [form] = Form.useForm<FormValues>();
  const values = Form.useWatch([], form) as Partial<FormValues> | undefined;
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const editing = props.channel !== undefined;
  const unitId = values?.unitId;
  const staff = useAsync(
    (signal) => staffApi.staff({ unitId, limit: 100 }, signal),
    `channel-editor-staff:${unitId ?? ''}`,
  );
  const tags = useAsync((signal) => tagsApi.tags(signal), 'channel-editor-tags');
  const staffOptions = useMemo(
    () => (staff.data?.items ?? []).map((s) => ({ value: s.id, label: `${s.name} · ${s.unitName}` })),
    [staff.data],
  );
  const firstStaff = staff.data?.items.find((s) => s.id === values?.staffIds?.[0]);

  useEffect(() => {
    if (!props.open) return;
    setError(null);
    const c = props.channel;
    form.setFieldsValue(
      c
        ? {
            name: c.name,
            scene: c.scene,
            method: c.method,
            bait: c.bait,
            unitId: c.unitId,
            assignMode: c.assignMode,
            poolStrategy: c.poolStrategy,
            dailyCap: c.dailyCap,
            skipVerify: c.skipVerify,
            remarkTemplate: c.remarkTemplate,
            welcomeText: c.welcome.text ?? '',
            linkTitle: c.welcome.link?.title ?? '',
            linkUrl: c.welcome.link?.url ?? '',
            staffIds: c.staff.filter((s) => !s.backup).map((s) => s.staffId),
            backupIds: c.staff.filter((s) => s.backup).map((s) => s.staffId),
            tagIds: c.tags.map((tag) => tag.id),
            hoursOn: c.workingHours !== null,
            hoursDays: c.workingHours?.days ?? [1, 2, 3, 4, 5, 6, 7],
            hoursStart: c.workingHours?.start ?? '09:00',
            hoursEnd: c.workingHours?.end ?? '21:00',
          }
        : {
            method: 'table_card',
            assignMode: 'pool',
            poolStrategy: 'round_robin',
            skipVerify: true,
            dailyCap: null,
            welcomeText: t('channelEditor.defaultWelcome'),
            staffIds: [],
            backupIds: [],
            tagIds: [],
            hoursOn: false,
            hoursDays: [1, 2, 3, 4, 5, 6, 7],
            hoursStart: '09:00',
            hoursEnd: '21:00',
          },
    );
  }, [props.open, props.channel, form, t]);

  const insertVariable = (name: string) =>
    form.setFieldValue('welcomeText', `${form.getFieldValue('welcomeText') ?? ''}{${name}}`);

  const save = async () => {
    const v = await form.validateFields();
    setSaving(true);
    setError(null);
    try {
      const input = toInput(v);
      const saved = props.channel
        ? await channelsApi.updateChannel(props.channel.id, input)
        : await channelsApi.createChannel(input);
      props.onSaved(saved);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Drawer
      open={props.open}
      onClose={props.onClose}
      width={Math.min(1080, window.innerWidth)}
      title={editing ? t('channelEditor.editTitle') : t('channelEditor.createTitle')}
      destroyOnHidden
      extra={
        <Space>
          <Button onClick={props.onClose}>{t('channelEditor.cancel')}</Button>
          <Button type="primary" loading={saving} onClick={save} data-testid="channel-save">
            {t('channelEditor.save')}
          </Button>
        </Space>
      }
    >
      <Row gutter={24}>
        <Col xs={24} lg={15}>
          {error ? (
            <Alert
              type="error"
              showIcon
              title={error}
              style={{ marginBottom: 16 }}
              data-testid="channel-error"
            />
          ) : null}
          <Form form={form} layout="vertical" requiredMark="optional">
            <Row gutter={12}>
              <Col span={12}>
                <Form.Item name="name" label={t('channels.name')} rules={[{ required: true, max: 40 }]}>
                  <Input placeholder={t('channelEditor.namePlaceholder')} />
                </Form.Item>
              </Col>
              <Col span={12}>
                <Form.Item
                  name="method"
                  label={t('channels.method')}
                  rules={[
                    {
                      required: true,
                      message: t('channelEditor.selectRequired', { label: t('channels.method') }),
                    },
                  ]}
                >
                  <Select
                    options={CHANNEL_METHODS.map((m) => ({ value: m, label: t(`channelMethod.${m}`) }))}
                  />
                </Form.Item>
              </Col>
              <Col span={12}>
                <Form.Item name="scene" label={t('channels.scene')} rules={[{ required: true, max: 60 }]}>
                  <Input placeholder={t('channelEditor.scenePlaceholder')} />
                </Form.Item>
              </Col>
              <Col span={12}>
                <Form.Item name="bait" label={t('channels.bait')} rules={[{ max: 60 }]}>
                  <Input placeholder={t('channelEditor.baitPlaceholder')} />
                </Form.Item>
              </Col>
              <Col span={12}>
                <Form.Item
                  name="unitId"
                  label={t('channels.unit')}
                  rules={[
                    {
                      required: true,
                      message: t('channelEditor.selectRequired', { label: t('channels.unit') }),
                    },
                  ]}
                >
                  <UnitTreeSelect
                    value={values?.unitId}
                    onChange={(v) => form.setFieldValue('unitId', v)}
                    placeholder={t('channelEditor.unitPlaceholder')}
                  />
                </Form.Item>
              </Col>
              <Col span={12}>
                <Form.Item name="assignMode" label={t('channels.assignMode')}>
                  <Radio.Group
                    disabled={editing}
                    options={(['single', 'pool', 'store'] as const).map((m) => ({
                      value: m,
                      label: t(`channels.mode.${m}`),
                    }))}
                  />
                </Form.Item>
              </Col>
              {values?.assignMode !== 'single' ? (
                <Col span={12}>
                  <Form.Item name="poolStrategy" label={t('channelEditor.strategy')}>
                    <Radio.Group
                      disabled={editing}
                      options={[
                        { value: 'round_robin', label: t('channelEditor.roundRobin') },
                        { value: 'least_loaded', label: t('channelEditor.leastLoaded') },
                      ]}
                    />
                  </Form.Item>
                </Col>
              ) : null}
              <Col span={12}>
                <Form.Item name="dailyCap" label={t('channelEditor.dailyCap')}>
                  <InputNumber
                    min={1}
                    max={10000}
                    style={{ width: '100%' }}
                    placeholder={t('channelEditor.noCap')}
                  />
                </Form.Item>
              </Col>
              <Col span={24}>
                <Form.Item
                  name="staffIds"
                  label={t('channelEditor.staff')}
                  extra={values?.assignMode === 'store' ? t('channelEditor.storeStaffHint') : undefined}
                >
                  <Select
                    mode="multiple"
                    options={staffOptions}
                    loading={staff.loading}
                    optionFilterProp="label"
                  />
                </Form.Item>
              </Col>
              <Col span={24}>
                <Flex gap={12} align="center" wrap>
                  <Form.Item name="hoursOn" label={t('channelEditor.workingHours')} valuePropName="checked">
                    <Switch />
                  </Form.Item>
                  {values?.hoursOn ? (
                    <>
                      <Form.Item
                        name="hoursDays"
                        label={t('channelEditor.days')}
                        rules={[
                          {
                            required: true,
                            type: 'array',
                            min: 1,
                            message: t('channelEditor.selectRequired', { label: t('channelEditor.days') }),
                          },
                        ]}
                      >
                        <Checkbox.Group
                          options={([1, 2, 3, 4, 5, 6, 7] as const).map((d) => ({
                            value: d,
                            label: t(`channelEditor.weekday.d${d}`),
                          }))}
                        />
                      </Form.Item>
                      <Form.Item
                        name="hoursStart"
                        label={t('channelEditor.from')}
                        rules={[{ required: true, pattern: HHMM }]}
                      >
                        <Input style={{ width: 90 }} placeholder="09:00" />
                      </Form.Item>
                      <Form.Item
                        name="hoursEnd"
                        label={t('channelEditor.to')}
                        rules={[{ required: true, pattern: HHMM }]}
                      >
                        <Input style={{ width: 90 }} placeholder="21:00" />
                      </Form.Item>
                    </>
                  ) : null}
                </Flex>
              </Col>
              <Col span={24}>
                <Form.Item name="backupIds" label={t('channelEditor.backups')}>
                  <Select
                    mode="multiple"
                    options={staffOptions}
                    loading={staff.loading}
                    optionFilterProp="label"
                  />
                </Form.Item>
              </Col>
              <Col span={24}>
                <Form.Item name="tagIds" label={t('channelEditor.tags')}>
                  <Select
                    mode="multiple"
                    optionFilterProp="label"
                    options={(tags.data?.groups ?? []).map((g) => ({
                      label: g.name,
                      options: g.tags.map((tag) => ({ value: tag.id, label: tag.name })),
                    }))}
                  />
                </Form.Item>
              </Col>
              <Col span={12}>
                <Form.Item name="remarkTemplate" label={t('channelEditor.remark')} rules={[{ max: 60 }]}>
                  <Input placeholder="{渠道}-{客户昵称}" />
                </Form.Item>
              </Col>
              <Col span={12}>
                <Form.Item name="skipVerify" label={t('channelEditor.skipVerify')} valuePropName="checked">
                  <Switch />
                </Form.Item>
              </Col>
              <Col span={24}>
                <Form.Item name="welcomeText" label={t('channelEditor.welcome')} rules={[{ max: 1500 }]}>
                  <Input.TextArea rows={4} data-testid="welcome-text" />
                </Form.Item>
                <Flex gap={6} wrap style={{ marginTop: -12, marginBottom: 16 }}>
                  {VARIABLES.map((v) => (
                    <Button key={v} size="small" onClick={() => insertVariable(v)}>
                      {`{${v}}`}
                    </Button>
                  ))}
                </Flex>
              </Col>
              <Col span={12}>
                <Form.Item name="linkTitle" label={t('channelEditor.linkTitle')}>
                  <Input />
                </Form.Item>
              </Col>
              <Col span={12}>
                <Form.Item name="linkUrl" label={t('channelEditor.linkUrl')} rules={[{ type: 'url' }]}>
                  <Input placeholder="https://" />
                </Form.Item>
              </Col>
            </Row>
          </Form>
        </Col>
        <Col xs={24} lg={9}>
          <Typography.Title level={5}>{t('channelEditor.preview')}</Typography.Title>
          <WelcomePreview values={values ?? {}} staffName={firstStaff?.name ?? ''} />
        </Col>
      </Row>
    </Drawer>
  );
}
