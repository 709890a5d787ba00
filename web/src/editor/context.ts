/** What node and edge components need from the editor, without props: stable callbacks
 * (so memoised components do not re-render) and the read-only flag. */
import { createContext, useContext } from 'react';
import type { XY } from '../types';

/** Which contacts of a step to list: whose run reached it at some time, waiting there now,
 * or whose run failed there. */
export type ContactsWhat = 'reached' | 'waiting' | 'failed';

export interface EditorActions {
  readOnly: boolean;
  openInsert: (source: string, handle: string, at: XY) => void;
  showContacts: (node: string, what: ContactsWhat) => void;
}

export const EditorContext = createContext<EditorActions>({
  readOnly: true,
  openInsert: () => undefined,
  showContacts: () => undefined,
});

export function useEditorActions(): EditorActions {
  return useContext(EditorContext);
}
