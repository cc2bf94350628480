import { Segmented } from 'antd';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router-dom';
import { PageHeader } from '../../shared/components';
import { useMe } from '../accounts/auth';
import { LadderTab } from './Ladder';
import { PilotsTab } from './Pilots';
import { RoiTab } from './Roi';
import { ScorecardTab } from './Scorecard';

const TABS = ['roi', 'scorecard', 'pilots', 'ladder'] as const;
type Tab = (typeof TABS)[number];
const LABELS = {
  roi: 'levers.tabRoi',
  scorecard: 'levers.tabScorecard',
  pilots: 'levers.tabPilots',
  ladder: 'levers.tabLadder',
} as const;

/**
 * 经营杠杆: what moves GMV (issue 16, points 4–7), in the caller's scope: CAC and ROI of the spend, the
 * four-force scorecard per store, pilots against the other stores, and the product ladder. A store manager
 * opens it on the scorecard (her store's forces), the others on CAC and ROI.
 */
export default function LeversPage() {
  const { t } = useTranslation();
  const me = useMe();
  const [params, setParams] = useSearchParams();
  const raw = params.get('tab');
  const fallback: Tab = me.role === 'store_manager' ? 'scorecard' : 'roi';
  const tab: Tab = (TABS as readonly (string | null)[]).includes(raw) ? (raw as Tab) : fallback;
  return (
    <>
      <PageHeader title={t('levers.title')} subtitle={`${me.unitName} · ${t('levers.subtitle')}`} />
      <Segmented
        value={tab}
        onChange={(v) => setParams({ tab: String(v) }, { replace: true })}
        options={TABS.map((k) => ({ value: k, label: t(LABELS[k]) }))}
        style={{ marginBottom: 12, maxWidth: '100%' }}
        data-testid="levers-tabs"
      />
      {tab === 'roi' ? (
        <RoiTab />
      ) : tab === 'scorecard' ? (
        <ScorecardTab />
      ) : tab === 'pilots' ? (
        <PilotsTab />
      ) : (
        <LadderTab />
      )}
    </>
  );
}
