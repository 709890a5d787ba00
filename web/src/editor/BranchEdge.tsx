/** A link between steps: its branch label (yes / no / event / timeout / share) and a "+"
 * button that inserts a step on it (always visible: phones have no hover). */
import { BaseEdge, EdgeLabelRenderer, type EdgeProps, getSmoothStepPath } from '@xyflow/react';
import { memo } from 'react';
import type { FlowEdge } from '../graph/convert';
import { useT } from '../i18n';
import { useEditorActions } from './context';

function BranchEdgeView(props: EdgeProps<FlowEdge>) {
  const t = useT();
  const { readOnly, openInsert } = useEditorActions();
  const { id, source, target, sourceHandleId, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data, markerEnd, selected } = props;
  // Several links of one step to the same target turn at different heights, so their
  // labels and "+" buttons do not cover each other.
  const stepPosition = data?.lanes ? ((data.lane ?? 0) + 1) / (data.lanes + 1) : 0.5;
  const [path, lx, ly] = getSmoothStepPath({ sourceX, sourceY, sourcePosition, targetX, targetY, targetPosition, borderRadius: 10, stepPosition });
  const label = data?.label ?? '';
  return (
    <>
      <BaseEdge id={id} path={path} markerEnd={markerEnd} className={selected ? 'edge-selected' : undefined} interactionWidth={18} />
      <EdgeLabelRenderer>
        <div className={`edge-label nodrag nopan k-${data?.kind ?? 'next'}`} style={{ transform: `translate(-50%, -50%) translate(${lx}px, ${ly}px)` }}>
          {label ? <span className="edge-text">{label}</span> : null}
          {readOnly ? null : (
            <button
              type="button"
              className="edge-add"
              aria-label={label ? t('insert.on', { label, source, target }) : t('insert.onPlain', { source, target })}
              title={t('insert.title')}
              onClick={(e) => {
                e.stopPropagation();
                openInsert(source, sourceHandleId ?? 'next', { x: lx, y: ly });
              }}
            >
              <span aria-hidden="true">+</span>
            </button>
          )}
        </div>
      </EdgeLabelRenderer>
    </>
  );
}

export const BranchEdge = memo(BranchEdgeView);
