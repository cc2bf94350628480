import { LoadingOutlined, TeamOutlined } from '@ant-design/icons';
import { Alert, Empty, Flex, Spin, Table, type TableColumnsType, Typography } from 'antd';
import { type HTMLAttributes, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router-dom';
import { useLang } from '../../i18n';
import { isAbort } from '../../shared/api/client';
import { formatDate, formatMoney, formatNumber } from '../../shared/format';
import { CustomerAvatar } from '../customers/customer';
import { StageTag } from '../customers/Lifecycle';
import { type Rule, type SegmentMember, type SegmentPreview, segmentsApi } from './api';

/** How long the rule must stay unchanged before it is counted. */
const DEBOUNCE_MS = 300;

export interface Audience {
  /** The last count that came back, for the rule shown or an earlier one while `counting`. */
  preview: SegmentPreview | null;
  /** The rule currently shown was sent (or is about to be) and has not answered yet. */
  counting: boolean;
  error: Error | null;
}

/**
 * The exact audience of `rule`, recounted as it changes: after DEBOUNCE_MS of quiet, one request; a change
 * aborts the request in flight, so an older answer never overwrites a newer one.
 */
export function useAudience(rule: Rule | null): Audience {
  const key = rule ? JSON.stringify(rule) : '';
  const [state, setState] = useState<Audience>({ preview: null, counting: false, error: null });

  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` is the rule, serialised.
  useEffect(() => {
    if (!rule) {
      setState({ preview: null, counting: false, error: null });
      return;
    }
    const ctrl = new AbortController();
    setState((s) => ({ ...s, counting: true }));
    const timer = window.setTimeout(() => {
      segmentsApi.previewSegment(rule, ctrl.signal).then(
        (preview) => {
          if (!ctrl.signal.aborted) setState({ preview, counting: false, error: null });
        },
        (err: unknown) => {
          if (ctrl.signal.aborted || isAbort(err)) return;
          setState({
            preview: null,
            counting: false,
            error: err instanceof Error ? err : new Error(String(err)),
          });
        },
      );
    }, DEBOUNCE_MS);
    return () => {
      window.clearTimeout(timer);
      ctrl.abort();
    };
  }, [key]);

  return state;
}

/** The live count (big), its state (counting / invalid rule / no condition yet) and a sample of members. */
export function AudiencePanel({
  audience,
  hasRule,
  errorText,
}: {
  audience: Audience;
  hasRule: boolean;
  /** The server's complaint about the rule, as shown to the user. */
  errorText?: string;
}) {
  const { t } = useTranslation();
  const lang = useLang();
  const navigate = useNavigate();
  const { preview, counting, error } = audience;

  const columns: TableColumnsType<SegmentMember> = useMemo(
    () => [
      {
        key: 'name',
        title: t('ruleAudience.member'),
        render: (_, m) => (
          <Flex align="center" gap={8}>
            <CustomerAvatar name={m.name} avatar={m.avatar} size={28} />
            <Typography.Text strong ellipsis style={{ maxWidth: 120 }}>
              {m.name}
            </Typography.Text>
          </Flex>
        ),
      },
      { key: 'stage', title: t('ruleAudience.stageTitle'), render: (_, m) => <StageTag stage={m.stage} /> },
      {
        key: 'ltv',
        title: t('ruleAudience.ltv'),
        align: 'right',
        render: (_, m) => formatMoney(m.ltvFen, lang),
      },
      {
        key: 'last',
        title: t('ruleAudience.lastOrder'),
        render: (_, m) => <span style={{ whiteSpace: 'nowrap' }}>{formatDate(m.lastOrderAt, lang)}</span>,
      },
    ],
    [t, lang],
  );

  return (
    <Flex vertical gap={16}>
      <Flex align="center" gap={16} className="audience-count" data-testid="audience">
        <TeamOutlined className="audience-icon" />
        <div>
          <Typography.Text type="secondary">{t('ruleAudience.count')}</Typography.Text>
          <Flex align="baseline" gap={10}>
            <span
              className={`audience-number${counting ? ' audience-stale' : ''}`}
              data-testid="audience-count"
              data-counting={counting ? 'true' : 'false'}
            >
              {hasRule && preview && !error ? formatNumber(preview.count, lang) : '—'}
            </span>
            <Typography.Text type="secondary">{t('ruleAudience.people')}</Typography.Text>
            {counting ? <Spin indicator={<LoadingOutlined spin />} size="small" /> : null}
          </Flex>
        </div>
      </Flex>
      {!hasRule ? (
        <Typography.Text type="secondary">{t('ruleAudience.noRule')}</Typography.Text>
      ) : error ? (
        <Alert
          type="error"
          showIcon
          title={t('ruleAudience.invalid')}
          description={errorText ?? error.message}
          data-testid="audience-error"
        />
      ) : null}
      {hasRule && preview && !error ? (
        <div>
          <Typography.Text type="secondary">
            {t('ruleAudience.sample', { count: preview.sample.length })}
          </Typography.Text>
          <Table<SegmentMember>
            className="clickable-rows"
            rowKey="id"
            size="small"
            columns={columns}
            dataSource={preview.sample}
            pagination={false}
            style={{ marginTop: 8 }}
            onRow={(m) =>
              ({
                'data-testid': 'audience-member',
                tabIndex: 0,
                onClick: () => navigate(`/customers/${m.id}`),
                onKeyDown: (e) => {
                  if (e.key === 'Enter') navigate(`/customers/${m.id}`);
                },
              }) as HTMLAttributes<HTMLElement>
            }
            locale={{
              emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('ruleAudience.empty')} />,
            }}
          />
        </div>
      ) : null}
    </Flex>
  );
}
