/* What the signed-in user may do, from /api/auth/me (role + monitor_modes + scope). The server
 * enforces the same rules; this only decides which buttons are shown. */
import type { User } from '../live/protocol'

export type MonitorMode = 'listen' | 'whisper' | 'barge'
export const isAdmin = (u: User | null) => u?.role === 'admin'
export const isSupervisor = (u: User | null) => u?.role === 'supervisor' || isAdmin(u)

export function inScope(u: User | null, ext: string | null | undefined): boolean {
  if (!u || !ext) return false
  if (isAdmin(u)) return true
  if (u.extension === ext) return true
  const allowed = u.allowed_agent_extensions
  // null = everything; a list (even empty) = only those extensions
  if (u.role === 'supervisor') return allowed == null || allowed.includes(ext)
  return false
}
export function queueInScope(u: User | null, q: string): boolean {
  if (!u) return false
  if (isAdmin(u)) return true
  const allowed = u.allowed_queue_names
  return allowed == null || allowed.includes(q)
}
export function monitorModes(u: User | null, ext: string): MonitorMode[] {
  if (!u || u.extension === ext) return []
  if (!isSupervisor(u) || !inScope(u, ext)) return []
  const all: MonitorMode[] = ['listen', 'whisper', 'barge']
  return isAdmin(u) && (!u.monitor_modes || u.monitor_modes.length === 0) ? all : all.filter((m) => u.monitor_modes?.includes(m))
}
/** Call control on someone else's extension: hangup, transfer, park, record, take over, dnd. */
export const canControl = (u: User | null, ext: string) => isSupervisor(u) && inScope(u, ext)
/** Own calls: agents may hang up / transfer / park their own calls. */
export const canControlOwn = (u: User | null, ext: string) => !!u && (u.extension === ext || canControl(u, ext))
export const canPickup = (u: User | null) => !!u?.extension
export const canCall = (u: User | null) => !!u?.extension
export const canManageQueue = (u: User | null, q: string) => isSupervisor(u) && queueInScope(u, q)
