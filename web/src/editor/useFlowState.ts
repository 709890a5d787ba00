/**
 * React Flow's node and edge arrays for the editor: derived from the process file (only
 * changed steps get new objects, see sync.ts), plus React Flow's own state (selection,
 * measured sizes, positions while dragging) applied from its change events.
 */
import { applyEdgeChanges, applyNodeChanges, type EdgeChange, type NodeChange, useReactFlow } from '@xyflow/react';
import { useCallback, useMemo, useRef, useState } from 'react';
import type { FlowEdge, FlowNode, LabelWords } from '../graph/convert';
import { nodeSummary } from '../graph/summary';
import { useT } from '../i18n';
import type { PNode, ProcessDoc, ProcessStats, XY } from '../types';
import { typeLabel, wordsOf } from './ProcessNode';
import { dropEstimates, syncEdges, syncNodes } from './sync';

export function useFlowState({
  doc,
  autoPos,
  problemsByNode,
  stats,
  live,
  words,
  onSelected,
}: {
  doc: ProcessDoc;
  autoPos: Record<string, XY>;
  problemsByNode: Map<string, string[]>;
  stats: ProcessStats | null;
  live: boolean;
  words: LabelWords;
  /** Called when something gets selected (the phone opens its bottom sheet). */
  onSelected: () => void;
}) {
  const t = useT();
  const flow = useReactFlow<FlowNode, FlowEdge>();
  const [nodes, setNodes] = useState<FlowNode[]>([]);
  const [edges, setEdges] = useState<FlowEdge[]>([]);
  const pendingSelect = useRef<string[] | null>(null);

  // Derived state, updated during render when its inputs change (no extra paint).
  const inputs = useMemo(() => ({ doc, autoPos, problemsByNode, stats, live, t, words }), [doc, autoPos, problemsByNode, stats, live, t, words]);
  const [synced, setSynced] = useState<typeof inputs | null>(null);
  if (synced !== inputs) {
    setSynced(inputs);
    const w = wordsOf(t);
    setNodes((prev) => {
      const next = syncNodes(prev, doc, autoPos, (id) => {
        const node = doc.nodes[id] as PNode;
        return {
          problems: problemsByNode.get(id),
          stats: live ? stats?.nodes?.[id] : undefined,
          live,
          label: `${typeLabel(node, t)} ${id}: ${nodeSummary(node, w)}`,
        };
      });
      const want = pendingSelect.current;
      if (!want || !want.every((id) => next.some((n) => n.id === id))) return next;
      pendingSelect.current = null;
      const set = new Set(want);
      return next.map((n) => (!!n.selected === set.has(n.id) ? n : { ...n, selected: set.has(n.id) }));
    });
    setEdges((prev) => syncEdges(prev, doc, words));
  }

  /** Selects exactly these steps (also ones added in the same event), optionally centring one. */
  const select = useCallback(
    (want: string[], center = false) => {
      const set = new Set(want);
      setNodes((ns) => {
        // Steps just added may not be in the flow yet: select them when they arrive.
        if (want.some((id) => !ns.some((n) => n.id === id))) pendingSelect.current = want;
        return ns.map((n) => (!!n.selected === set.has(n.id) ? n : { ...n, selected: set.has(n.id) }));
      });
      setEdges((es) => es.map((e) => (e.selected ? { ...e, selected: false } : e)));
      if (want.length > 0) onSelected();
      if (center && want.length === 1) {
        const n = flow.getNode(want[0] as string);
        if (n) void flow.setCenter(n.position.x + 100, n.position.y + 40, { zoom: Math.max(flow.getZoom(), 0.8), duration: 300 });
      }
    },
    [flow, onSelected],
  );

  // Removals are not applied here: they go through the document (onDelete), then sync.
  const onNodesChange = useCallback(
    (changes: NodeChange<FlowNode>[]) => {
      const kept = changes.filter((c) => c.type === 'position' || c.type === 'dimensions' || c.type === 'select');
      if (kept.length > 0) {
        const measured = kept.some((c) => c.type === 'dimensions');
        setNodes((ns) => (measured ? dropEstimates(applyNodeChanges(kept, ns)) : applyNodeChanges(kept, ns)));
      }
      if (changes.some((c) => c.type === 'select' && c.selected)) onSelected();
    },
    [onSelected],
  );
  const onEdgesChange = useCallback((changes: EdgeChange<FlowEdge>[]) => {
    const kept = changes.filter((c) => c.type === 'select');
    if (kept.length > 0) setEdges((es) => applyEdgeChanges(kept, es));
  }, []);

  return { nodes, edges, select, onNodesChange, onEdgesChange };
}
