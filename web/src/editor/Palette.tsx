/** The palette: every node type and every action. Click (or tap) adds a step; on a desktop
 * a palette entry can also be dragged onto the graph. */
import { memo } from 'react';
import { ACTION_NAMES } from '../graph/model';
import type { PaletteKind } from '../graph/ops';
import { type MessageKey, useT } from '../i18n';
import { Modal } from '../components/ui';

export const DRAG_TYPE = 'application/x-nurtura-step';

const GROUPS: { title: MessageKey; kinds: PaletteKind[] }[] = [
  { title: 'palette.start', kinds: ['trigger'] },
  { title: 'palette.actions', kinds: ACTION_NAMES.map((a) => `action:${a}`) },
  { title: 'palette.logic', kinds: ['condition', 'wait', 'delay', 'split'] },
  { title: 'palette.end', kinds: ['end'] },
];

export function kindLabel(kind: PaletteKind, t: (k: MessageKey) => string): string {
  return kind.startsWith('action:') ? t(`action.${kind.slice(7)}` as MessageKey) : t(`type.${kind}` as MessageKey);
}

function kindType(kind: PaletteKind): string {
  return kind.startsWith('action:') ? 'action' : kind;
}

export const PaletteList = memo(function PaletteList({
  onPick,
  exclude = [],
  draggable = false,
}: {
  onPick: (kind: PaletteKind) => void;
  exclude?: PaletteKind[];
  draggable?: boolean;
}) {
  const t = useT();
  return (
    <div className="palette-list">
      {GROUPS.map((g) => {
        const kinds = g.kinds.filter((k) => !exclude.includes(k));
        if (kinds.length === 0) return null;
        return (
          <section key={g.title} aria-label={t(g.title)}>
            <h3>{t(g.title)}</h3>
            <ul>
              {kinds.map((k) => (
                <li key={k}>
                  <button
                    type="button"
                    className="palette-item"
                    draggable={draggable}
                    onDragStart={(e) => {
                      e.dataTransfer.setData(DRAG_TYPE, k);
                      e.dataTransfer.effectAllowed = 'copy';
                    }}
                    onClick={() => onPick(k)}
                  >
                    <span className={`type-dot t-${kindType(k)}`} aria-hidden="true" />
                    {kindLabel(k, t)}
                  </button>
                </li>
              ))}
            </ul>
          </section>
        );
      })}
    </div>
  );
});

export function AddStepDialog({
  title,
  onPick,
  onClose,
  exclude,
}: {
  title: string;
  onPick: (kind: PaletteKind) => void;
  onClose: () => void;
  exclude?: PaletteKind[];
}) {
  return (
    <Modal title={title} onClose={onClose} className="sheet">
      <PaletteList
        exclude={exclude ?? []}
        onPick={(k) => {
          onPick(k);
          onClose();
        }}
      />
    </Modal>
  );
}
