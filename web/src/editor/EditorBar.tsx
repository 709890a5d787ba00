/** The editor's header (name, version, on/off, save state, problems, Save) and toolbar
 * (undo/redo, add, copy/paste/delete, arrange, views, live numbers, export). */
import { useState } from 'react';
import { Switch } from '../components/ui';
import { nodeOfPath } from '../graph/validate';
import { type MessageKey, useT } from '../i18n';
import type { Problem } from '../types';
import { problemText } from './helpers';

export type View = 'graph' | 'outline' | 'stats';

export function EditorHeader(p: {
  name: string;
  version: number;
  enabled: boolean;
  dirty: boolean;
  readOnly: boolean;
  saving: boolean;
  blocked: boolean;
  problems: Problem[];
  ids: string[];
  onBack: () => void;
  onToggle: (on: boolean) => void;
  onSave: () => void;
  onPick: (id: string) => void;
}) {
  const t = useT();
  const [showProblems, setShowProblems] = useState(false);
  const count = p.problems.length;
  return (
    <>
      <header className="editor-bar">
        <button type="button" className="back" onClick={p.onBack}>
          <span aria-hidden="true">← </span>
          <span className="back-text">{t('app.toProcesses')}</span>
        </button>
        <h1 className="editor-name" title={p.name}>
          {p.name}
        </h1>
        <span className="muted version">{t('editor.version', { n: p.version })}</span>
        <Switch checked={p.enabled} label={t('editor.enabled')} showLabel disabled={p.readOnly} onChange={p.onToggle} />
        <span className={`save-state${p.dirty ? ' dirty' : ''}`} role="status">
          {p.dirty ? t('editor.unsaved') : t('editor.allSaved')}
        </span>
        {count > 0 ? (
          <button type="button" className="problems-btn" aria-expanded={showProblems} onClick={() => setShowProblems(!showProblems)}>
            {t('editor.problems', { n: count })}
          </button>
        ) : null}
        {!p.readOnly ? (
          <button
            type="button"
            className="primary"
            disabled={p.blocked || p.saving}
            onClick={() => {
              if (count > 0) setShowProblems(true);
              p.onSave();
            }}
          >
            {p.saving ? t('editor.saving') : t('editor.save')}
          </button>
        ) : null}
      </header>
      {p.readOnly ? <p className="banner">{t('app.readOnly')}</p> : null}
      {showProblems && count > 0 ? (
        <section className="problems-panel" aria-label={t('editor.problemsTitle')}>
          <h2>{t('editor.problemsTitle')}</h2>
          <ul>
            {p.problems.map((x, i) => {
              const nid = nodeOfPath(x.path, p.ids);
              return (
                <li key={i}>
                  {nid ? (
                    <button type="button" className="link-btn" onClick={() => p.onPick(nid)}>
                      {nid}
                    </button>
                  ) : (
                    <code>{x.path}</code>
                  )}
                  : {problemText(x, t)}
                </li>
              );
            })}
          </ul>
        </section>
      ) : null}
    </>
  );
}

export function EditorTools(p: {
  readOnly: boolean;
  canUndo: boolean;
  canRedo: boolean;
  hasSelection: boolean;
  view: View;
  live: boolean;
  onUndo: () => void;
  onRedo: () => void;
  onAdd: () => void;
  onCopy: () => void;
  onPaste: () => void;
  onDelete: () => void;
  onArrange: () => void;
  onView: (v: View) => void;
  onLive: (on: boolean) => void;
  onExport: () => void;
}) {
  const t = useT();
  return (
    <div className="editor-tools" role="toolbar" aria-label={t('editor.view')}>
      {!p.readOnly ? (
        <>
          <button type="button" onClick={p.onUndo} disabled={!p.canUndo} title="Ctrl+Z">
            {t('editor.undo')}
          </button>
          <button type="button" onClick={p.onRedo} disabled={!p.canRedo} title="Ctrl+Shift+Z">
            {t('editor.redo')}
          </button>
          <button type="button" className="add-btn" onClick={p.onAdd}>
            <span aria-hidden="true">+ </span>
            {t('editor.addNode')}
          </button>
        </>
      ) : null}
      <button type="button" onClick={p.onCopy} disabled={!p.hasSelection}>
        {t('editor.copy')}
      </button>
      {!p.readOnly ? (
        <>
          <button type="button" onClick={p.onPaste}>
            {t('editor.paste')}
          </button>
          <button type="button" onClick={p.onDelete} disabled={!p.hasSelection}>
            {t('editor.delete')}
          </button>
          <button type="button" onClick={p.onArrange} title={t('editor.arrangeHelp')}>
            {t('editor.arrange')}
          </button>
        </>
      ) : null}
      <span className="segmented" role="group" aria-label={t('editor.view')}>
        {(['graph', 'outline', 'stats'] as const).map((v) => (
          <button key={v} type="button" aria-pressed={p.view === v} onClick={() => p.onView(v)}>
            {t(`editor.view.${v}` as MessageKey)}
          </button>
        ))}
      </span>
      {p.view !== 'stats' ? <Switch checked={p.live} label={t('editor.live')} showLabel onChange={p.onLive} /> : null}
      <button type="button" onClick={p.onExport}>
        {t('editor.export')}
      </button>
    </div>
  );
}
