/* Opens one WebSocket to /ws and performs the auth handshake (with optional resume).
 * Resolves with the open socket after auth_ok; rejects with AuthInvalid on close 4001/4003. */
import type { User } from './protocol'

export class AuthInvalid extends Error { constructor(public code: number, reason: string) { super(reason || 'auth_invalid') } }
export interface Resume { epoch: number; seq: number }

export function wsUrl(loc: { protocol: string; host: string } = window.location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws`
}

export function openSocket(url: string, token: string, resume: Resume | null,
  onMessage: (raw: string) => void): Promise<{ ws: WebSocket; user: User }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    let authed = false
    ws.onopen = () => ws.send(JSON.stringify(resume ? { type: 'auth', token, resume } : { type: 'auth', token }))
    ws.onmessage = (ev) => {
      const raw = String(ev.data)
      if (!authed) {
        try {
          const m = JSON.parse(raw)
          if (m.type === 'auth_ok') { authed = true; resolve({ ws, user: m.user }); return }
        } catch { /* fall through */ }
      }
      onMessage(raw)
    }
    ws.onclose = (ev) => {
      if (authed) return
      if (ev.code === 4001 || ev.code === 4003) reject(new AuthInvalid(ev.code, ev.reason))
      else reject(new Error(`socket closed ${ev.code}`))
    }
  })
}
