import { Alert, Card, Flex, Statistic, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { useLang } from '../../i18n';
import { formatDateTime, formatNumber } from '../../shared/format';
import { EXCLUSIONS, type Plan } from './api';

/** A plan: how many receive it, each reason others are left out or deferred (with when and a few names). */
export function PlanView({ plan }: { plan: Plan }) {
  const { t } = useTranslation();
  const lang = useLang();
  const until = (reason: string) => {
    const at =
      reason === 'quiet_hours'
        ? plan.deferred.quietHoursUntil
        : reason === 'capped'
          ? plan.deferred.cappedUntil
          : reason === 'monthly_cap'
            ? plan.deferred.monthlyCapUntil
            : null;
    return at ? t('massSends.until', { at: formatDateTime(at, lang) }) : null;
  };
  const reasons = EXCLUSIONS.filter((e) => plan.excluded[e] > 0);
  return (
    <Card size="small" title={t('massSends.planTitle')} data-testid="mass-send-plan">
      <Flex gap={32} wrap style={{ marginBottom: 12 }}>
        <Statistic title={t('massSends.total')} value={plan.total} />
        <Statistic
          title={t('massSends.receiving')}
          value={plan.receiving}
          valueStyle={{ color: '#07c160' }}
        />
      </Flex>
      {plan.guard.blocked ? (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 12 }}
          title={t('massSends.guardBlocked', {
            count: plan.guard.notPriceSensitive,
            threshold: plan.guard.threshold,
          })}
          data-testid="mass-send-guard"
        />
      ) : null}
      {reasons.length ? (
        <>
          <Typography.Text strong>{t('massSends.excludedTitle')}</Typography.Text>
          <Flex vertical gap={8} style={{ marginTop: 8, marginBottom: 12 }}>
            {reasons.map((r) => (
              <div key={r} data-testid={`mass-send-reason-${r}`}>
                <div className="mass-reason">
                  <span>{t(`massSends.reason.${r}`)}</span>
                  <Typography.Text strong>{formatNumber(plan.excluded[r], lang)}</Typography.Text>
                </div>
                {until(r) ? <Typography.Text type="secondary">{until(r)}</Typography.Text> : null}
                {plan.samples[r].length ? (
                  <div>
                    <Typography.Text type="secondary">
                      {t('massSends.sample')} {plan.samples[r].map((s) => s.name).join('、')}
                    </Typography.Text>
                  </div>
                ) : null}
              </div>
            ))}
          </Flex>
        </>
      ) : null}
      {plan.senders.length ? (
        <>
          <Typography.Text strong>{t('massSends.senders')}</Typography.Text>
          <Flex gap={4} wrap style={{ marginTop: 8 }}>
            {plan.senders.slice(0, 30).map((s) => (
              <Tag key={s.staffId}>{t('massSends.senderCount', { name: s.name, count: s.customers })}</Tag>
            ))}
          </Flex>
        </>
      ) : null}
    </Card>
  );
}
