/** Small helpers of the editor page: problem text, statistics merging, keyboard focus,
 * minimap colours, React Flow's accessibility labels in the user's language. */
import type { FlowNode } from '../graph/convert';
import { isObject } from '../graph/model';
import { type Translate, tOr } from '../i18n';
import type { NodeStats, Problem, ProcessStats } from '../types';

export function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName);
}

/** Problem text in the user's language: client checks have a code, the server a message. */
export function problemText(p: Problem, t: Translate): string {
  return p.code ? tOr(t, `v.${p.code}`, p.code, p.params) : (p.message ?? '');
}

export function mergeStats(prev: ProcessStats | null, next: ProcessStats): ProcessStats {
  if (!prev) return next;
  const nodes: Record<string, NodeStats> = {};
  for (const [id, s] of Object.entries(next.nodes ?? {})) {
    const old = prev.nodes?.[id];
    nodes[id] = old && JSON.stringify(old) === JSON.stringify(s) ? old : s;
  }
  return { ...next, nodes };
}

export function miniColor(n: FlowNode): string {
  const type = isObject(n.data?.node) ? n.data.node.type : '';
  return (
    { trigger: '#1f6f5c', action: '#2b5fab', condition: '#a15c00', wait: '#7a3fa0', delay: '#5a6472', split: '#b0326b', end: '#222' }[type] ?? '#888'
  );
}

export function ariaLabels(t: Translate) {
  return {
    'node.a11yDescription.default': t('rf.node'),
    'node.a11yDescription.keyboardDisabled': t('rf.nodeKeyboard'),
    'node.a11yDescription.ariaLiveMessage': ({ direction, x, y }: { direction: string; x: number; y: number }) => t('rf.moved', { direction, x, y }),
    'edge.a11yDescription.default': t('rf.edge'),
    'controls.ariaLabel': t('rf.controls'),
    'controls.zoomIn.ariaLabel': t('rf.zoomIn'),
    'controls.zoomOut.ariaLabel': t('rf.zoomOut'),
    'controls.fitView.ariaLabel': t('rf.fitView'),
    'controls.interactive.ariaLabel': t('rf.interactive'),
    'minimap.ariaLabel': t('rf.minimap'),
    'handle.ariaLabel': t('rf.handle'),
  };
}
