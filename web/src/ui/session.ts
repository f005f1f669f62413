/* Session: token (sessionStorage), the signed-in user, the live Connection and toasts. No React tree state. */
import { createStore } from 'zustand/vanilla'
import { useStore } from 'zustand'
import { Connection, type ActionOutcome } from '../live/connection'
import { liveStore, resetLive } from '../live/store'
import { getToken, setToken } from '../lib/http'
import type { User } from '../live/protocol'
import i18n from '../i18n'
import { showNotice } from './qos'

export interface Toast { id: number; ok: boolean; text: string }
interface SessionState { token: string | null; user: User | null; toasts: Toast[] }
export const session = createStore<SessionState>(() => ({ token: getToken(), user: null, toasts: [] }))
export const useSession = <T,>(sel: (s: SessionState) => T) => useStore(session, sel)

let conn: Connection | null = null
// The user from auth_ok (e.g. after a page reload) becomes the session user.
liveStore.subscribe((s, p) => { if (s.user !== p.user && s.user) session.setState({ user: s.user }) })
let toastId = 0

export function toast(ok: boolean, text: string) {
  const t = { id: ++toastId, ok, text }
  session.setState((s) => ({ toasts: [...s.toasts.slice(-4), t] }))
  setTimeout(() => session.setState((s) => ({ toasts: s.toasts.filter((x) => x.id !== t.id) })), ok ? 3500 : 7000)
}

export function startLive(token: string, user: User | null) {
  conn?.stop()
  session.setState({ token, user })
  liveStore.setState({ user })
  conn = new Connection(token, () => logout())
  conn.onNotice = (n) => { if (showNotice(n, session.getState().user)) toast(n.level !== 'warning' && n.level !== 'error', n.message) }
  conn.start()
}

export function logout() {
  conn?.stop(); conn = null
  setToken(null); resetLive()
  session.setState({ token: null, user: null })
}

export async function runAction(action: string, params: Record<string, unknown>): Promise<ActionOutcome> {
  const name = i18n.exists(`action.${action}`) ? i18n.t(`action.${action}`) : action
  const r = conn ? await conn.action(action, params) : { ok: false, error: { code: 'connection.lost', message: 'Not connected' } }
  toast(r.ok, r.ok ? i18n.t('action.ok', { action: name }) : i18n.t('action.failed', { action: name, message: r.error?.message ?? r.error?.code ?? '?' }))
  return r
}
