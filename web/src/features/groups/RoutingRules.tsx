import { ArrowDownOutlined, ArrowUpOutlined, DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { App, Button, Card, Flex, InputNumber, Select, Skeleton, Space, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../shared/api/client';
import { ErrorAlert } from '../../shared/components';
import { useAsync } from '../../shared/hooks';
import { useMe } from '../accounts/auth';
import { UnitTreeSelect } from '../org/UnitTreeSelect';
import { GROUP_TYPES, type GroupType, groupsApi, RULE_KINDS, type RuleKind } from './api';

interface Rule {
  /** A key for the list while editing. */
  key?: number;
  kind: RuleKind;
  tagId: number | null;
  groupType: GroupType | null;
}

let nextKey = 1;

/** The ordered smart-routing rules of a unit (the brand's at the root, a store's own override). */
export function RoutingRulesEditor() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const me = useMe();
  const [unitId, setUnitId] = useState<number>(me.unitId);
  const data = useAsync((signal) => groupsApi.rules(unitId, signal), `group-rules:${unitId}`);
  const [rules, setRules] = useState<Rule[]>([]);
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    if (data.data) setRules(data.data.rules.map((r) => ({ ...r, key: nextKey++ })));
  }, [data.data]);
  const editable = data.data?.editable ?? false;
  const save = async (next: Rule[]) => {
    setSaving(true);
    try {
      await groupsApi.setRules(unitId, next);
      message.success(t('groups.routing.saved'));
      data.reload();
    } catch (err) {
      message.error(err instanceof ApiError ? err.message : String(err));
    } finally {
      setSaving(false);
    }
  };
  const move = (i: number, d: number) => {
    const next = [...rules];
    const [r] = next.splice(i, 1);
    next.splice(i + d, 0, r!);
    setRules(next);
  };
  return (
    <Card size="small" data-testid="routing-rules">
      <Typography.Paragraph type="secondary">{t('groups.routing.intro')}</Typography.Paragraph>
      <Space wrap style={{ marginBottom: 12 }}>
        <Typography.Text>{t('groups.routing.unit')}</Typography.Text>
        <UnitTreeSelect value={unitId} onChange={(v) => setUnitId(v ?? me.unitId)} placeholder="" />
        {data.data ? (
          <Tag color={data.data.own ? 'green' : 'default'}>
            {data.data.own
              ? t('groups.routing.own')
              : data.data.fromUnitId
                ? t('groups.routing.inherited')
                : t('groups.routing.defaultOrder')}
          </Tag>
        ) : null}
      </Space>
      {data.error ? <ErrorAlert error={data.error} onRetry={data.reload} /> : null}
      {!data.data ? (
        <Skeleton active />
      ) : (
        <Flex vertical gap={8}>
          {rules.map((r, i) => (
            <Flex key={r.key} gap={8} align="center" wrap className="routing-rule">
              <Typography.Text strong>{i + 1}.</Typography.Text>
              <Select<RuleKind>
                value={r.kind}
                disabled={!editable}
                style={{ minWidth: 260, flex: 1 }}
                onChange={(kind) => setRules(rules.map((x, j) => (j === i ? { ...x, kind } : x)))}
                options={RULE_KINDS.map((k) => ({ value: k, label: t(`groups.routing.kind.${k}`) }))}
              />
              {r.kind === 'interest_tag' ? (
                <InputNumber
                  placeholder={t('groups.routing.tag')}
                  value={r.tagId ?? undefined}
                  disabled={!editable}
                  min={1}
                  onChange={(v) => setRules(rules.map((x, j) => (j === i ? { ...x, tagId: v ?? null } : x)))}
                />
              ) : null}
              <Select<GroupType>
                allowClear
                placeholder={t('groups.routing.target')}
                value={r.groupType ?? undefined}
                disabled={!editable}
                style={{ width: 130 }}
                onChange={(v) =>
                  setRules(rules.map((x, j) => (j === i ? { ...x, groupType: v ?? null } : x)))
                }
                options={GROUP_TYPES.map((x) => ({ value: x, label: t(`groups.type.${x}`) }))}
              />
              {editable ? (
                <Space size={0}>
                  <Button
                    type="text"
                    icon={<ArrowUpOutlined />}
                    disabled={i === 0}
                    onClick={() => move(i, -1)}
                  />
                  <Button
                    type="text"
                    icon={<ArrowDownOutlined />}
                    disabled={i === rules.length - 1}
                    onClick={() => move(i, 1)}
                  />
                  <Button
                    type="text"
                    danger
                    icon={<DeleteOutlined />}
                    onClick={() => setRules(rules.filter((_, j) => j !== i))}
                  />
                </Space>
              ) : null}
            </Flex>
          ))}
          {editable ? (
            <Space wrap>
              <Button
                icon={<PlusOutlined />}
                onClick={() =>
                  setRules([...rules, { key: nextKey++, kind: 'default', tagId: null, groupType: null }])
                }
              >
                {t('groups.routing.add')}
              </Button>
              <Button
                type="primary"
                loading={saving}
                onClick={() => save(rules.map(({ key: _k, ...r }) => r))}
                data-testid="save-rules"
              >
                {t('groups.routing.save')}
              </Button>
              {data.data.own ? (
                <Button loading={saving} onClick={() => save([])}>
                  {t('groups.routing.reset')}
                </Button>
              ) : null}
            </Space>
          ) : null}
        </Flex>
      )}
    </Card>
  );
}
