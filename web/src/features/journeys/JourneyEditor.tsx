import { ArrowLeftOutlined, PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import {
  applyNodeChanges,
  Background,
  type Connection,
  Controls,
  type Edge,
  type EdgeChange,
  MarkerType,
  type NodeChange,
  ReactFlow,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import './journeys.css';
import { Alert, App, Button, Dropdown, Flex, Space, Tag, Typography } from 'antd';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router-dom';
import { ErrorAlert, PageHeader } from '../../shared/components';
import { useAsync } from '../../shared/hooks';
import {
  type DryRun,
  type Graph,
  type GraphIssue,
  type GraphNode,
  type Journey,
  journeysApi,
  NODE_KINDS,
  type NodeCounts,
  STATUS_COLOR,
} from './api';
import { DryRunPanel } from './DryRunPanel';
import {
  issuesByNode,
  layout,
  newNode,
  outEdges,
  TRIGGER_ID,
  triggerPosition,
  withEdge,
  withoutEdgesTo,
} from './flow';
import { type CardNode, JourneyNodeCard } from './JourneyNodeCard';
import { NodeInspector } from './NodeInspector';

const nodeTypes = { card: JourneyNodeCard };
/** Live counts are fetched again this often while the page is open. */
const COUNTS_EVERY_MS = 20_000;

/** One journey on a canvas: steps with live counts and problems, edited by dragging; publish, pause, dry run. */
export function JourneyEditor({ id }: { id: number }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { message, modal } = App.useApp();
  const loaded = useAsync((signal) => journeysApi.journey(id, signal), `journey:${id}`);
  const [journey, setJourney] = useState<Journey | null>(null);
  const [graph, setGraph] = useState<Graph | null>(null);
  const [dirty, setDirty] = useState(false);
  const [issues, setIssues] = useState<GraphIssue[]>([]);
  const [counts, setCounts] = useState<NodeCounts[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [dryOpen, setDryOpen] = useState(false);
  const [dry, setDry] = useState<DryRun | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!loaded.data) return;
    setJourney(loaded.data);
    setGraph(loaded.data.graph);
    setCounts(loaded.data.counts);
    setDirty(false);
  }, [loaded.data]);

  // Live counts of the current version.
  useEffect(() => {
    if (!journey) return;
    const ctrl = new AbortController();
    const timer = window.setInterval(() => {
      journeysApi.counts(id, journey.currentVersion, ctrl.signal).then(
        (r) => setCounts(r.items),
        () => undefined,
      );
    }, COUNTS_EVERY_MS);
    return () => {
      window.clearInterval(timer);
      ctrl.abort();
    };
  }, [id, journey]);

  // Every edit is checked by the server's own rules (debounced); problems land on their nodes.
  const checkTimer = useRef<number | undefined>(undefined);
  useEffect(() => {
    if (!graph || !dirty) return;
    const ctrl = new AbortController();
    window.clearTimeout(checkTimer.current);
    checkTimer.current = window.setTimeout(() => {
      journeysApi.check(graph, ctrl.signal).then(
        (r) => setIssues(r.issues),
        () => undefined,
      );
    }, 300);
    return () => {
      window.clearTimeout(checkTimer.current);
      ctrl.abort();
    };
  }, [graph, dirty]);

  const readOnly = !journey?.editable || journey.status === 'archived';
  const edit = useCallback((f: (g: Graph) => Graph) => {
    setGraph((g) => (g ? f(g) : g));
    setDirty(true);
  }, []);

  const positions = useMemo(() => (graph ? layout(graph) : new Map()), [graph]);
  const byNode = useMemo(
    () => (graph ? issuesByNode(issues, graph) : { map: new Map(), general: [] }),
    [issues, graph],
  );
  const pathSteps = useMemo(() => {
    const m = new Map<string, number>();
    dry?.path.forEach((s, i) => {
      if (!m.has(s.node)) m.set(s.node, i);
    });
    return m;
  }, [dry]);

  // The canvas's nodes: derived from the graph, keeping what React Flow measured.
  const [flowNodes, setFlowNodes] = useState<CardNode[]>([]);
  useEffect(() => {
    if (!graph) return;
    const countsOf = new Map(counts.map((c) => [c.node, c]));
    const next: CardNode[] = [
      {
        id: TRIGGER_ID,
        type: 'card',
        position: triggerPosition(positions, graph.start),
        data: { trigger: graph.trigger, issues: byNode.map.get(TRIGGER_ID) ?? [] },
        deletable: false,
        selected: selected === TRIGGER_ID,
      },
      ...graph.nodes.map(
        (n): CardNode => ({
          id: n.id,
          type: 'card',
          position: positions.get(n.id)!,
          data: {
            node: n,
            counts: countsOf.get(n.id),
            issues: byNode.map.get(n.id) ?? [],
            pathStep: pathSteps.get(n.id),
            isStart: n.id === graph.start,
          },
          deletable: !readOnly,
          selected: selected === n.id,
        }),
      ),
    ];
    setFlowNodes((prev) => {
      const measured = new Map(prev.map((p) => [p.id, p.measured]));
      return next.map((n) => ({ ...n, measured: measured.get(n.id) }));
    });
  }, [graph, positions, counts, byNode, pathSteps, selected, readOnly]);

  const edges: Edge[] = useMemo(() => {
    if (!graph) return [];
    const ids = new Set(graph.nodes.map((n) => n.id));
    const out: Edge[] = [];
    if (ids.has(graph.start)) {
      out.push({
        id: `${TRIGGER_ID}:next`,
        source: TRIGGER_ID,
        sourceHandle: 'next',
        target: graph.start,
        deletable: false,
        markerEnd: { type: MarkerType.ArrowClosed },
      });
    }
    for (const n of graph.nodes) {
      for (const e of outEdges(n)) {
        if (!e.to || !ids.has(e.to)) continue;
        const onPath = dry?.path.some((s, i) => s.node === n.id && dry.path[i + 1]?.node === e.to);
        out.push({
          id: `${n.id}:${e.handle}`,
          source: n.id,
          sourceHandle: e.handle,
          target: e.to,
          label:
            e.handle === 'yes'
              ? t('journeys.field.yes')
              : e.handle === 'no'
                ? t('journeys.field.no')
                : e.label,
          deletable: !readOnly,
          animated: onPath,
          style: onPath ? { stroke: '#1677ff', strokeWidth: 2 } : undefined,
          markerEnd: { type: MarkerType.ArrowClosed },
        });
      }
    }
    return out;
  }, [graph, dry, readOnly, t]);

  const onNodesChange = useCallback(
    (changes: NodeChange<CardNode>[]) => {
      setFlowNodes((ns) => applyNodeChanges(changes, ns));
      for (const c of changes) {
        if (c.type === 'position' && c.position && c.dragging === false && !readOnly && c.id !== TRIGGER_ID) {
          const p = { x: Math.round(c.position.x), y: Math.round(c.position.y) };
          edit((g) => ({ ...g, nodes: g.nodes.map((n) => (n.id === c.id ? { ...n, position: p } : n)) }));
        }
        if (c.type === 'remove' && !readOnly && c.id !== TRIGGER_ID) {
          edit((g) => ({
            ...g,
            nodes: g.nodes.filter((n) => n.id !== c.id).map((n) => withoutEdgesTo(n, c.id)),
          }));
          setSelected(null);
        }
      }
    },
    [edit, readOnly],
  );
  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      if (readOnly) return;
      for (const c of changes) {
        if (c.type !== 'remove') continue;
        const [source, handle] = c.id.split(':') as [string, string];
        if (source === TRIGGER_ID) continue;
        edit((g) => ({
          ...g,
          nodes: g.nodes.map((n) => (n.id === source ? withEdge(n, handle, undefined) : n)),
        }));
      }
    },
    [edit, readOnly],
  );
  const onConnect = useCallback(
    (c: Connection) => {
      if (readOnly || !c.target || c.target === TRIGGER_ID) return;
      if (c.source === TRIGGER_ID) {
        edit((g) => ({ ...g, start: c.target }));
        return;
      }
      edit((g) => ({
        ...g,
        nodes: g.nodes.map((n) => (n.id === c.source ? withEdge(n, c.sourceHandle ?? 'next', c.target) : n)),
      }));
    },
    [edit, readOnly],
  );

  if (loaded.error) return <ErrorAlert error={loaded.error} onRetry={loaded.reload} />;
  if (!journey || !graph) return null;

  const save = async (): Promise<Journey | null> => {
    const checked = await journeysApi.check(graph);
    setIssues(checked.issues);
    if (!checked.ok) {
      void message.error(t('journeys.fixFirst'));
      return null;
    }
    const before = journey.currentVersion;
    const saved = await journeysApi.update(id, { graph });
    setJourney(saved);
    setGraph(saved.graph);
    setCounts(saved.counts);
    setDirty(false);
    void message.success(
      saved.currentVersion !== before
        ? t('journeys.savedNewVersion', { version: saved.currentVersion })
        : t('journeys.saved'),
    );
    return saved;
  };
  const act = async (f: () => Promise<unknown>) => {
    setBusy(true);
    try {
      await f();
    } catch (e) {
      void message.error((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const setStatus = (status: 'active' | 'paused' | 'archived', done: string) =>
    act(async () => {
      if (dirty && status === 'active' && !(await save())) return;
      const r = await journeysApi.setStatus(id, status);
      setJourney(r);
      setCounts(r.counts);
      void message.success(done);
    });

  const selectedNode = graph.nodes.find((n) => n.id === selected) ?? null;
  const addNode = (kind: GraphNode['kind']) => {
    const ys = [...positions.values()].map((p) => p.y);
    const n = newNode(graph, kind, { x: 260, y: Math.max(0, ...ys) + 150 });
    edit((g) => ({ ...g, nodes: [...g.nodes, n] }));
    setSelected(n.id);
  };

  return (
    <>
      <PageHeader
        title={
          <Space wrap size={8}>
            <Button
              type="text"
              icon={<ArrowLeftOutlined />}
              onClick={() => navigate('/journeys')}
              aria-label={t('journeys.back')}
            />
            <span data-testid="journey-name">{journey.name}</span>
            <Tag color={STATUS_COLOR[journey.status]} data-testid="journey-status">
              {t(`journeys.status.${journey.status}`)}
            </Tag>
            <Tag>{t('journeys.version', { version: journey.currentVersion })}</Tag>
          </Space>
        }
        subtitle={`${t(`journeys.trigger.${graph.trigger.kind}`)} · ${journey.unitName}`}
        extra={
          <Flex wrap gap={8} className="journey-actions">
            <Button icon={<ReloadOutlined />} onClick={loaded.reload} aria-label={t('journeys.refresh')} />
            <Button onClick={() => setDryOpen(true)} data-testid="journey-dry-run">
              {t('journeys.dryRun')}
            </Button>
            {!readOnly ? (
              <>
                <Dropdown
                  menu={{
                    items: NODE_KINDS.map((k) => ({ key: k, label: t(`journeys.kind.${k}`) })),
                    onClick: ({ key }) => addNode(key as GraphNode['kind']),
                  }}
                >
                  <Button icon={<PlusOutlined />}>{t('journeys.addNode')}</Button>
                </Dropdown>
                <Button disabled={!dirty} loading={busy} onClick={() => act(save)} data-testid="journey-save">
                  {t('journeys.save')}
                </Button>
                {journey.status === 'draft' ? (
                  <Button
                    type="primary"
                    loading={busy}
                    onClick={() => setStatus('active', t('journeys.published'))}
                    data-testid="journey-publish"
                  >
                    {t('journeys.publish')}
                  </Button>
                ) : null}
              </>
            ) : null}
            {journey.editable && journey.status === 'active' ? (
              <Button
                loading={busy}
                onClick={() => setStatus('paused', t('journeys.paused'))}
                data-testid="journey-pause"
              >
                {t('journeys.pause')}
              </Button>
            ) : null}
            {journey.editable && journey.status === 'paused' ? (
              <Button
                type="primary"
                loading={busy}
                onClick={() => setStatus('active', t('journeys.resumed'))}
                data-testid="journey-resume"
              >
                {t('journeys.resume')}
              </Button>
            ) : null}
            {journey.editable && journey.status !== 'archived' && journey.status !== 'draft' ? (
              <Button
                danger
                loading={busy}
                onClick={() =>
                  modal.confirm({
                    title: t('journeys.archiveConfirm'),
                    onOk: () => setStatus('archived', t('journeys.archived')),
                  })
                }
              >
                {t('journeys.archive')}
              </Button>
            ) : null}
          </Flex>
        }
      />
      {!journey.editable ? (
        <Alert type="info" showIcon title={t('journeys.readOnly')} style={{ marginBottom: 12 }} />
      ) : null}
      {dirty ? (
        <Typography.Text type="warning" style={{ display: 'block', marginBottom: 8 }}>
          {t('journeys.unsaved')}
        </Typography.Text>
      ) : null}
      {issues.length ? (
        <Alert
          type="error"
          showIcon
          style={{ marginBottom: 12 }}
          data-testid="journey-issues"
          title={t('journeys.issues', { count: issues.length })}
          description={
            byNode.general.length ? (
              <ul style={{ margin: 0, paddingInlineStart: 16 }}>
                {byNode.general.map((m: string) => (
                  <li key={m}>{m}</li>
                ))}
              </ul>
            ) : undefined
          }
        />
      ) : null}
      <div className="journey-canvas" data-testid="journey-canvas">
        <ReactFlow<CardNode>
          nodes={flowNodes}
          edges={edges}
          nodeTypes={nodeTypes}
          onNodesChange={onNodesChange}
          onEdgesChange={onEdgesChange}
          onConnect={onConnect}
          onNodeClick={(_, n) => setSelected(n.id)}
          onPaneClick={() => setSelected(null)}
          nodesDraggable={!readOnly}
          nodesConnectable={!readOnly}
          deleteKeyCode={readOnly ? null : ['Backspace', 'Delete']}
          fitView
          fitViewOptions={{ padding: 0.15 }}
          minZoom={0.2}
        >
          <Background gap={20} />
          <Controls showInteractive={false} />
        </ReactFlow>
      </div>
      <NodeInspector
        open={selected !== null}
        node={selectedNode}
        trigger={selected === TRIGGER_ID ? { trigger: graph.trigger, reentry: graph.reentry } : null}
        isStart={selected === graph.start}
        counts={counts.find((c) => c.node === selected)}
        issues={selected ? (byNode.map.get(selected) ?? []) : []}
        readOnly={readOnly}
        running={journey.status === 'active' || journey.status === 'paused'}
        onClose={() => setSelected(null)}
        onChange={(n) => edit((g) => ({ ...g, nodes: g.nodes.map((x) => (x.id === n.id ? n : x)) }))}
        onTrigger={(trigger, reentry) => edit((g) => ({ ...g, trigger, reentry }))}
        onDelete={() => {
          const gone = selected;
          if (!gone) return;
          edit((g) => ({
            ...g,
            nodes: g.nodes.filter((n) => n.id !== gone).map((n) => withoutEdgesTo(n, gone)),
          }));
          setSelected(null);
        }}
        onSetStart={() => selected && edit((g) => ({ ...g, start: selected }))}
      />
      <DryRunPanel open={dryOpen} journeyId={id} onClose={() => setDryOpen(false)} onResult={setDry} />
    </>
  );
}
