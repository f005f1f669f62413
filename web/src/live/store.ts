/* The live store: zustand vanilla store outside React. Components bind with selectors (useLive). */
import { createStore } from 'zustand/vanilla'
import { useStore } from 'zustand'
import { emptyState, type LiveState } from './apply'
import type { User } from './protocol'

export type ConnStatus = 'connecting' | 'live' | 'reconnecting' | 'offline'
export interface LiveStore extends LiveState {
  conn: ConnStatus; lastResync?: string; retryAt: number | null; user: User | null; hasSnapshot: boolean
}
export const liveStore = createStore<LiveStore>(() => ({ ...emptyState(), conn: 'connecting', retryAt: null, user: null, hasSnapshot: false }))
export function useLive<T>(sel: (s: LiveStore) => T): T { return useStore(liveStore, sel) }
export function resetLive() { liveStore.setState({ ...emptyState(), conn: 'connecting', retryAt: null, user: null, hasSnapshot: false }) }
