import { ArrowLeftOutlined, UserOutlined } from '@ant-design/icons';
import {
  App,
  Avatar,
  Button,
  Card,
  Col,
  Descriptions,
  Flex,
  List,
  Row,
  Select,
  Skeleton,
  Space,
  Tag,
  Typography,
} from 'antd';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router-dom';
import { useLang } from '../../i18n';
import { ApiError } from '../../shared/api/client';
import { ErrorAlert, PageHeader } from '../../shared/components';
import { formatDate, formatDateTime } from '../../shared/format';
import { useAsync } from '../../shared/hooks';
import { GROUP_TYPES, type GroupDetail, type GroupType, groupsApi } from './api';
import { Fill, TypeTag } from './GroupsPage';
import { PersonaView } from './Persona';

/** Joins and leaves per day as a pair of thin bars (no chart library needed at this size). */
function Daily({ daily }: { daily: GroupDetail['daily'] }) {
  const { t } = useTranslation();
  const max = Math.max(1, ...daily.map((d) => Math.max(d.joins, d.leaves)));
  return (
    <div data-testid="group-daily">
      <Flex align="flex-end" gap={2} style={{ height: 80 }}>
        {daily.map((d) => (
          <Flex
            key={d.day}
            vertical
            justify="flex-end"
            style={{ flex: 1, height: '100%' }}
            title={`${d.day} +${d.joins} −${d.leaves}`}
          >
            <div
              style={{
                height: `${(d.joins / max) * 70}%`,
                background: '#52c41a',
                minHeight: d.joins ? 2 : 0,
              }}
            />
            <div
              style={{
                height: `${(d.leaves / max) * 30}%`,
                background: '#ff4d4f',
                minHeight: d.leaves ? 2 : 0,
              }}
            />
          </Flex>
        ))}
      </Flex>
      <Typography.Text type="secondary">
        <span style={{ color: '#389e0d' }}>■</span> {t('groups.joins')}{' '}
        {daily.reduce((s, d) => s + d.joins, 0)} · <span style={{ color: '#cf1322' }}>■</span>{' '}
        {t('groups.leaves')} {daily.reduce((s, d) => s + d.leaves, 0)}
      </Typography.Text>
    </div>
  );
}

/** One group: who owns it, how full it is, joins and leaves, its persona and its members. */
export default function GroupPage() {
  const { t } = useTranslation();
  const lang = useLang();
  const { message } = App.useApp();
  const id = Number(useParams().id);
  const group = useAsync((signal) => groupsApi.group(id, signal), `group:${id}`);
  const g = group.data;
  const setType = async (type: GroupType | null) => {
    try {
      await groupsApi.setType(id, type);
      message.success(t('groups.typeSaved'));
      group.reload();
    } catch (err) {
      message.error(err instanceof ApiError ? err.message : String(err));
    }
  };
  return (
    <>
      <Link to="/groups">
        <ArrowLeftOutlined /> {t('groups.back')}
      </Link>
      {group.error ? <ErrorAlert error={group.error} onRetry={group.reload} /> : null}
      {!g ? (
        <Skeleton active />
      ) : (
        <>
          <PageHeader
            title={
              <Space wrap>
                {g.name || g.chatId}
                <TypeTag type={g.type} suggested={g.suggestedType} />
                {g.status === 'dismissed' ? <Tag color="red">{t('groups.dismissed')}</Tag> : null}
              </Space>
            }
            subtitle={`${g.unitName ?? ''} · ${g.ownerName ?? g.ownerUserid ?? ''}`}
          />
          <Row gutter={[16, 16]}>
            <Col xs={24} xl={14}>
              <Flex vertical gap={16}>
                <Card size="small">
                  <Descriptions
                    size="small"
                    column={{ xs: 1, sm: 2 }}
                    items={[
                      {
                        key: 'members',
                        label: t('groups.members'),
                        children: <Fill count={g.memberCount} qr={g.qrLimit} max={g.groupLimit} />,
                      },
                      { key: 'customers', label: t('groups.customers'), children: g.customerCount },
                      {
                        key: 'type',
                        label: t('groups.setType'),
                        children: g.editable ? (
                          <Select<GroupType>
                            allowClear
                            size="small"
                            style={{ width: 140 }}
                            value={g.type ?? undefined}
                            placeholder={
                              g.suggestedType
                                ? t('groups.suggested', { type: t(`groups.type.${g.suggestedType}`) })
                                : ''
                            }
                            onChange={(v) => setType(v ?? null)}
                            options={GROUP_TYPES.map((x) => ({ value: x, label: t(`groups.type.${x}`) }))}
                            data-testid="group-type"
                          />
                        ) : (
                          <TypeTag type={g.type} suggested={g.suggestedType} />
                        ),
                      },
                      {
                        key: 'created',
                        label: t('groups.joinedAt'),
                        children: formatDate(g.createdAt, lang),
                      },
                      ...(g.notice ? [{ key: 'notice', label: t('groups.notice'), children: g.notice }] : []),
                    ]}
                  />
                </Card>
                <Card size="small" title={t('groups.daily')}>
                  <Daily daily={g.daily} />
                </Card>
                <Card
                  size="small"
                  title={`${t('groups.memberList')} (${g.members.filter((m) => !m.leftAt).length})`}
                >
                  <List
                    size="small"
                    data-testid="group-members"
                    dataSource={g.members}
                    pagination={{ pageSize: 20, size: 'small', showSizeChanger: false }}
                    renderItem={(m) => (
                      <List.Item
                        style={{ opacity: m.leftAt ? 0.55 : 1 }}
                        extra={
                          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                            {m.leftAt
                              ? `${t('groups.leftAt')} ${formatDateTime(m.leftAt, lang)}`
                              : m.joinedAt
                                ? formatDate(m.joinedAt, lang)
                                : ''}
                          </Typography.Text>
                        }
                      >
                        <List.Item.Meta
                          avatar={<Avatar size="small" src={m.avatar ?? undefined} icon={<UserOutlined />} />}
                          title={
                            m.customerId ? (
                              <Link to={`/customers/${m.customerId}`}>{m.name}</Link>
                            ) : (
                              <span>{m.name || m.key}</span>
                            )
                          }
                          description={
                            <Space size={4} wrap>
                              {m.kind === 'staff' ? <Tag>{t('groups.staffMember')}</Tag> : null}
                              {m.kind === 'customer' && !m.customerId ? (
                                <Tag bordered={false}>{t('groups.notCustomer')}</Tag>
                              ) : null}
                              {m.joinScene ? (
                                <Typography.Text type="secondary">
                                  {t(`groups.joinScene.s${m.joinScene as 1 | 2 | 3}`)}
                                </Typography.Text>
                              ) : null}
                              {m.orderCount ? (
                                <Typography.Text type="secondary">
                                  {t('groups.orders', { count: m.orderCount })}
                                </Typography.Text>
                              ) : null}
                            </Space>
                          }
                        />
                      </List.Item>
                    )}
                  />
                </Card>
              </Flex>
            </Col>
            <Col xs={24} xl={10}>
              <Card size="small" title={t('groups.persona.title')}>
                <PersonaView persona={g.persona} />
                <Typography.Paragraph type="secondary" style={{ marginTop: 8, marginBottom: 0 }}>
                  {t('groups.persona.messagesNote')}
                </Typography.Paragraph>
              </Card>
              <Button type="link" href="/groups?tab=codes" style={{ paddingLeft: 0 }}>
                {t('groups.tab.codes')}
              </Button>
            </Col>
          </Row>
        </>
      )}
    </>
  );
}
