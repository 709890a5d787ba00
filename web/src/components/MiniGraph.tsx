/** A small picture of a process graph (inline SVG), for the template library. */
import { memo, useMemo } from 'react';
import { autoPositions, uiPosition } from '../graph/layout';
import { targetsOf } from '../graph/model';
import type { ProcessDoc, XY } from '../types';

const COLORS: Record<string, string> = {
  trigger: '#1f6f5c',
  action: '#2b5fab',
  condition: '#a15c00',
  wait: '#7a3fa0',
  delay: '#5a6472',
  split: '#b0326b',
  end: '#222',
};

export const MiniGraph = memo(function MiniGraph({ doc, width = 160, height = 100 }: { doc: ProcessDoc; width?: number; height?: number }) {
  const shape = useMemo(() => {
    const auto = autoPositions(doc);
    const pos: Record<string, XY> = {};
    for (const id of Object.keys(doc.nodes)) pos[id] = uiPosition(doc, id) ?? auto[id] ?? { x: 0, y: 0 };
    const xs = Object.values(pos).map((p) => p.x);
    const ys = Object.values(pos).map((p) => p.y);
    const minX = Math.min(...xs, 0);
    const maxX = Math.max(...xs, 0) + 200;
    const minY = Math.min(...ys, 0);
    const maxY = Math.max(...ys, 0) + 60;
    const pad = 6;
    const scale = Math.min((width - 2 * pad) / (maxX - minX), (height - 2 * pad) / (maxY - minY));
    const at = (p: XY) => ({ x: pad + (p.x - minX) * scale, y: pad + (p.y - minY) * scale });
    const w = Math.max(4, 200 * scale);
    const h = Math.max(3, 40 * scale);
    const boxes = Object.entries(pos).map(([id, p]) => ({ id, ...at(p), type: doc.nodes[id]?.type ?? '' }));
    const lines: { x1: number; y1: number; x2: number; y2: number; key: string }[] = [];
    for (const [id, node] of Object.entries(doc.nodes)) {
      for (const t of targetsOf(node)) {
        if (!pos[t] || !pos[id]) continue;
        const a = at(pos[id]);
        const b = at(pos[t]);
        lines.push({ x1: a.x + w / 2, y1: a.y + h, x2: b.x + w / 2, y2: b.y, key: `${id}-${t}-${lines.length}` });
      }
    }
    return { boxes, lines, w, h };
  }, [doc, width, height]);
  return (
    <svg className="mini-graph" width={width} height={height} viewBox={`0 0 ${width} ${height}`} aria-hidden="true" focusable="false">
      {shape.lines.map((l) => (
        <line key={l.key} x1={l.x1} y1={l.y1} x2={l.x2} y2={l.y2} stroke="#8a94a3" strokeWidth={1} />
      ))}
      {shape.boxes.map((b) => (
        <rect key={b.id} x={b.x} y={b.y} width={shape.w} height={shape.h} rx={2} fill={COLORS[b.type] ?? '#888'} />
      ))}
    </svg>
  );
});
