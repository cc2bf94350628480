import { PlusOutlined } from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Card,
  Empty,
  Flex,
  Form,
  Grid,
  Input,
  Modal,
  Radio,
  Select,
  Spin,
  Table,
  type TableColumnsType,
  Tag,
  Typography,
} from 'antd';
import { type HTMLAttributes, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router-dom';
import { useLang } from '../../i18n';
import { CursorPager, ErrorAlert, PageHeader } from '../../shared/components';
import { formatDateTime } from '../../shared/format';
import { useAsync, useCursorPages } from '../../shared/hooks';
import { setParams } from '../../shared/params';
import { orgApi, type Unit, type UnitKind } from '../org/api';
import { staffApi } from '../staff/api';
import { type Account, type Credential, type Issued, peopleApi, type Role } from './api';
import { useMe } from './auth';

const PAGE_SIZE = 30;
/** The order of authority, as the server's ROLE_RANK: a manager grants roles up to their own. */
const ROLE_RANK: Record<Role, number> = { staff: 0, store_manager: 1, region_manager: 2, hq_admin: 3 };
const ROLES = ['hq_admin', 'region_manager', 'store_manager', 'staff'] as const satisfies readonly Role[];
/** The unit a role usually sits on; a front-line login may sit anywhere. */
const ROLE_UNIT: Partial<Record<Role, UnitKind>> = {
  hq_admin: 'hq',
  region_manager: 'region',
  store_manager: 'store',
};
const USERNAME = /^[a-z0-9][a-z0-9._-]{1,63}$/;
const ROLE_COLOR: Record<Role, string> = {
  hq_admin: 'red',
  region_manager: 'purple',
  store_manager: 'blue',
  staff: 'default',
};

/** What was shown once: a password or a one-time link, for whom. */
interface Shown {
  account: Account;
  issued: Issued;
}

/**
 * 人员与权限: the console logins of the caller's subtree, created, changed, disabled and re-enabled, their
 * passwords reset by one-time link or a shown-once password. A row the caller may not manage (their own, or
 * one above their role) has no actions: the server's `editable` says so.
 */
export default function PeoplePage() {
  const { t } = useTranslation();
  const lang = useLang();
  const me = useMe();
  const { message, modal } = App.useApp();
  const phone = !Grid.useBreakpoint().md;
  const [params, setSearchParams] = useSearchParams();
  const q = params.get('q') ?? undefined;
  const role = (params.get('role') as Role | null) ?? undefined;
  const status = (params.get('status') as 'active' | 'disabled' | null) ?? undefined;
  const filter = { q, role, status };
  const [search, setSearch] = useState(q ?? '');
  const [editing, setEditing] = useState<Account | 'new' | null>(null);
  const [resetting, setResetting] = useState<Account | null>(null);
  const [shown, setShown] = useState<Shown | null>(null);

  const pages = useCursorPages(
    (cursor, signal) => peopleApi.list({ ...filter, cursor: cursor ?? undefined, limit: PAGE_SIZE }, signal),
    JSON.stringify(filter),
    'siyu.pages.people',
  );
  const units = useAsync((signal) => orgApi.units(signal), 'units');

  const toggle = (a: Account) => {
    const disabling = !a.disabled;
    modal.confirm({
      title: disabling
        ? t('people.disableTitle', { name: a.displayName })
        : t('people.enableConfirm', { name: a.displayName }),
      content: disabling ? t('people.disableConfirm') : undefined,
      okText: disabling ? t('people.disable') : t('people.enable'),
      okButtonProps: { danger: disabling, 'data-testid': 'people-toggle-ok' },
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await (disabling ? peopleApi.disable(a.id) : peopleApi.enable(a.id));
          message.success(
            t(disabling ? 'people.disabledDone' : 'people.enabledDone', { name: a.displayName }),
          );
          pages.reload();
        } catch (err) {
          message.error((err as Error).message, 6);
        }
      },
    });
  };

  const actions = (a: Account) =>
    a.editable ? (
      <Flex gap={4} wrap>
        <Button size="small" onClick={() => setEditing(a)} data-testid="people-edit">
          {t('people.edit')}
        </Button>
        <Button size="small" onClick={() => setResetting(a)} data-testid="people-reset">
          {t('people.resetPassword')}
        </Button>
        <Button size="small" danger={!a.disabled} onClick={() => toggle(a)} data-testid="people-toggle">
          {a.disabled ? t('people.enable') : t('people.disable')}
        </Button>
      </Flex>
    ) : null;

  const statusTag = (a: Account) =>
    a.disabled ? <Tag>{t('people.disabled')}</Tag> : <Tag color="success">{t('people.active')}</Tag>;
  const lastSeen = (a: Account) => (a.lastSeenAt ? formatDateTime(a.lastSeenAt, lang) : t('people.never'));
  const who = (a: Account) => (
    <Flex vertical style={{ minWidth: 0 }}>
      <Typography.Text strong ellipsis data-testid="people-name">
        {a.displayName} {a.self ? <Tag color="processing">{t('people.me')}</Tag> : null}
      </Typography.Text>
      <Typography.Text type="secondary" className="mono" style={{ fontSize: 12 }}>
        {a.username}@{me.corpId}
      </Typography.Text>
    </Flex>
  );
  const roleTag = (a: Account) => (
    <Tag color={ROLE_COLOR[a.role]} data-testid="people-role">
      {t(`role.${a.role}`)}
    </Tag>
  );

  // built each render: the cells read this render's state
  const columns: TableColumnsType<Account> = [
    { key: 'name', title: t('people.name'), render: (_, a) => who(a) },
    { key: 'role', title: t('people.role'), render: (_, a) => roleTag(a) },
    {
      key: 'unit',
      title: t('people.unit'),
      render: (_, a) => <span data-testid="people-unit">{a.unitName}</span>,
    },
    { key: 'staff', title: t('people.staff'), render: (_, a) => a.staffName ?? t('common.none') },
    { key: 'status', title: t('people.status'), render: (_, a) => statusTag(a) },
    {
      key: 'lastSeen',
      title: t('people.lastSeen'),
      render: (_, a) => <span style={{ whiteSpace: 'nowrap' }}>{lastSeen(a)}</span>,
    },
    { key: 'actions', title: t('people.actions'), render: (_, a) => actions(a) },
  ];

  return (
    <>
      <PageHeader
        title={t('people.title')}
        subtitle={t('people.subtitle')}
        extra={
          <Button
            type="primary"
            icon={<PlusOutlined />}
            onClick={() => setEditing('new')}
            data-testid="people-create"
          >
            {t('people.create')}
          </Button>
        }
      />
      <Card>
        <Flex gap={8} wrap style={{ marginBottom: 16 }}>
          <Input.Search
            allowClear
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            onSearch={(v) => setSearchParams(setParams(params, { q: v.trim() || undefined }))}
            placeholder={t('people.search')}
            style={{ width: phone ? '100%' : 240 }}
            data-testid="people-search"
          />
          <Select<Role>
            allowClear
            value={role}
            placeholder={t('people.allRoles')}
            onChange={(v) => setSearchParams(setParams(params, { role: v }))}
            options={ROLES.filter((r) => ROLE_RANK[r] <= ROLE_RANK[me.role]).map((r) => ({
              value: r,
              label: t(`role.${r}`),
            }))}
            style={{ width: 140 }}
          />
          <Select<'active' | 'disabled'>
            allowClear
            value={status}
            placeholder={t('people.allStatus')}
            onChange={(v) => setSearchParams(setParams(params, { status: v }))}
            options={[
              { value: 'active', label: t('people.active') },
              { value: 'disabled', label: t('people.disabled') },
            ]}
            style={{ width: 120 }}
          />
        </Flex>
        {pages.error ? <ErrorAlert error={pages.error} onRetry={pages.reload} /> : null}
        {phone ? (
          <Spin spinning={pages.loading}>
            <Flex vertical gap={8}>
              {pages.items.map((a) => (
                <Card key={a.id} size="small" data-testid="people-row" data-row-key={a.id}>
                  <Flex vertical gap={6}>
                    <Flex justify="space-between" align="start" gap={8}>
                      {who(a)}
                      {statusTag(a)}
                    </Flex>
                    <Flex gap={8} wrap align="center">
                      {roleTag(a)}
                      <span data-testid="people-unit">{a.unitName}</span>
                      {a.staffName ? (
                        <Typography.Text type="secondary">· {a.staffName}</Typography.Text>
                      ) : null}
                    </Flex>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {t('people.lastSeen')}：{lastSeen(a)}
                    </Typography.Text>
                    {actions(a)}
                  </Flex>
                </Card>
              ))}
              {pages.items.length === 0 && !pages.loading ? (
                <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('people.empty')} />
              ) : null}
            </Flex>
          </Spin>
        ) : (
          <Table<Account>
            rowKey="id"
            size="middle"
            columns={columns}
            dataSource={pages.items}
            loading={pages.loading}
            pagination={false}
            scroll={{ x: 'max-content' }}
            onRow={(a) =>
              ({ 'data-testid': 'people-row', 'data-row-key': a.id }) as HTMLAttributes<HTMLElement>
            }
            locale={{
              emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('people.empty')} />,
            }}
          />
        )}
        <CursorPager
          page={pages.page}
          hasPrev={pages.hasPrev}
          hasNext={pages.hasNext}
          loading={pages.loading}
          onPrev={pages.prev}
          onNext={pages.next}
        />
      </Card>
      {editing ? (
        <AccountForm
          account={editing === 'new' ? null : editing}
          units={units.data?.items ?? []}
          onClose={() => setEditing(null)}
          onSaved={(result) => {
            setEditing(null);
            pages.reload();
            if ('issued' in result) setShown(result);
            else message.success(t('people.saved', { name: result.displayName }));
          }}
        />
      ) : null}
      {resetting ? (
        <ResetDialog
          account={resetting}
          onClose={() => setResetting(null)}
          onIssued={(result) => {
            setResetting(null);
            setShown(result);
            pages.reload();
          }}
        />
      ) : null}
      {shown ? <ShownOnce shown={shown} onClose={() => setShown(null)} /> : null}
    </>
  );
}

interface FormValues {
  displayName: string;
  username: string;
  role: Role;
  unitId: number;
  staffId?: number | null;
  credential: Credential;
}

/** Create a login, or change one's name, role, unit and staff member: only roles and units the caller may give. */
function AccountForm(props: {
  account: Account | null;
  units: readonly Unit[];
  onClose(): void;
  onSaved(result: Account | Shown): void;
}) {
  const { t } = useTranslation();
  const me = useMe();
  const { message } = App.useApp();
  const [form] = Form.useForm<FormValues>();
  const [busy, setBusy] = useState(false);
  const a = props.account;
  const role = Form.useWatch('role', form);
  const unitId = Form.useWatch('unitId', form);

  const unitOptions = useMemo(() => {
    const kind = role ? ROLE_UNIT[role] : undefined;
    const fit = props.units.filter((u) => !kind || u.kind === kind || u.id === a?.unitId);
    return (fit.length ? fit : props.units).map((u) => ({ value: u.id, label: u.name }));
  }, [props.units, role, a?.unitId]);

  // a role whose kind of unit the chosen one is not: the unit is chosen again
  useEffect(() => {
    if (unitId !== undefined && !unitOptions.some((o) => o.value === unitId))
      form.setFieldValue('unitId', undefined);
  }, [unitOptions, unitId, form]);

  const staff = useAsync(
    (signal) =>
      unitId === undefined
        ? Promise.resolve({ items: [], nextCursor: null })
        : staffApi.staff({ unitId, limit: 100 }, signal),
    String(unitId ?? ''),
  );
  const staffOptions = useMemo(() => {
    const items = (staff.data?.items ?? []).map((s) => ({ value: s.id, label: s.name }));
    if (a?.staffId && a.staffName && !items.some((o) => o.value === a.staffId))
      items.unshift({ value: a.staffId, label: a.staffName });
    return items;
  }, [staff.data, a?.staffId, a?.staffName]);

  const submit = async (v: FormValues) => {
    setBusy(true);
    try {
      if (a) {
        const saved = await peopleApi.update(a.id, {
          displayName: v.displayName,
          role: v.role,
          unitId: v.unitId,
          staffId: v.staffId ?? null,
        });
        props.onSaved(saved);
      } else {
        props.onSaved(
          await peopleApi.create({
            displayName: v.displayName,
            username: v.username,
            role: v.role,
            unitId: v.unitId,
            staffId: v.staffId ?? null,
            credential: v.credential,
          }),
        );
      }
    } catch (err) {
      message.error((err as Error).message, 6);
      setBusy(false);
    }
  };

  return (
    <Modal
      open
      title={a ? t('people.editTitle', { name: a.displayName }) : t('people.createTitle')}
      onCancel={props.onClose}
      onOk={() => form.submit()}
      okText={a ? t('people.edit') : t('people.create')}
      cancelText={t('common.cancel')}
      confirmLoading={busy}
      okButtonProps={{ 'data-testid': 'people-save' }}
      destroyOnHidden
    >
      <Form<FormValues>
        form={form}
        layout="vertical"
        requiredMark={false}
        onFinish={submit}
        initialValues={
          a
            ? { displayName: a.displayName, role: a.role, unitId: a.unitId, staffId: a.staffId }
            : { credential: 'link', role: me.role === 'hq_admin' ? 'store_manager' : 'staff' }
        }
      >
        <Form.Item
          name="displayName"
          label={t('people.name')}
          rules={[{ required: true, whitespace: true, max: 64, message: t('people.required') }]}
        >
          <Input placeholder={t('people.namePlaceholder')} maxLength={64} data-testid="people-display-name" />
        </Form.Item>
        {a ? null : (
          <Form.Item
            name="username"
            label={t('people.username')}
            extra={t('people.usernameHint', { corp: me.corpId })}
            normalize={(v: string) => v.trim().toLowerCase()}
            rules={[
              { required: true, message: t('people.required') },
              { pattern: USERNAME, message: t('people.usernameRule') },
            ]}
          >
            <Input
              placeholder={t('people.usernamePlaceholder')}
              addonAfter={`@${me.corpId}`}
              autoComplete="off"
              data-testid="people-username"
            />
          </Form.Item>
        )}
        <Form.Item
          name="role"
          label={t('people.role')}
          extra={me.role === 'hq_admin' ? undefined : t('people.roleHint')}
          rules={[{ required: true, message: t('people.required') }]}
        >
          <Select<Role>
            data-testid="people-role-select"
            options={ROLES.filter((r) => ROLE_RANK[r] <= ROLE_RANK[me.role]).map((r) => ({
              value: r,
              label: t(`role.${r}`),
            }))}
          />
        </Form.Item>
        <Form.Item
          name="unitId"
          label={t('people.unit')}
          rules={[{ required: true, message: t('people.required') }]}
        >
          <Select<number>
            showSearch={{ optionFilterProp: 'label' }}
            options={unitOptions}
            data-testid="people-unit-select"
          />
        </Form.Item>
        <Form.Item
          name="staffId"
          label={t('people.staff')}
          extra={role === 'staff' ? t('people.staffHint') : undefined}
          rules={[{ required: role === 'staff', message: t('people.staffRequired') }]}
        >
          <Select<number>
            allowClear
            showSearch={{ optionFilterProp: 'label' }}
            loading={staff.loading}
            disabled={unitId === undefined}
            placeholder={t('people.staffPlaceholder')}
            options={staffOptions}
            data-testid="people-staff-select"
          />
        </Form.Item>
        {a ? null : (
          <Form.Item name="credential" label={t('people.credential')}>
            <Radio.Group data-testid="people-credential">
              <Flex vertical gap={8}>
                <Radio value="link">{t('people.credentialLink')}</Radio>
                <Radio value="password">{t('people.credentialPassword')}</Radio>
              </Flex>
            </Radio.Group>
          </Form.Item>
        )}
      </Form>
    </Modal>
  );
}

/** 重置密码: a one-time link (the default) or a new password, each shown once. */
function ResetDialog(props: { account: Account; onClose(): void; onIssued(result: Shown): void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [mode, setMode] = useState<Credential>('link');
  const [busy, setBusy] = useState(false);
  const go = async () => {
    setBusy(true);
    try {
      props.onIssued(await peopleApi.resetPassword(props.account.id, mode));
    } catch (err) {
      message.error((err as Error).message, 6);
      setBusy(false);
    }
  };
  return (
    <Modal
      open
      title={t('people.resetTitle', { name: props.account.displayName })}
      onCancel={props.onClose}
      onOk={go}
      okText={t('people.issue')}
      cancelText={t('common.cancel')}
      confirmLoading={busy}
      okButtonProps={{ 'data-testid': 'people-reset-go' }}
    >
      <Flex vertical gap={12}>
        <Radio.Group value={mode} onChange={(e) => setMode(e.target.value as Credential)}>
          <Flex vertical gap={8}>
            <Radio value="link" data-testid="people-reset-link">
              {t('people.credentialLink')}
            </Radio>
            <Radio value="password" data-testid="people-reset-password">
              {t('people.credentialPassword')}
            </Radio>
          </Flex>
        </Radio.Group>
        <Typography.Text type="secondary">
          {mode === 'link' ? t('people.resetLinkHint') : t('people.resetPasswordHint')}
        </Typography.Text>
      </Flex>
    </Modal>
  );
}

/** The password or the one-time link, with a copy button: this answer is the only time it is shown. */
function ShownOnce({ shown, onClose }: { shown: Shown; onClose(): void }) {
  const { t } = useTranslation();
  const lang = useLang();
  const me = useMe();
  const { issued, account } = shown;
  const secret = issued.mode === 'link' ? `${window.location.origin}${issued.link}` : issued.password;
  return (
    <Modal
      open
      closable={false}
      maskClosable={false}
      title={t('people.issuedTitle', { name: account.displayName })}
      footer={
        <Button type="primary" onClick={onClose} data-testid="people-shown-done">
          {t('people.done')}
        </Button>
      }
    >
      <Flex vertical gap={12}>
        <Alert type="warning" showIcon title={t('people.shownOnce')} />
        <div>
          <Typography.Text type="secondary">{t('people.issuedLogin')}</Typography.Text>
          <Typography.Paragraph
            copyable
            className="mono"
            style={{ marginBottom: 0 }}
            data-testid="people-shown-login"
          >
            {`${account.username}@${me.corpId}`}
          </Typography.Paragraph>
        </div>
        <div>
          <Typography.Text type="secondary">
            {issued.mode === 'link' ? t('people.issuedLink') : t('people.issuedPassword')}
          </Typography.Text>
          <Typography.Paragraph
            copyable={{ text: secret }}
            className="mono"
            style={{ wordBreak: 'break-all', marginBottom: 0 }}
            data-testid={issued.mode === 'link' ? 'people-shown-link' : 'people-shown-password'}
          >
            {secret}
          </Typography.Paragraph>
          {issued.mode === 'link' ? (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('people.expiresAt', { at: formatDateTime(issued.expiresAt, lang) })}
            </Typography.Text>
          ) : null}
        </div>
      </Flex>
    </Modal>
  );
}
