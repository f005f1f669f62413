/* Durations from server timestamps, corrected by the server clock offset (server_time - local now). */
import type { Call } from '../live/protocol'
export const serverNow = (offset: number, localNow = Date.now()) => localNow + offset
export function talkMs(c: Pick<Call, 'answered_at' | 'ended_at'>, offset: number, localNow = Date.now()) {
  if (!c.answered_at) return 0
  return Math.max(0, (c.ended_at ?? serverNow(offset, localNow)) - c.answered_at)
}
export function totalMs(c: Pick<Call, 'started_at' | 'ended_at'>, offset: number, localNow = Date.now()) {
  return Math.max(0, (c.ended_at ?? serverNow(offset, localNow)) - c.started_at)
}
export const sinceMs = (since: number, offset: number, localNow = Date.now()) => Math.max(0, serverNow(offset, localNow) - since)
export function fmtDuration(ms: number): string {
  const s = Math.floor(ms / 1000), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), ss = s % 60
  const p = (n: number) => String(n).padStart(2, '0')
  return h > 0 ? `${h}:${p(m)}:${p(ss)}` : `${p(m)}:${p(ss)}`
}
