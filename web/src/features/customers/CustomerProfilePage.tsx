import { ArrowLeftOutlined, TeamOutlined } from '@ant-design/icons';
import {
  Alert,
  Avatar,
  Button,
  Card,
  Col,
  Descriptions,
  Empty,
  Flex,
  Result,
  Row,
  Skeleton,
  Tag,
  Timeline,
  Tooltip,
  Typography,
} from 'antd';
import type { TFunction } from 'i18next';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useParams } from 'react-router-dom';
import i18n, { type Lang, useLang } from '../../i18n';
import { ApiError } from '../../shared/api/client';
import { ErrorAlert } from '../../shared/components';
import { formatDateTime } from '../../shared/format';
import { useAsync } from '../../shared/hooks';
import { channelsApi } from '../channels/api';
import { CustomerGroupsCard } from '../groups/CustomerGroups';
import { IdentitiesCard, OrdersCard } from '../orders/CustomerOrders';
import { JourneyRoleTag, PersonaTag } from '../staff/staffColumns';
import { CustomerTagsEditor } from '../tags/CustomerTagsEditor';
import { CustomerTasksCard } from '../tasks/CustomerTasks';
import { type CustomerDetail, customersApi, type Follow } from './api';
import { addWayLabel, CustomerAvatar, FollowStatusTag, GenderLabel } from './customer';
import { FactsCardView } from './Lifecycle';
import { Quotes } from './Quotes';
import { RevealPhone } from './RevealPhone';

const KIND_COLOR: Record<string, string> = {
  follow_added: 'green',
  follow_deleted: 'red',
  follow_deleted_by_customer: 'red',
  follow_deleted_by_staff: 'red',
  transferred: 'purple',
  tag_added: 'blue',
  tag_removed: 'gray',
  group_joined: 'cyan',
  channel_add: 'purple',
  stage_changed: 'geekblue',
  group_left: 'gray',
  order: 'orange',
  member: 'gold',
  identity_unlinked: 'magenta',
  order_paid: 'orange',
  refund: 'red',
  task_created: 'cyan',
  task_done: 'green',
  task_dismissed: 'gray',
};

function kindLabel(t: TFunction, kind: string): string {
  const key = `timelineKind.${kind}`;
  return kind && i18n.exists(key) ? t(key as 'timelineKind.order') : kind;
}

function Muted({ children }: { children: React.ReactNode }) {
  return <Typography.Text type="secondary">{children}</Typography.Text>;
}

/** How the customer was acquired: the channel codes they came through, with bait and staff. */
function AcquisitionCard({ customerId }: { customerId: number }) {
  const { t } = useTranslation();
  const lang = useLang();
  const acquisition = useAsync(
    (signal) => channelsApi.customerAcquisition(customerId, signal),
    `acquisition:${customerId}`,
  );
  const items = acquisition.data?.items ?? [];
  return (
    <Card
      title={t('profile.acquisition')}
      data-testid="acquisition"
      loading={acquisition.loading && !acquisition.data}
    >
      {acquisition.error ? <ErrorAlert error={acquisition.error} onRetry={acquisition.reload} /> : null}
      {items.length === 0 ? (
        <Muted>{t('profile.noAcquisition')}</Muted>
      ) : (
        items.map((a) => (
          <Flex key={`${a.channelId}-${a.addedAt}`} vertical gap={4} className="acquisition-row">
            <Flex align="center" gap={8} wrap>
              <Typography.Text strong>{a.channelName}</Typography.Text>
              {a.bait ? (
                <Tag color="gold" variant="filled">
                  {t('profile.bait', { bait: a.bait })}
                </Tag>
              ) : null}
              {a.welcomeMissed ? (
                <Tooltip title={t('profile.welcomeMissedHint')}>
                  <Tag color="warning">{t('profile.welcomeMissed')}</Tag>
                </Tooltip>
              ) : null}
            </Flex>
            <Muted>
              {t('profile.acquiredVia', { scene: a.scene, staff: a.staffName })} ·{' '}
              {formatDateTime(a.addedAt, lang)}
            </Muted>
          </Flex>
        ))
      )}
    </Card>
  );
}

function FollowCard({ follow, lang }: { follow: Follow; lang: Lang }) {
  const { t } = useTranslation();
  const none = <Muted>{t('common.none')}</Muted>;
  return (
    <Card
      type="inner"
      size="small"
      className="follow-card"
      data-testid="follow"
      title={
        <Flex align="center" gap={8} wrap>
          <Avatar size="small" style={{ backgroundColor: '#87a9ff' }}>
            {follow.staff.name.slice(0, 1)}
          </Avatar>
          <Typography.Text strong>{follow.staff.name}</Typography.Text>
          <PersonaTag persona={follow.staff.persona} name={follow.staff.personaName} />
          <JourneyRoleTag role={follow.journeyRole} />
        </Flex>
      }
      extra={<FollowStatusTag status={follow.status} />}
    >
      <Descriptions
        size="small"
        column={{ xs: 1, sm: 2 }}
        items={[
          { key: 'unit', label: t('profile.unit'), children: follow.staff.unitName },
          { key: 'addedAt', label: t('profile.addedAt'), children: formatDateTime(follow.addedAt, lang) },
          { key: 'remark', label: t('profile.remark'), children: follow.remark || none },
          { key: 'addWay', label: t('profile.addWay'), children: addWayLabel(t, follow.addWay) },
          {
            key: 'state',
            label: t('profile.state'),
            // the channel the code's state belongs to; a state no channel of Siyu's made stays as it is
            children: follow.channel ? (
              follow.channel.name
            ) : follow.state ? (
              <span className="mono">{follow.state}</span>
            ) : (
              none
            ),
          },
          { key: 'description', label: t('profile.description'), children: follow.description || none },
        ]}
      />
    </Card>
  );
}

function groupTags(tags: CustomerDetail['tags']) {
  const groups = new Map<number, { id: number; name: string; tags: { id: number; name: string }[] }>();
  for (const tag of tags) {
    let group = groups.get(tag.groupId);
    if (!group) {
      group = { id: tag.groupId, name: tag.groupName, tags: [] };
      groups.set(tag.groupId, group);
    }
    group.tags.push({ id: tag.id, name: tag.name });
  }
  return [...groups.values()];
}

function Profile({ data, onChanged }: { data: CustomerDetail; onChanged(): void }) {
  const { t } = useTranslation();
  const lang = useLang();
  const { customer, follows, timeline } = data;
  const tagGroups = useMemo(() => groupTags(data.tags), [data.tags]);
  const none = <Muted>{t('common.none')}</Muted>;
  // an undone identity link takes orders away: the orders card starts over
  const [ordersVersion, setOrdersVersion] = useState(0);
  const linksChanged = () => {
    setOrdersVersion((v) => v + 1);
    onChanged();
  };

  return (
    <Flex vertical gap={16}>
      <Card data-testid="profile-header">
        <Flex gap={20} align="flex-start" wrap>
          <CustomerAvatar name={customer.name} avatar={customer.avatar} size={72} />
          <Flex vertical gap={8} style={{ flex: 1, minWidth: 260 }}>
            <Flex align="center" gap={12} wrap>
              <Typography.Title level={3} style={{ margin: 0 }} data-testid="customer-name">
                {customer.name}
              </Typography.Title>
              <Tag>
                <GenderLabel gender={customer.gender} />
              </Tag>
              {follows.length > 0 ? (
                <Tag icon={<TeamOutlined />} color="processing">
                  {t('profile.followsCount', { count: follows.length })}
                </Tag>
              ) : null}
            </Flex>
            <Descriptions
              size="small"
              column={{ xs: 1, sm: 2, lg: 3 }}
              items={[
                {
                  key: 'phone',
                  label: t('profile.phone'),
                  children: customer.phoneMasked ? (
                    <RevealPhone customerId={customer.id} masked={customer.phoneMasked} />
                  ) : (
                    none
                  ),
                },
                {
                  key: 'firstAdded',
                  label: t('profile.firstAdded'),
                  children: formatDateTime(customer.firstAddedAt, lang),
                },
                {
                  key: 'createdAt',
                  label: t('profile.createdAt'),
                  children: formatDateTime(customer.createdAt, lang),
                },
              ]}
            />
          </Flex>
        </Flex>
      </Card>

      <Row gutter={[16, 16]} align="top">
        <Col xs={24} xl={14}>
          <Flex vertical gap={16}>
            <Card
              title={t('profile.follows')}
              extra={<Muted>{t('profile.followsCount', { count: follows.length })}</Muted>}
              data-testid="follows"
            >
              {follows.length > 1 ? (
                <Alert
                  type="info"
                  showIcon
                  icon={<TeamOutlined />}
                  data-testid="multi-follow-note"
                  title={t('profile.multiFollow', { count: follows.length })}
                  description={t('profile.multiFollowDesc')}
                  style={{ marginBottom: 16 }}
                />
              ) : null}
              {data.quotes.length > 0 ? (
                <div style={{ marginBottom: 16 }}>
                  <Quotes quotes={data.quotes} lang={lang} />
                </div>
              ) : null}
              {follows.length === 0 ? (
                <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('profile.noFollows')} />
              ) : (
                follows.map((f) => <FollowCard key={f.id} follow={f} lang={lang} />)
              )}
            </Card>
            <CustomerTasksCard
              customer={{ id: customer.id, name: customer.name }}
              assignees={follows
                .filter((f) => f.status === 'active')
                .map((f) => ({ staffId: f.staff.id, name: `${f.staff.name} · ${f.staff.unitName}` }))}
              onChanged={onChanged}
            />
            <OrdersCard key={ordersVersion} customerId={customer.id} />
          </Flex>
        </Col>
        <Col xs={24} xl={10}>
          <Flex vertical gap={16}>
            <FactsCardView facts={data.facts} />
            <AcquisitionCard customerId={customer.id} />
            <CustomerGroupsCard customerId={customer.id} />
            <IdentitiesCard customerId={customer.id} onChanged={linksChanged} />
            <Card
              title={t('profile.tags')}
              data-testid="tags"
              extra={<CustomerTagsEditor customerId={customer.id} current={data.tags} onSaved={onChanged} />}
            >
              {tagGroups.length === 0 ? (
                <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('profile.noTags')} />
              ) : (
                tagGroups.map((g) => (
                  <div key={g.id} className="tag-group">
                    <span className="tag-group-name">{g.name}</span>
                    <span className="tag-chips">
                      {g.tags.map((tag) => (
                        <Tag key={tag.id} color="blue" variant="filled">
                          {tag.name}
                        </Tag>
                      ))}
                    </span>
                  </div>
                ))
              )}
            </Card>
            <Card title={t('profile.timeline')} data-testid="timeline">
              {timeline.length === 0 ? (
                <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('profile.noTimeline')} />
              ) : (
                <Timeline
                  items={timeline.map((e) => ({
                    key: e.id,
                    color: KIND_COLOR[e.kind] ?? 'blue',
                    content: (
                      <div>
                        <Flex align="center" gap={8} wrap>
                          <Muted>{formatDateTime(e.at, lang)}</Muted>
                          <Tag color={KIND_COLOR[e.kind] ?? 'default'} style={{ marginInlineEnd: 0 }}>
                            {kindLabel(t, e.kind)}
                          </Tag>
                        </Flex>
                        <span className="timeline-summary" data-testid="timeline-text">
                          {e.text[lang]}
                        </span>
                        {e.actorName ? <Muted>{t('profile.by', { name: e.actorName })}</Muted> : null}
                      </div>
                    ),
                  }))}
                />
              )}
            </Card>
          </Flex>
        </Col>
      </Row>
    </Flex>
  );
}

export default function CustomerProfilePage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { id } = useParams();
  const customerId = Number(id);
  const valid = Number.isSafeInteger(customerId) && customerId > 0;
  const detail = useAsync(
    (signal) =>
      valid ? customersApi.customer(customerId, signal) : Promise.reject(new ApiError(404, 'not_found', '')),
    String(id),
  );
  const notFound = detail.error instanceof ApiError && detail.error.status === 404;

  const back = () => {
    if (window.history.state?.idx > 0) navigate(-1);
    else navigate('/customers');
  };

  return (
    <div data-testid="customer-profile">
      <Flex align="center" gap={12} className="page-header">
        <Button icon={<ArrowLeftOutlined />} onClick={back}>
          {t('profile.backToList')}
        </Button>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t('profile.title')}
        </Typography.Title>
      </Flex>
      {notFound ? (
        <Card>
          <Result status="404" title="404" subTitle={t('profile.notFound')} />
        </Card>
      ) : detail.error ? (
        <ErrorAlert error={detail.error} onRetry={detail.reload} />
      ) : !detail.data || (detail.loading && detail.data.customer.id !== customerId) ? (
        <Card>
          <Skeleton avatar active paragraph={{ rows: 4 }} />
        </Card>
      ) : (
        <Profile data={detail.data} onChanged={detail.reload} />
      )}
    </div>
  );
}
