import { Handle, type Node, type NodeProps, Position } from '@xyflow/react';
import { Typography } from 'antd';
import type { TFunction } from 'i18next';
import { memo } from 'react';
import { useTranslation } from 'react-i18next';
import type { GraphNode, NodeCounts, Trigger } from './api';
import { outEdges } from './flow';

export interface CardData extends Record<string, unknown> {
  /** The graph's node; absent on the trigger. */
  node?: GraphNode;
  trigger?: Trigger;
  counts?: NodeCounts;
  issues: string[];
  /** Its step number in the dry run's path. */
  pathStep?: number;
  isStart?: boolean;
}
export type CardNode = Node<CardData, 'card'>;

export const KIND_COLOR: Record<string, string> = {
  trigger: '#722ed1',
  send: '#1677ff',
  wait: '#faad14',
  branch: '#13c2c2',
  split: '#2f54eb',
  task: '#52c41a',
  tag: '#eb2f96',
  notify: '#fa8c16',
  exit: '#8c8c8c',
};

/** One line saying what a node does. */
export function nodeSummary(t: TFunction, n: GraphNode): string {
  switch (n.kind) {
    case 'send':
      return n.text ?? (n.contentId ? t('journeys.summary.content', { id: n.contentId }) : '');
    case 'wait': {
      const w = n.wait;
      if ('untilTime' in w) return t('journeys.summary.untilTime', { time: w.untilTime });
      if ('untilDate' in w) return t('journeys.summary.untilDate', { date: `${w.untilDate} ${w.at ?? ''}` });
      const parts = [
        w.days ? t('journeys.summary.days', { n: w.days }) : '',
        w.hours ? t('journeys.summary.hours', { n: w.hours }) : '',
        w.minutes ? t('journeys.summary.minutes', { n: w.minutes }) : '',
        w.at ?? '',
      ].filter(Boolean);
      return t('journeys.summary.wait', { text: parts.join(' ') });
    }
    case 'branch':
      return JSON.stringify(n.rule).slice(0, 80);
    case 'split':
      return n.arms.map((a) => `${a.percent}%`).join(' / ');
    case 'task':
      return `${n.title} · ${t('journeys.summary.dueIn', { n: n.dueInHours })}`;
    case 'tag':
      return t('journeys.summary.tags', { add: n.add.length, remove: n.remove.length });
    case 'notify':
      return n.text;
    default:
      return '';
  }
}

function CountsRow({ counts }: { counts: NodeCounts }) {
  const { t } = useTranslation();
  return (
    <div className="journey-node-counts" data-testid="node-counts">
      <span title={t('journeys.counts.entered')}>
        {t('journeys.counts.entered')} <b>{counts.entered}</b>
      </span>
      <span title={t('journeys.counts.waiting')}>
        {t('journeys.counts.waiting')} <b>{counts.waiting}</b>
      </span>
      <span title={t('journeys.counts.done')}>
        {t('journeys.counts.done')} <b>{counts.done}</b>
      </span>
      {counts.exited ? (
        <span title={t('journeys.counts.exited')}>
          {t('journeys.counts.exited')} <b>{counts.exited}</b>
        </span>
      ) : null}
      {counts.outcome ? (
        <>
          <span title={t('journeys.results.reached')}>
            {t('journeys.results.reached')} <b>{counts.outcome.reached}</b>
          </span>
          <span title={t('journeys.results.replied')} data-testid="node-replied">
            {t('journeys.results.replied')} <b>{counts.outcome.replied}</b>
          </span>
          <span title={t('journeys.results.converted')}>
            {t('journeys.results.converted')} <b>{counts.outcome.converted}</b>
          </span>
        </>
      ) : null}
    </div>
  );
}

/** A step on the canvas: its kind, label, what it does, its live counts and its problems. */
export const JourneyNodeCard = memo(function JourneyNodeCard({ data, selected }: NodeProps<CardNode>) {
  const { t } = useTranslation();
  const { node, trigger } = data;
  const kind = node?.kind ?? 'trigger';
  const handles = node ? outEdges(node) : [{ handle: 'next', to: undefined, label: undefined }];
  const classes = ['journey-node'];
  if (selected) classes.push('is-selected');
  if (data.issues.length) classes.push('has-issues');
  if (data.pathStep !== undefined) classes.push('on-path');
  return (
    <div
      className={classes.join(' ')}
      style={{ borderTopColor: data.issues.length ? '#ff4d4f' : KIND_COLOR[kind] }}
      data-testid={`journey-node-${node?.id ?? 'trigger'}`}
    >
      {node ? <Handle type="target" position={Position.Top} /> : null}
      <div className="journey-node-head">
        <span style={{ color: KIND_COLOR[kind] }}>{t(`journeys.kind.${kind}`)}</span>
        {data.isStart ? <span className="journey-node-start">{t('journeys.start')}</span> : null}
        {data.pathStep !== undefined ? <span className="journey-node-step">{data.pathStep + 1}</span> : null}
      </div>
      <div className="journey-node-label">
        {node ? node.label || node.id : trigger ? t(`journeys.trigger.${trigger.kind}`) : ''}
      </div>
      {node ? (
        <Typography.Paragraph className="journey-node-summary" ellipsis={{ rows: 2 }} type="secondary">
          {nodeSummary(t, node)}
        </Typography.Paragraph>
      ) : null}
      {data.counts ? <CountsRow counts={data.counts} /> : null}
      {data.issues.length ? (
        <ul className="journey-node-issues" data-testid="node-issues">
          {data.issues.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      ) : null}
      {handles.map((h, i) => (
        <Handle
          key={h.handle}
          id={h.handle}
          type="source"
          position={Position.Bottom}
          style={{ left: `${((i + 1) / (handles.length + 1)) * 100}%` }}
        >
          {handles.length > 1 ? (
            <span className="journey-handle-label">
              {h.handle === 'yes'
                ? t('journeys.field.yes')
                : h.handle === 'no'
                  ? t('journeys.field.no')
                  : (h.label ?? '')}
            </span>
          ) : null}
        </Handle>
      ))}
    </div>
  );
});
