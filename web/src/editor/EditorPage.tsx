/**
 * The process page: the graph editor (React Flow), the outline, the statistics; toolbar
 * (save, undo/redo, copy/paste, arrange, views, live numbers), the palette, and the side
 * panel with the selected step's form (a bottom sheet on phones).
 */
import { Background, type Connection, Controls, MarkerType, MiniMap, type OnConnectEnd, ReactFlow, ReactFlowProvider, useReactFlow } from '@xyflow/react';
import { type DragEvent, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import * as api from '../api';
import { ApiError } from '../api';
import { useAnnounce, useIsPhone } from '../components/ui';
import { copyNodes, pasteNodes, readClipboard, writeClipboard } from '../graph/clipboard';
import type { FlowEdge, FlowNode, LabelWords } from '../graph/convert';
import { autoPositions, freeSpot, layeredLayout, rowGap, shiftBelow, uiPosition } from '../graph/layout';
import { branchesOf } from '../graph/model';
import { addNode, connect, deleteNodes, disconnect, insertOnEdge, type PaletteKind, renameNode, updateNode, withPositions } from '../graph/ops';
import { nodeOfPath, validateDoc } from '../graph/validate';
import { useT } from '../i18n';
import { navigate, routes, setNavigationBlocker } from '../router';
import { useSession } from '../session';
import type { Catalog, JsonObject, PNode, ProcessDoc, ProcessRecord, ProcessStats, XY } from '../types';
import { BranchEdge } from './BranchEdge';
import { ContactsDialog } from './ContactsDialog';
import { EditorHeader, EditorTools, type View } from './EditorBar';
import { type ContactsWhat, EditorContext, type EditorActions } from './context';
import type { Option } from './fields';
import type { Names } from './FilterEditor';
import { ariaLabels, isTyping, mergeStats, miniColor, problemText } from './helpers';
import { NodeForm } from './NodeForm';
import { Outline } from './Outline';
import { AddStepDialog, DRAG_TYPE, PaletteList } from './Palette';
import { ProcessNode, typeLabel } from './ProcessNode';
import { ProcessSettings } from './ProcessSettings';
import { StatsView } from './StatsView';
import { useEditorState } from './useEditorState';
import { useFlowState } from './useFlowState';

const nodeTypes = { process: ProcessNode };
const edgeTypes = { branch: BranchEdge };
const defaultEdgeOptions = { type: 'branch', markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16 } };
const STATS_POLL_MS = 15000;
const fitOptions = { includeHiddenNodes: true, padding: 0.1 };


export function EditorPage({ id, view }: { id: string; view?: string | undefined }) {
  const t = useT();
  const [record, setRecord] = useState<ProcessRecord | null>(null);
  const [catalog, setCatalog] = useState<Catalog | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let live = true;
    setRecord(null);
    setError(null);
    api
      .takePrefetched(`process:${id}`, () => api.getProcess(id))
      .then((r) => live && setRecord(r))
      .catch((e: unknown) => live && setError(e instanceof Error ? e.message : String(e)));
    api
      .takePrefetched('catalog', api.getCatalog)
      .then((c) => live && setCatalog(c))
      .catch(() => undefined); // dropdowns fall back to free text
    return () => {
      live = false;
    };
  }, [id, attempt]);
  if (error) {
    return (
      <main id="main" className="page">
        <p className="error-text" role="alert">
          {t('editor.loadFailed')} {error}
        </p>
        <button type="button" onClick={() => setAttempt((n) => n + 1)}>
          {t('app.retry')}
        </button>{' '}
        <a href={routes.list()}>{t('app.toProcesses')}</a>
      </main>
    );
  }
  if (!record) return <p className="loading page">{t('app.loading')}</p>;
  return (
    <ReactFlowProvider>
      <Editor key={String(record.id)} record={record} catalog={catalog} initialView={view === 'outline' || view === 'stats' ? view : 'graph'} />
    </ReactFlowProvider>
  );
}




function Editor({ record, catalog, initialView }: { record: ProcessRecord; catalog: Catalog | null; initialView: View }) {
  const t = useT();
  const announce = useAnnounce();
  const phone = useIsPhone();
  const { readOnly } = useSession();
  const flow = useReactFlow<FlowNode, FlowEdge>();
  const st = useEditorState(record.doc);
  const { doc, docRef, edit } = st;
  const processId = String(record.id);

  const [view, setView] = useState<View>(initialView);
  const [version, setVersion] = useState(record.version);
  const [enabled, setEnabled] = useState(record.enabled);
  const [saving, setSaving] = useState(false);
  const [live, setLive] = useState(false);
  const [stats, setStats] = useState<ProcessStats | null>(null);
  const [statsError, setStatsError] = useState<string | null>(null);
  const [insert, setInsert] = useState<{ source: string; handle: string; at: XY } | null>(null);
  const [adding, setAdding] = useState(false);
  const [contacts, setContacts] = useState<{ node: string; what: ContactsWhat } | null>(null);
  const [sheetOpen, setSheetOpen] = useState(false);
  const canvasRef = useRef<HTMLDivElement>(null);
  const fitRef = useRef<() => void>(() => undefined);

  // Auto-layout for steps without a `ui` position, computed once and extended for new ones.
  const [autoPos, setAutoPos] = useState<Record<string, XY>>(() => autoPositions(record.doc));
  useEffect(() => {
    const missing = Object.keys(doc.nodes).some((id) => !uiPosition(doc, id) && !autoPos[id]);
    if (missing) setAutoPos((a) => ({ ...autoPositions({ ...doc, ui: { ...(doc.ui ?? {}), ...(a as unknown as Record<string, JsonObject>) } }), ...a }));
  }, [doc, autoPos]);

  // ---- problems: client checks always; the server's for the steps not edited since ----
  const ids = useMemo(() => Object.keys(doc.nodes), [doc.nodes]);
  const clientProblems = useMemo(() => validateDoc(doc, catalog), [doc, catalog]);
  const serverProblems = useMemo(() => {
    const r = st.rejected;
    if (!r) return [];
    return r.problems.filter((p) => {
      const nid = nodeOfPath(p.path, ids);
      if (nid !== null) return doc.nodes[nid] !== undefined && doc.nodes[nid] === r.doc.nodes[nid];
      return doc === r.doc;
    });
  }, [st.rejected, doc, ids]);
  const allProblems = useMemo(() => [...serverProblems, ...clientProblems], [serverProblems, clientProblems]);
  const problemsByNode = useMemo(() => {
    const m = new Map<string, string[]>();
    for (const p of allProblems) {
      const nid = nodeOfPath(p.path, ids) ?? '';
      const list = m.get(nid) ?? [];
      const text = problemText(p, t);
      if (!list.includes(text)) list.push(text);
      m.set(nid, list);
    }
    return m;
  }, [allProblems, ids, t]);
  const blocked = clientProblems.length > 0 || (st.rejected !== null && st.rejected.doc === doc);

  // ---- statistics (live view and statistics tab) ----
  useEffect(() => {
    if (!live && view !== 'stats') return;
    let alive = true;
    const load = () =>
      api
        .getStats(processId)
        .then((s) => {
          if (!alive) return;
          setStats((prev) => mergeStats(prev, s));
          setStatsError(null);
        })
        .catch((e: unknown) => alive && setStatsError(e instanceof Error ? e.message : String(e)));
    void load();
    const timer = setInterval(() => void load(), STATS_POLL_MS);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, [live, view, processId]);

  // ---- React Flow nodes and edges, kept in step with the document ----
  const words: LabelWords = useMemo(() => ({ yes: t('branch.yes'), no: t('branch.no'), timeout: t('branch.timeout') }), [t]);
  // A tap on a handle starts or ends a tap-to-connect (React Flow's connectOnClick) and also
  // selects the step under it; on a phone that would open the sheet over the graph and hide
  // the step to tap next. So a tap on a handle leaves the sheet as it is (the flag lasts for
  // that one event: the selection it causes is handled synchronously within it).
  const handleTap = useRef(false);
  const tappedHandle = useCallback(() => {
    handleTap.current = true;
    window.setTimeout(() => {
      handleTap.current = false;
    }, 0);
  }, []);
  const openSheet = useCallback(() => {
    if (!handleTap.current) setSheetOpen(true);
  }, []);
  const { nodes, edges, select, onNodesChange, onEdgesChange } = useFlowState({ doc, autoPos, problemsByNode, stats, live, words, onSelected: openSheet });
  const selectedIds = useMemo(() => nodes.filter((n) => n.selected).map((n) => n.id), [nodes]);
  const selectedId = selectedIds.length === 1 ? (selectedIds[0] as string) : null;

  const onConnect = useCallback(
    (c: Connection) => {
      if (readOnly || !c.source || !c.target) return;
      edit((d) => connect(d, c.source, c.sourceHandle ?? 'next', c.target));
    },
    [edit, readOnly],
  );
  const isValidConnection = useCallback(
    (c: Connection | FlowEdge) => docRef.current.nodes[c.target]?.type !== 'trigger' && docRef.current.nodes[c.target] !== undefined,
    [docRef],
  );
  // A link dropped anywhere on a step's card links to that step, not only when it lands
  // within reach of the card's small top handle: a finger hides what it drops on.
  const onConnectEnd = useCallback<OnConnectEnd>(
    (event, state) => {
      if (readOnly || state.isValid || !state.fromNode || state.fromHandle?.type !== 'source') return;
      const at = 'changedTouches' in event ? event.changedTouches[0] : event;
      if (!at) return;
      const card = document.elementFromPoint(at.clientX, at.clientY)?.closest('.react-flow__node');
      const target = card?.getAttribute('data-id');
      if (!target || target === state.fromNode.id) return;
      const c: Connection = { source: state.fromNode.id, sourceHandle: state.fromHandle.id ?? 'next', target, targetHandle: null };
      if (isValidConnection(c)) onConnect(c);
    },
    [readOnly, isValidConnection, onConnect],
  );
  const onDelete = useCallback(
    ({ nodes: dn, edges: de }: { nodes: FlowNode[]; edges: FlowEdge[] }) => {
      if (readOnly) return;
      edit((d) => {
        let x = deleteNodes(d, dn.map((n) => n.id));
        for (const e of de) x = disconnect(x, e.source, e.sourceHandle ?? 'next');
        return x;
      });
    },
    [edit, readOnly],
  );
  const onNodeDragStop = useCallback(
    (_e: unknown, _n: FlowNode, dragged: FlowNode[]) => {
      if (readOnly) return;
      edit((d) => withPositions(d, Object.fromEntries(dragged.map((n) => [n.id, n.position]))));
    },
    [edit, readOnly],
  );

  // ---- adding, inserting, copying, pasting ----
  const viewportCenter = useCallback((): XY => {
    const el = canvasRef.current;
    if (view === 'graph' && el) {
      const r = el.getBoundingClientRect();
      const p = flow.screenToFlowPosition({ x: r.left + r.width / 2, y: r.top + r.height / 2 });
      return { x: p.x - 100, y: p.y - 30 };
    }
    const ys = Object.keys(docRef.current.nodes).map((id) => uiPosition(docRef.current, id)?.y ?? autoPos[id]?.y ?? 0);
    return { x: 0, y: ys.length ? Math.max(...ys) + 140 : 0 };
  }, [flow, view, docRef, autoPos]);

  const addStep = useCallback(
    (kind: PaletteKind, at?: XY) => {
      const d = docRef.current;
      const taken = Object.keys(d.nodes).map((id) => uiPosition(d, id) ?? autoPos[id] ?? { x: 0, y: 0 });
      const r = addNode(d, kind, at ?? freeSpot(viewportCenter(), taken));
      edit(() => r.doc);
      select([r.id]);
    },
    [docRef, edit, select, viewportCenter, autoPos],
  );

  const insertStep = useCallback(
    (kind: PaletteKind) => {
      if (!insert) return;
      const d = docRef.current;
      const pos: Record<string, XY> = {};
      for (const id of Object.keys(d.nodes)) pos[id] = uiPosition(d, id) ?? autoPos[id] ?? { x: 0, y: 0 };
      const src = d.nodes[insert.source];
      const target = src ? branchesOf(src).find((b) => b.handle === insert.handle)?.target : undefined;
      // The new step takes the target's place; everything from there down moves one row.
      const at = target && pos[target] ? pos[target] : { x: insert.at.x - 100, y: insert.at.y - 20 };
      const r = insertOnEdge(d, insert.source, insert.handle, kind, at);
      // A step with several branches is taller and its links need room for their labels.
      const moved = target && pos[target] ? shiftBelow(pos, at.y, rowGap(r.doc.nodes[r.id])) : {};
      edit(() => withPositions(r.doc, moved));
      select([r.id]);
    },
    [insert, docRef, edit, select, autoPos],
  );

  const positionsOf = useCallback(
    (want: string[]) => Object.fromEntries(nodes.filter((n) => want.includes(n.id)).map((n) => [n.id, n.position])),
    [nodes],
  );

  const copy = useCallback(async () => {
    if (selectedIds.length === 0) {
      announce(t('editor.nothingSelected'));
      return false;
    }
    await writeClipboard(copyNodes(docRef.current, selectedIds, positionsOf(selectedIds)));
    announce(t('editor.copied', { n: selectedIds.length }));
    return true;
  }, [selectedIds, docRef, positionsOf, announce, t]);

  const paste = useCallback(async () => {
    if (readOnly) return;
    const clip = await readClipboard();
    if (!clip || Object.keys(clip.nodes).length === 0) {
      announce(t('editor.nothingToPaste'));
      return;
    }
    const r = pasteNodes(docRef.current, clip, viewportCenter());
    edit(() => r.doc);
    select(r.ids);
    announce(t('editor.pasted', { n: r.ids.length }));
  }, [readOnly, docRef, viewportCenter, edit, select, announce, t]);

  const duplicate = useCallback(() => {
    if (readOnly || selectedIds.length === 0) return;
    const r = pasteNodes(docRef.current, copyNodes(docRef.current, selectedIds, positionsOf(selectedIds)));
    edit(() => r.doc);
    select(r.ids);
  }, [readOnly, selectedIds, docRef, positionsOf, edit, select]);

  const removeSelected = useCallback(
    (want: string[] = selectedIds) => {
      if (readOnly || want.length === 0) return;
      edit((d) => deleteNodes(d, want));
    },
    [readOnly, selectedIds, edit],
  );

  const cut = useCallback(async () => {
    if (await copy()) removeSelected();
  }, [copy, removeSelected]);

  const arrange = useCallback(() => {
    edit((d) => withPositions(d, layeredLayout(d.nodes)));
    setTimeout(() => fitRef.current(), 50);
  }, [edit]);

  // ---- saving ----
  const save = useCallback(async () => {
    if (readOnly || saving) return;
    const current = docRef.current;
    const problems = validateDoc(current, catalog);
    if (problems.length > 0) {
      announce(t('editor.fixFirst'), 'error');
      return;
    }
    setSaving(true);
    try {
      const r = await api.saveProcess(processId, current);
      st.markSaved(current);
      const v = r && typeof r.version === 'number' ? r.version : version + 1;
      setVersion(v);
      announce(t('editor.saved', { version: v }));
    } catch (e) {
      if (e instanceof ApiError && e.status === 422 && e.problem.errors) {
        st.markRejected(current, e.problem.errors.map((x) => ({ path: x.path, message: x.message })));
        announce(t('editor.serverRejected', { detail: e.problem.detail ?? e.problem.title ?? '' }), 'error');
      } else {
        announce(t('editor.serverRejected', { detail: e instanceof Error ? e.message : String(e) }), 'error');
      }
    } finally {
      setSaving(false);
    }
  }, [readOnly, saving, docRef, catalog, processId, st, version, announce, t]);

  // ---- keyboard: undo/redo, copy/cut/paste, save ----
  const remove = () => removeSelected();
  const keys = useRef({ save, copy, cut, paste, undo: st.undo, redo: st.redo, readOnly, remove });
  keys.current = { save, copy, cut, paste, undo: st.undo, redo: st.redo, readOnly, remove };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      const a = keys.current;
      if (!mod) {
        // Delete outside the canvas (React Flow handles it inside), e.g. after using the palette.
        const inFlow = (e.target as HTMLElement | null)?.closest?.('.react-flow');
        if ((e.key === 'Delete' || e.key === 'Backspace') && !a.readOnly && !inFlow && !isTyping(e.target) && !document.querySelector('dialog[open]')) {
          a.remove();
        }
        return;
      }
      const k = e.key.toLowerCase();
      if (k === 's') {
        e.preventDefault();
        void a.save();
        return;
      }
      if (isTyping(e.target)) return;
      if (k === 'c') void a.copy();
      else if (a.readOnly) return;
      else if (k === 'z' && !e.shiftKey) {
        e.preventDefault();
        a.undo();
      } else if ((k === 'z' && e.shiftKey) || k === 'y') {
        e.preventDefault();
        a.redo();
      } else if (k === 'x') void a.cut();
      else if (k === 'v') void a.paste();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  // ---- unsaved changes ----
  useEffect(() => {
    if (!st.dirty) return;
    const onUnload = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', onUnload);
    setNavigationBlocker(() => window.confirm(t('editor.leaveConfirm')));
    return () => {
      window.removeEventListener('beforeunload', onUnload);
      setNavigationBlocker(null);
    };
  }, [st.dirty, t]);

  // ---- the side panel ----
  const names: Names = useMemo(() => {
    const outcomes = new Set<string>();
    for (const n of Object.values(doc.nodes)) if (n.type === 'end' && typeof n.outcome === 'string') outcomes.add(n.outcome);
    const nameOf = (x: string | { name: string }) => (typeof x === 'string' ? x : x.name);
    return {
      events: catalog?.events ?? [],
      tags: catalog?.tags ?? [],
      lists: catalog?.lists ?? [],
      processes: (catalog?.processes ?? []).map(nameOf),
      templates: (catalog?.templates ?? []).map(nameOf),
      funnels: catalog?.funnels ?? {},
      fields: [],
      outcomes: [...outcomes],
    };
  }, [catalog, doc.nodes]);
  const targets: Option[] = useMemo(
    () =>
      Object.entries(doc.nodes)
        .filter(([, n]) => n.type !== 'trigger')
        .map(([id, n]) => ({ value: id, label: `${id} · ${typeLabel(n, t)}` })),
    [doc.nodes, t],
  );
  const onNodeChange = useCallback((id: string, node: PNode, key?: string) => edit((d) => updateNode(d, id, node), key), [edit]);
  const onRename = useCallback(
    (from: string, to: string): string | null => {
      if (to === '') return t('node.idEmpty');
      if (to !== from && docRef.current.nodes[to]) return t('node.idTaken');
      edit((d) => renameNode(d, from, to));
      select([to]);
      return null;
    },
    [docRef, edit, select, t],
  );
  const onDocChange = useCallback((d: ProcessDoc, key: string) => edit(() => d, `doc:${key}`), [edit]);
  const nodeErrors = useCallback(
    (id: string) => {
      const m = new Map<string, string[]>();
      const prefix = `$.nodes.${id}`;
      for (const p of allProblems) {
        if (nodeOfPath(p.path, ids) !== id) continue;
        const sub = p.path.slice(prefix.length).replace(/^\./, '');
        m.set(sub, [...(m.get(sub) ?? []), problemText(p, t)]);
      }
      m.set('', problemsByNode.get(id) ?? []);
      return m;
    },
    [allProblems, ids, problemsByNode, t],
  );
  const docErrors = useMemo(() => {
    const m = new Map<string, string[]>();
    for (const p of allProblems) if (nodeOfPath(p.path, ids) === null) m.set(p.path, [...(m.get(p.path) ?? []), problemText(p, t)]);
    return m;
  }, [allProblems, ids, t]);

  // ---- node/edge component context (stable) ----
  const ctx: EditorActions = useMemo(
    () => ({
      readOnly,
      openInsert: (source, handle, at) => setInsert({ source, handle, at }),
      showContacts: (node, what) => setContacts({ node, what }),
    }),
    [readOnly],
  );

  const onDrop = useCallback(
    (e: DragEvent) => {
      const kind = e.dataTransfer.getData(DRAG_TYPE);
      if (!kind || readOnly) return;
      e.preventDefault();
      const p = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      addStep(kind, { x: p.x - 100, y: p.y - 20 });
    },
    [flow, addStep, readOnly],
  );

  const goBack = () => navigate(routes.list());
  const toggleEnabled = async (on: boolean) => {
    try {
      if (on) await api.enableProcess(processId);
      else await api.disableProcess(processId);
      setEnabled(on);
    } catch (e) {
      announce(e instanceof Error ? e.message : String(e), 'error');
    }
  };
  const exportFile = async () => {
    try {
      const file = await api.exportProcess(processId);
      api.downloadJson(api.fileNameFor(doc.name), file);
    } catch (e) {
      announce(e instanceof Error ? e.message : String(e), 'error');
    }
  };

  const rfLabels = useMemo(() => ariaLabels(t), [t]);
  // Fit from the known positions (React Flow's own fitView needs every node measured,
  // which onlyRenderVisibleElements prevents for nodes off screen).
  const fitAll = useCallback(() => {
    const d = docRef.current;
    const ps = Object.keys(d.nodes).map((id) => uiPosition(d, id) ?? autoPos[id] ?? { x: 0, y: 0 });
    if (ps.length === 0) return;
    const minX = Math.min(...ps.map((p) => p.x));
    const minY = Math.min(...ps.map((p) => p.y));
    const maxX = Math.max(...ps.map((p) => p.x)) + 200;
    const maxY = Math.max(...ps.map((p) => p.y)) + 90;
    const el = canvasRef.current;
    const w = el?.clientWidth || 800;
    const h = el?.clientHeight || 600;
    const bw = maxX - minX;
    const bh = maxY - minY;
    // The whole process when it fits at a readable size; else its top, readable.
    const zoom = Math.min(1, Math.max(0.45, Math.min(w / (bw + 80), h / (bh + 80))));
    void flow.setViewport({ x: (w - bw * zoom) / 2 - minX * zoom, y: 30 - minY * zoom, zoom });
  }, [docRef, autoPos, flow]);
  fitRef.current = fitAll;
  const selectedNode = selectedId ? doc.nodes[selectedId] : undefined;
  const panelVisible = view !== 'stats' && (!phone || sheetOpen);

  const panel = (
    <>
      {selectedId && selectedNode ? (
        <NodeForm
          id={selectedId}
          node={selectedNode}
          onChange={onNodeChange}
          onRename={onRename}
          onDelete={(nid) => removeSelected([nid])}
          names={names}
          targets={targets}
          errors={nodeErrors(selectedId)}
          readOnly={readOnly}
          processTimezone={typeof doc.timezone === 'string' ? doc.timezone : 'UTC'}
        />
      ) : selectedIds.length > 1 ? (
        <div className="multi">
          <h2 className="panel-title">{t('editor.selected', { n: selectedIds.length })}</h2>
          <div className="row-buttons">
            <button type="button" onClick={() => void copy()}>
              {t('editor.copy')}
            </button>
            {!readOnly ? (
              <>
                <button type="button" onClick={duplicate}>
                  {t('editor.duplicate')}
                </button>
                <button type="button" className="danger" onClick={() => removeSelected()}>
                  {t('editor.delete')}
                </button>
              </>
            ) : null}
          </div>
        </div>
      ) : (
        <ProcessSettings doc={doc} onChange={onDocChange} names={names} errors={docErrors} readOnly={readOnly} />
      )}
    </>
  );

  return (
    <EditorContext.Provider value={ctx}>
      <main id="main" className={`editor view-${view}`} aria-label={t('editor.title', { name: doc.name })}>
        <EditorHeader
          name={doc.name}
          version={version}
          enabled={enabled}
          dirty={st.dirty}
          readOnly={readOnly}
          saving={saving}
          blocked={blocked}
          problems={allProblems}
          ids={ids}
          onBack={goBack}
          onToggle={(on) => void toggleEnabled(on)}
          onSave={() => void save()}
          onPick={(nid) => select([nid], true)}
        />
        <EditorTools
          readOnly={readOnly}
          canUndo={st.canUndo}
          canRedo={st.canRedo}
          hasSelection={selectedIds.length > 0}
          view={view}
          live={live}
          onUndo={st.undo}
          onRedo={st.redo}
          onAdd={() => setAdding(true)}
          onCopy={() => void copy()}
          onPaste={() => void paste()}
          onDelete={() => removeSelected()}
          onArrange={arrange}
          onView={setView}
          onLive={setLive}
          onExport={() => void exportFile()}
        />
        <div className="editor-main">
          {view !== 'stats' && !readOnly && !phone ? (
            <aside className="palette" aria-label={t('palette.title')}>
              <h2>{t('palette.title')}</h2>
              <p className="help">{t('palette.help')}</p>
              <PaletteList onPick={(k) => addStep(k)} draggable={view === 'graph'} />
            </aside>
          ) : null}
          <section className="editor-canvas" ref={canvasRef} aria-label={t('editor.canvas')} onDragOver={(e) => e.preventDefault()} onDrop={onDrop}>
            {view === 'graph' ? (
              <>
                <p className="visually-hidden">{t('editor.shortcuts')}</p>
                <ReactFlow<FlowNode, FlowEdge>
                  nodes={nodes}
                  edges={edges}
                  nodeTypes={nodeTypes}
                  edgeTypes={edgeTypes}
                  defaultEdgeOptions={defaultEdgeOptions}
                  onNodesChange={onNodesChange}
                  onEdgesChange={onEdgesChange}
                  onConnect={onConnect}
                  onConnectEnd={onConnectEnd}
                  onClickConnectStart={tappedHandle}
                  onClickConnectEnd={tappedHandle}
                  // a tap on the step already selected (by a link drawn from it) opens it too
                  onNodeClick={openSheet}
                  onDelete={onDelete}
                  onNodeDragStop={onNodeDragStop}
                  isValidConnection={isValidConnection}
                  onPaneClick={() => setSheetOpen(false)}
                  nodesDraggable={!readOnly}
                  nodesConnectable={!readOnly}
                  elementsSelectable
                  deleteKeyCode={readOnly ? null : ['Delete', 'Backspace']}
                  onlyRenderVisibleElements
                  onInit={fitAll}
                  minZoom={0.05}
                  maxZoom={2}
                  connectionRadius={28}
                  ariaLabelConfig={rfLabels}
                >
                  <Background gap={20} size={1} />
                  {/* the whole process, steps never shown (so never measured) included */}
                  <Controls showInteractive={false} fitViewOptions={fitOptions} />
                  {!phone ? <MiniMap pannable zoomable nodeColor={miniColor} ariaLabel={t('editor.canvas')} /> : null}
                </ReactFlow>
                {ids.length === 0 ? <p className="empty-overlay">{t('editor.emptyGraph')}</p> : null}
              </>
            ) : view === 'outline' ? (
              <Outline
                doc={doc}
                problems={problemsByNode}
                stats={live ? (stats?.nodes ?? null) : null}
                live={live}
                selected={selectedId}
                onSelect={(nid) => select([nid])}
                onShowContacts={(nid, what) => setContacts({ node: nid, what })}
              />
            ) : (
              <StatsView stats={stats} error={statsError} />
            )}
          </section>
          {panelVisible ? (
            <aside className={`side-panel${phone ? ' sheet-panel' : ''}`} aria-label={t('node.settings')}>
              {phone ? (
                <button
                  type="button"
                  className="sheet-close"
                  onClick={() => {
                    if (selectedIds.length > 0) select([]);
                    setSheetOpen(false);
                  }}
                >
                  {t('app.close')}
                </button>
              ) : null}
              {panel}
            </aside>
          ) : phone && view !== 'stats' ? (
            <button type="button" className="sheet-open" onClick={() => setSheetOpen(true)}>
              {t('settings.title')}
            </button>
          ) : null}
        </div>
        {insert ? (
          <AddStepDialog title={t('insert.title')} exclude={['trigger']} onPick={insertStep} onClose={() => setInsert(null)} />
        ) : null}
        {adding ? <AddStepDialog title={t('add.title')} onPick={(k) => addStep(k)} onClose={() => setAdding(false)} /> : null}
        {contacts ? <ContactsDialog processId={processId} node={contacts.node} what={contacts.what} onClose={() => setContacts(null)} /> : null}
      </main>
    </EditorContext.Provider>
  );
}



