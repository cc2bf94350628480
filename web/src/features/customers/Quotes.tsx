import { Alert, Flex, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { formatDateTime, formatMoney } from '../../shared/format';
import type { CustomerDetail } from './api';

type Quote = CustomerDetail['quotes'][number];
type Lang = 'zh' | 'en';

/**
 * Each member's latest quote (报价) per item; the items colleagues quoted differently first, as a warning
 * with every member's price, because the customer has heard more than one.
 */
export function Quotes({ quotes, lang }: { quotes: Quote[]; lang: Lang }) {
  const { t } = useTranslation();
  if (quotes.length === 0) return null;
  const conflicts = new Map<string, Quote[]>();
  for (const q of quotes.filter((x) => x.conflicting)) {
    conflicts.set(q.item, [...(conflicts.get(q.item) ?? []), q]);
  }
  const calm = quotes.filter((q) => !q.conflicting);
  return (
    <Flex vertical gap={8} data-testid="quotes">
      {[...conflicts.values()].map((qs) => (
        <Alert
          key={qs[0]!.item}
          type="warning"
          showIcon
          data-testid="quote-conflict"
          title={t('profile.quoteConflict', { item: qs[0]!.item })}
          description={
            <Flex vertical gap={2}>
              {qs.map((q) => (
                <span key={q.staffId}>
                  {t('profile.quoteBy', { staff: q.staffName, amount: formatMoney(q.amountFen, lang) })}
                  <Typography.Text type="secondary"> · {formatDateTime(q.at, lang)}</Typography.Text>
                </span>
              ))}
              <Typography.Text type="secondary">{t('profile.quoteConflictDesc')}</Typography.Text>
            </Flex>
          }
        />
      ))}
      {calm.length > 0 ? (
        <Flex wrap gap={4} align="center">
          <Typography.Text type="secondary">{t('profile.quotes')}</Typography.Text>
          {calm.map((q) => (
            <Tag key={`${q.staffId}:${q.item}`} bordered={false} data-testid="quote">
              {q.item} {formatMoney(q.amountFen, lang)} · {q.staffName}
            </Tag>
          ))}
        </Flex>
      ) : null}
    </Flex>
  );
}
