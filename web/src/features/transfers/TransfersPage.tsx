import {
  Alert,
  App,
  Button,
  Card,
  Checkbox,
  Empty,
  Flex,
  Input,
  List,
  Radio,
  Select,
  Space,
  type TableColumnsType,
  Tabs,
  Tag,
  Typography,
} from 'antd';
import { type HTMLAttributes, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router-dom';
import { useLang } from '../../i18n';
import { CursorPager, ErrorAlert, PageHeader } from '../../shared/components';
import { formatDate, formatDateTime } from '../../shared/format';
import { useAsync, useCursorPages } from '../../shared/hooks';
import { setParams } from '../../shared/params';
import { ResponsiveTable } from '../../shared/ResponsiveTable';
import { staffApi } from '../staff/api';
import {
  type Started,
  TRANSFER_STATUSES,
  type Transfer,
  type TransferStatus,
  transfersApi,
  type UnassignedOwner,
} from './api';

type Rule = 'least_load' | 'successor';

const STATUS_COLOR: Record<TransferStatus, string> = {
  queued: 'default',
  waiting: 'processing',
  done: 'success',
  refused: 'warning',
  over_limit: 'error',
  failed: 'error',
};

/** What a request will do (a dry run) or did: per successor, and who is left out and why. */
function PlanView({ plan }: { plan: Started }) {
  const { t } = useTranslation();
  return (
    <Flex vertical gap={8} style={{ marginTop: 12 }} data-testid="transfer-plan">
      <Typography.Text strong>
        {t('transfers.plan', { customers: plan.customers, groups: plan.groups })}
      </Typography.Text>
      <List
        size="small"
        bordered
        dataSource={plan.takeovers}
        renderItem={(row) => (
          <List.Item>
            <Typography.Text>{row.name}</Typography.Text>
            <Typography.Text type="secondary">
              {t('transfers.customers')} {row.customers} · {t('transfers.groups')} {row.groups}
            </Typography.Text>
          </List.Item>
        )}
      />
      {plan.excluded.length ? (
        <Alert
          type="warning"
          showIcon
          data-testid="transfer-excluded"
          title={t('transfers.excluded', { count: plan.excluded.length })}
          description={
            <ul style={{ margin: 0, paddingInlineStart: 18 }}>
              {plan.excluded.map((e) => (
                <li key={`${e.customerId ?? ''}-${e.groupId ?? ''}`}>
                  {e.name || `#${e.customerId ?? e.groupId}`}：{t(`transfers.excludedReason.${e.reason}`)}
                </li>
              ))}
            </ul>
          }
        />
      ) : null}
    </Flex>
  );
}

/** One departed member: what waits, the rule, a preview, then the transfer. */
function DepartedCard({ owner, onDone }: { owner: UnassignedOwner; onDone: () => void }) {
  const { t } = useTranslation();
  const lang = useLang();
  const { message } = App.useApp();
  const [rule, setRule] = useState<Rule>('least_load');
  const [successor, setSuccessor] = useState<number | undefined>(owner.storeStaff[0]?.id);
  const [groups, setGroups] = useState(true);
  const [plan, setPlan] = useState<Started | null>(null);
  const [busy, setBusy] = useState(false);
  const body = (dryRun: boolean) => ({
    handoverStaffIds: [owner.staffId],
    rule,
    ...(rule === 'successor' && successor !== undefined ? { successorStaffId: successor } : {}),
    groups,
    dryRun,
  });
  const run = async (dryRun: boolean) => {
    setBusy(true);
    try {
      const res = await transfersApi.departure(body(dryRun));
      setPlan(res);
      if (!dryRun) {
        message.success(t('transfers.started', { customers: res.customers, groups: res.groups }));
        onDone();
      }
    } catch (err) {
      message.error((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const nothing = owner.customerCount === 0 && owner.groupCount === 0;
  return (
    <Card
      size="small"
      data-testid="departed-card"
      title={
        <Space wrap>
          <Typography.Text strong>{owner.name}</Typography.Text>
          <Tag>{owner.unitName}</Tag>
        </Space>
      }
      extra={
        owner.departedAt ? (
          <Typography.Text type="secondary">
            {t('transfers.departedAt', { at: formatDate(owner.departedAt, lang) })}
          </Typography.Text>
        ) : null
      }
    >
      <Flex vertical gap={10}>
        <Typography.Text>
          {t('transfers.waiting', { customers: owner.customerCount, groups: owner.groupCount })}
        </Typography.Text>
        {owner.customers.length ? (
          <Typography.Text type="secondary" ellipsis>
            {owner.customers.map((c) => c.name).join('、')}
          </Typography.Text>
        ) : null}
        <Typography.Text type="secondary">
          {t('transfers.storeStaff')}：
          {owner.storeStaff.map((s) => `${s.name}（${s.customers}）`).join('、') || '—'}
        </Typography.Text>
        <Radio.Group value={rule} onChange={(e) => setRule(e.target.value)}>
          <Space direction="vertical">
            <Radio value="least_load">{t('transfers.rules.least_load')}</Radio>
            <Radio value="successor">{t('transfers.rules.successor')}</Radio>
          </Space>
        </Radio.Group>
        {rule === 'successor' ? (
          <StaffSelect
            value={successor}
            onChange={setSuccessor}
            placeholder={t('transfers.chooseSuccessor')}
          />
        ) : null}
        <Checkbox checked={groups} onChange={(e) => setGroups(e.target.checked)}>
          {t('transfers.withGroups')}
        </Checkbox>
        <Flex gap={8} wrap>
          <Button disabled={nothing} loading={busy} onClick={() => run(true)} data-testid="departure-preview">
            {t('transfers.preview')}
          </Button>
          <Button
            type="primary"
            disabled={nothing || (rule === 'successor' && successor === undefined)}
            loading={busy}
            onClick={() => run(false)}
            data-testid="departure-confirm"
          >
            {t('transfers.confirmDeparture')}
          </Button>
        </Flex>
        {plan ? <PlanView plan={plan} /> : null}
      </Flex>
    </Card>
  );
}

/** Active staff in the caller's scope, searchable by name. */
function StaffSelect(props: {
  value: number | undefined;
  onChange: (id: number | undefined) => void;
  placeholder: string;
  testId?: string;
}) {
  const [q, setQ] = useState('');
  const staff = useAsync((signal) => staffApi.staff({ q: q || undefined, limit: 50 }, signal), `staff:${q}`);
  return (
    <Select<number>
      showSearch
      allowClear
      filterOption={false}
      onSearch={setQ}
      value={props.value}
      onChange={(v) => props.onChange(v)}
      placeholder={props.placeholder}
      loading={staff.loading}
      options={(staff.data?.items ?? [])
        .filter((s) => s.status === 'active')
        .map((s) => ({ value: s.id, label: `${s.name} · ${s.unitName}` }))}
      style={{ width: '100%', maxWidth: 360 }}
      data-testid={props.testId}
    />
  );
}

function DepartureTab({ onStarted }: { onStarted: () => void }) {
  const { t } = useTranslation();
  const list = useAsync((signal) => transfersApi.unassigned(signal), 'transfers.unassigned');
  if (list.error) return <ErrorAlert error={list.error} onRetry={list.reload} />;
  const items = list.data?.items ?? [];
  return (
    <Flex vertical gap={12}>
      {list.data ? (
        <Typography.Text type="secondary">{t(`transfers.source.${list.data.source}`)}</Typography.Text>
      ) : null}
      {!list.loading && items.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('transfers.noneWaiting')} />
      ) : null}
      <div
        className="transfers-grid"
        style={{ display: 'grid', gap: 12, gridTemplateColumns: 'repeat(auto-fill, minmax(300px, 1fr))' }}
      >
        {items.map((o) => (
          <DepartedCard
            key={o.staffId}
            owner={o}
            onDone={() => {
              list.reload();
              onStarted();
            }}
          />
        ))}
      </div>
    </Flex>
  );
}

function ReassignTab({ onStarted }: { onStarted: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [handover, setHandover] = useState<number | undefined>();
  const [rule, setRule] = useState<Rule>('successor');
  const [successor, setSuccessor] = useState<number | undefined>();
  const [groups, setGroups] = useState(false);
  const [text, setText] = useState('');
  const [plan, setPlan] = useState<Started | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (dryRun: boolean) => {
    if (handover === undefined) return;
    setBusy(true);
    try {
      const res = await transfersApi.reassign({
        handoverStaffId: handover,
        rule,
        ...(rule === 'successor' && successor !== undefined ? { successorStaffId: successor } : {}),
        groups,
        ...(text.trim() ? { message: text.trim() } : {}),
        dryRun,
      });
      setPlan(res);
      if (!dryRun) {
        message.success(t('transfers.started', { customers: res.customers, groups: res.groups }));
        onStarted();
      }
    } catch (err) {
      message.error((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card size="small" style={{ maxWidth: 640 }}>
      <Flex vertical gap={12}>
        <Alert type="info" showIcon title={t('transfers.reassignHint')} />
        <Typography.Text strong>{t('transfers.handover')}</Typography.Text>
        <StaffSelect
          value={handover}
          onChange={setHandover}
          placeholder={t('transfers.chooseHandover')}
          testId="reassign-handover"
        />
        <Typography.Text strong>{t('transfers.rule')}</Typography.Text>
        <Radio.Group value={rule} onChange={(e) => setRule(e.target.value)}>
          <Space direction="vertical">
            <Radio value="successor">{t('transfers.rules.successor')}</Radio>
            <Radio value="least_load">{t('transfers.rules.least_load')}</Radio>
          </Space>
        </Radio.Group>
        {rule === 'successor' ? (
          <StaffSelect
            value={successor}
            onChange={setSuccessor}
            placeholder={t('transfers.chooseSuccessor')}
            testId="reassign-successor"
          />
        ) : null}
        <Typography.Text strong>{t('transfers.message')}</Typography.Text>
        <Input.TextArea
          value={text}
          onChange={(e) => setText(e.target.value)}
          maxLength={200}
          showCount
          rows={2}
          placeholder={t('transfers.messagePlaceholder')}
        />
        <Checkbox checked={groups} onChange={(e) => setGroups(e.target.checked)}>
          {t('transfers.withGroups')}
        </Checkbox>
        <Flex gap={8} wrap>
          <Button
            disabled={handover === undefined}
            loading={busy}
            onClick={() => run(true)}
            data-testid="reassign-preview"
          >
            {t('transfers.preview')}
          </Button>
          <Button
            type="primary"
            disabled={handover === undefined || (rule === 'successor' && successor === undefined)}
            loading={busy}
            onClick={() => run(false)}
            data-testid="reassign-confirm"
          >
            {t('transfers.confirmReassign')}
          </Button>
        </Flex>
        {plan ? <PlanView plan={plan} /> : null}
      </Flex>
    </Card>
  );
}

function HistoryTab({ version }: { version: number }) {
  const { t } = useTranslation();
  const lang = useLang();
  const { message } = App.useApp();
  const [params, setSearchParams] = useSearchParams();
  const status = (params.get('status') ?? undefined) as TransferStatus | undefined;
  const kind = (params.get('kind') ?? undefined) as 'resigned' | 'onjob' | undefined;
  const pages = useCursorPages(
    (cursor, signal) => transfersApi.list({ status, kind, cursor: cursor ?? undefined, limit: 30 }, signal),
    JSON.stringify({ status, kind, version }),
    'siyu.pages.transfers',
  );
  const counts = pages.data?.counts ?? {};
  const columns: TableColumnsType<Transfer> = useMemo(
    () => [
      {
        key: 'target',
        title: t('transfers.target'),
        render: (_, r) =>
          r.target === 'customer' ? (
            <a href={`/customers/${r.customerId}`}>{r.customerName ?? `#${r.customerId}`}</a>
          ) : (
            <span>
              {r.groupName ?? `#${r.groupId}`} <Tag>{t('transfers.groups')}</Tag>
            </span>
          ),
      },
      { key: 'kind', title: t('transfers.rule'), render: (_, r) => t(`transfers.kind.${r.kind}`) },
      { key: 'from', title: t('transfers.from'), render: (_, r) => r.handover.name },
      { key: 'to', title: t('transfers.to'), render: (_, r) => r.takeover.name },
      {
        key: 'status',
        title: t('transfers.allStatuses'),
        render: (_, r) => (
          <Flex vertical gap={2} align="flex-start">
            <Tag color={STATUS_COLOR[r.status]} title={r.errcode ? `errcode ${r.errcode}` : undefined}>
              {t(`transfers.status.${r.status}`)}
            </Tag>
            {r.reasonText ? (
              <Typography.Text type="secondary" style={{ fontSize: 12 }} data-testid="transfer-reason">
                {r.reasonText[lang]}
              </Typography.Text>
            ) : null}
          </Flex>
        ),
      },
      {
        key: 'requestedAt',
        title: t('transfers.requestedAt'),
        render: (_, r) => (
          <span style={{ whiteSpace: 'nowrap' }}>
            {formatDateTime(r.requestedAt, lang)}
            {r.requestedBy ? ` · ${r.requestedBy}` : ''}
          </span>
        ),
      },
      {
        key: 'settledAt',
        title: t('transfers.settledAt'),
        render: (_, r) => (r.settledAt ? formatDateTime(r.settledAt, lang) : '—'),
      },
    ],
    [t, lang],
  );
  return (
    <Flex vertical gap={12}>
      <Flex gap={8} wrap align="center">
        <Select<TransferStatus>
          allowClear
          value={status}
          placeholder={t('transfers.allStatuses')}
          onChange={(v) => setSearchParams(setParams(params, { status: v }))}
          options={TRANSFER_STATUSES.map((s) => ({
            value: s,
            label: `${t(`transfers.status.${s}`)}${counts[s] ? ` (${counts[s]})` : ''}`,
          }))}
          style={{ width: 180 }}
          data-testid="transfers-status"
        />
        <Select<'resigned' | 'onjob'>
          allowClear
          value={kind}
          placeholder={t('transfers.allKinds')}
          onChange={(v) => setSearchParams(setParams(params, { kind: v }))}
          options={(['resigned', 'onjob'] as const).map((k) => ({
            value: k,
            label: t(`transfers.kind.${k}`),
          }))}
          style={{ width: 160 }}
        />
        <Button
          onClick={async () => {
            await transfersApi.followUp();
            message.info(t('transfers.followUpQueued'));
          }}
        >
          {t('transfers.followUp')}
        </Button>
      </Flex>
      <Space wrap>
        {TRANSFER_STATUSES.filter((s) => counts[s]).map((s) => (
          <Tag key={s} color={STATUS_COLOR[s]}>
            {t(`transfers.status.${s}`)} {counts[s]}
          </Tag>
        ))}
      </Space>
      {pages.error ? <ErrorAlert error={pages.error} onRetry={pages.reload} /> : null}
      <ResponsiveTable<Transfer>
        rowKey="id"
        size="middle"
        columns={columns}
        dataSource={pages.items}
        loading={pages.loading}
        pagination={false}
        scroll={{ x: 'max-content' }}
        onRow={() => ({ 'data-testid': 'transfer-row' }) as HTMLAttributes<HTMLElement>}
        locale={{
          emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('transfers.empty')} />,
        }}
      />
      <CursorPager
        page={pages.page}
        hasPrev={pages.hasPrev}
        hasNext={pages.hasNext}
        loading={pages.loading}
        onPrev={pages.prev}
        onNext={pages.next}
      />
    </Flex>
  );
}

/** 客户继承 (managers): departed members' customers waiting, reassignment, and the history of transfers. */
export default function TransfersPage() {
  const { t } = useTranslation();
  const [params, setSearchParams] = useSearchParams();
  const tab = params.get('tab') ?? 'departure';
  const [version, setVersion] = useState(0);
  const bump = () => setVersion((v) => v + 1);
  return (
    <>
      <PageHeader title={t('transfers.title')} subtitle={t('transfers.subtitle')} />
      <Tabs
        activeKey={tab}
        onChange={(key) => setSearchParams(setParams(params, { tab: key }))}
        items={[
          {
            key: 'departure',
            label: t('transfers.tabs.departure'),
            children: <DepartureTab onStarted={bump} />,
          },
          {
            key: 'reassign',
            label: t('transfers.tabs.reassign'),
            children: <ReassignTab onStarted={bump} />,
          },
          { key: 'history', label: t('transfers.tabs.history'), children: <HistoryTab version={version} /> },
        ]}
      />
    </>
  );
}
