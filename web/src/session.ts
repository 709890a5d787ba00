/** The signed-in user, shared with every page: role `viewer` sees everything read-only. */
import { createContext, useContext } from 'react';
import type { Session } from './types';

export interface SessionInfo {
  session: Session;
  readOnly: boolean;
}

export const SessionContext = createContext<SessionInfo>({ session: { user: '', role: 'viewer', csrf: '' }, readOnly: true });

export function useSession(): SessionInfo {
  return useContext(SessionContext);
}

export function canEdit(role: string): boolean {
  return role === 'author' || role === 'admin';
}
