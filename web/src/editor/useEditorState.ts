/**
 * The editor's document state: the process file with undo/redo, the last saved version,
 * and the problems the server reported for a rejected save.
 */
import { useCallback, useMemo, useReducer, useRef } from 'react';
import { canRedo, canUndo, createHistory, type History, push, redo, undo } from '../graph/history';
import type { Problem, ProcessDoc } from '../types';

interface State {
  hist: History<ProcessDoc>;
  saved: ProcessDoc;
  rejected: { doc: ProcessDoc; problems: Problem[] } | null;
}

type Action =
  | { type: 'edit'; fn: (doc: ProcessDoc) => ProcessDoc; key?: string | undefined }
  | { type: 'undo' }
  | { type: 'redo' }
  | { type: 'saved'; doc: ProcessDoc }
  | { type: 'rejected'; doc: ProcessDoc; problems: Problem[] };

function reducer(state: State, action: Action): State {
  switch (action.type) {
    case 'edit': {
      const next = action.fn(state.hist.present);
      if (next === state.hist.present) return state;
      return { ...state, hist: push(state.hist, next, action.key !== undefined ? { key: action.key } : {}) };
    }
    case 'undo':
      return { ...state, hist: undo(state.hist) };
    case 'redo':
      return { ...state, hist: redo(state.hist) };
    case 'saved':
      return { ...state, saved: action.doc, rejected: null };
    case 'rejected':
      return { ...state, rejected: { doc: action.doc, problems: action.problems } };
  }
}

export function useEditorState(initial: ProcessDoc) {
  const [state, dispatch] = useReducer(reducer, initial, (doc) => ({ hist: createHistory(doc), saved: doc, rejected: null }));
  const doc = state.hist.present;
  const docRef = useRef(doc);
  docRef.current = doc;
  const edit = useCallback((fn: (doc: ProcessDoc) => ProcessDoc, key?: string) => dispatch({ type: 'edit', fn, key }), []);
  const actions = useMemo(
    () => ({
      edit,
      undo: () => dispatch({ type: 'undo' }),
      redo: () => dispatch({ type: 'redo' }),
      markSaved: (d: ProcessDoc) => dispatch({ type: 'saved', doc: d }),
      markRejected: (d: ProcessDoc, problems: Problem[]) => dispatch({ type: 'rejected', doc: d, problems }),
    }),
    [edit],
  );
  const dirty = useMemo(() => doc !== state.saved && JSON.stringify(doc) !== JSON.stringify(state.saved), [doc, state.saved]);
  return {
    doc,
    docRef,
    saved: state.saved,
    dirty,
    rejected: state.rejected,
    canUndo: canUndo(state.hist),
    canRedo: canRedo(state.hist),
    ...actions,
  };
}
