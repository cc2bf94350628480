import { Descriptions, Progress, Space, Tooltip, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import type { Persona } from './api';

const pct = (n: number, of: number) => (of > 0 ? Math.round((n / of) * 100) : 0);

/** A share of the group's customers, as a small bar with the count. */
function Share({ n, of }: { n: number; of: number }) {
  return (
    <Space size={8} style={{ width: '100%' }}>
      <Progress percent={pct(n, of)} size="small" style={{ width: 120, margin: 0 }} />
      <Typography.Text type="secondary">{n}</Typography.Text>
    </Space>
  );
}

/** A group's (or a unit's) persona: who its customers are; activity last, never the headline. */
export function PersonaView({ persona }: { persona: Persona }) {
  const { t } = useTranslation();
  const p = persona;
  const buyers = p.withOrders;
  return (
    <Descriptions
      size="small"
      column={1}
      data-testid="group-persona"
      items={[
        { key: 'members', label: t('groups.persona.members'), children: p.members },
        {
          key: 'withOrders',
          label: t('groups.persona.withOrders'),
          children: <Share n={p.withOrders} of={p.members} />,
        },
        {
          key: 'loyalty',
          label: t('groups.persona.loyalty'),
          children: <Share n={p.loyaltyMembers} of={p.members} />,
        },
        {
          key: 'hf',
          label: t('groups.persona.highFrequency'),
          children: <Share n={p.highFrequency} of={p.members} />,
        },
        {
          key: 'bands',
          label: t('groups.persona.priceBands'),
          children: (
            <Space wrap size={[12, 4]}>
              {(['band0', 'band1', 'band2', 'band3'] as const).map((b, i) => (
                <Typography.Text key={b}>
                  {t(`groups.persona.${b}`)}: <b>{pct(p.priceBands[i] ?? 0, buyers)}%</b>
                </Typography.Text>
              ))}
            </Space>
          ),
        },
        {
          key: 'newOld',
          label: t('groups.persona.newOld'),
          children: (
            <Typography.Text>
              {t('groups.persona.newBuyers')} {p.newBuyers} · {t('groups.persona.oldBuyers')} {p.oldBuyers} ·{' '}
              {t('groups.persona.unknown')} {p.members - p.withOrders}
            </Typography.Text>
          ),
        },
        {
          key: 'messages',
          label: (
            <Tooltip title={t('groups.persona.messagesNote')}>
              <Typography.Text type="secondary">{t('groups.persona.messages')}</Typography.Text>
            </Tooltip>
          ),
          children: (
            <Typography.Text type="secondary">
              {p.messages === null ? t('groups.persona.noMessages') : p.messages}
            </Typography.Text>
          ),
        },
      ]}
    />
  );
}
