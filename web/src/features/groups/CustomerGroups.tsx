import { QuestionCircleOutlined } from '@ant-design/icons';
import { Alert, Card, Empty, Flex, Space, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { useLang } from '../../i18n';
import { ErrorAlert } from '../../shared/components';
import { formatDate, formatDateTime } from '../../shared/format';
import { useAsync } from '../../shared/hooks';
import { groupsApi } from './api';
import { TypeTag } from './GroupsPage';

/** On a customer's profile: the groups they are (or were) in, and why routing chose their group. */
export function CustomerGroupsCard({ customerId }: { customerId: number }) {
  const { t } = useTranslation();
  const lang = useLang();
  const data = useAsync(
    (signal) => groupsApi.ofCustomer(customerId, signal),
    `customer-groups:${customerId}`,
  );
  const groups = data.data?.groups ?? [];
  const decision = data.data?.decisions[0];
  return (
    <Card
      title={t('customerGroups.title')}
      data-testid="customer-groups"
      loading={data.loading && !data.data}
    >
      {data.error ? <ErrorAlert error={data.error} onRetry={data.reload} /> : null}
      {decision ? (
        <Alert
          type="info"
          showIcon
          icon={<QuestionCircleOutlined />}
          style={{ marginBottom: 12 }}
          data-testid="group-why"
          title={`${t('customerGroups.why')}：${decision.groupName ?? t('customerGroups.noCode')}`}
          description={
            <Flex vertical gap={2}>
              <span>{decision.reason[lang]}</span>
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {t('customerGroups.decidedAt', {
                  time: formatDateTime(decision.decidedAt, lang),
                  staff: decision.staffName ?? '',
                })}
              </Typography.Text>
            </Flex>
          }
        />
      ) : null}
      {groups.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('customerGroups.none')} />
      ) : (
        <Flex vertical gap={8}>
          {groups.map((g) => (
            <Flex key={g.id} justify="space-between" wrap gap={4} style={{ opacity: g.leftAt ? 0.6 : 1 }}>
              <Space size={6} wrap>
                {g.linkable ? <Link to={`/groups/${g.id}`}>{g.name}</Link> : <span>{g.name}</span>}
                <TypeTag type={g.type} />
                {g.leftAt ? <Tag>{t('customerGroups.left')}</Tag> : null}
              </Space>
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {g.unitName} · {formatDate(g.joinedAt, lang)}
              </Typography.Text>
            </Flex>
          ))}
        </Flex>
      )}
    </Card>
  );
}
