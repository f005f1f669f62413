/* Wire types of the OpDesk live protocol (docs/protocol.md). No React here. */
export type ExtState = 'idle' | 'ringing' | 'in_call' | 'on_hold' | 'busy' | 'unavailable'
export interface Contact { uri: string; status: string; rtt_ms?: number; user_agent?: string; address?: string }
export interface Extension {
  extension: string; name: string; tech?: string; state: ExtState; hint?: string; hint_code?: number
  registered: boolean; dnd: boolean; contacts?: Contact[]; calls: string[]; queues: string[]; paused: boolean
  /** Directory labels (admin/PBX DB): grid group ('' none) and order within it. */
  group?: string; order?: number
}
export interface Party { extension?: string | null; number: string; name: string; channel: string; uniqueid?: string; state?: string; role?: string; on_hold?: boolean }
export interface Spy { extension: string; channel: string; mode: string; since: number }
export interface JourneyStep { at: number; event: string; detail?: string }
export interface Call {
  id: string; state: string; direction: string; parties: Party[]; started_at: number; answered_at: number | null
  ended_at: number | null; hold_ms: number; on_hold: boolean; queue: string | null; recording: string | null
  spied_by: Spy[]; qos: unknown; journey: JourneyStep[]
  recording_active?: boolean; hold_since?: number | null; held_by?: string | null; parked_space?: string | null; destination?: string | null; transferred?: boolean
}
export interface Member { interface: string; name: string; extension?: string; status: number; status_text: string; paused: boolean; reason: string; penalty: number; calls_taken: number; last_call: number; in_call: boolean; dynamic: boolean }
export interface Entry { position: number; caller: string; caller_name: string; channel: string; uniqueid: string; call_id: string; since: number }
export interface Queue { name: string; strategy: string; calls: number; completed: number; abandoned: number; holdtime: number; talktime: number; service_level: number; service_level_perf: number; members: Member[]; entries: Entry[] }
export interface Parked { space: string; lot: string; channel: string; extension?: string; since: number; timeout_at: number; parked_by?: string; call_id?: string }
export interface Conference { room: string; members: { channel: string; extension?: string; muted: boolean; talking: boolean; admin: boolean; since: number }[] }
export interface Pbx { connected: boolean; since?: number; version?: string; banner?: string }
export interface Snapshot {
  epoch: number; seq: number; server_time: number; pbx: Pbx; extensions: Extension[]; calls: Call[]
  queues: Queue[]; parked: Parked[]; conferences: Conference[]
}
export type Kind = 'extension' | 'call' | 'queue' | 'parked' | 'conference' | 'pbx'
export type Change = { op: 'upsert'; kind: Kind; id: string; data: any } | { op: 'remove'; kind: Kind; id: string }
export interface Delta { type: 'delta'; epoch: number; seq: number; first_seq?: number; prev_seq?: number; server_time: number; changes: Change[] }
export interface User {
  id: number; username: string; name?: string; role: 'admin' | 'supervisor' | 'agent' | string; extension?: string | null
  monitor_modes: string[]; allowed_agent_extensions?: string[] | null; allowed_queue_names?: string[] | null; active?: boolean
}
export interface ActionError { code: string; message: string }
export type ServerMsg =
  | { type: 'auth_ok'; user: User }
  | { type: 'snapshot'; epoch: number; seq: number; server_time: number; state: Snapshot }
  | Delta
  | { type: 'action_result'; id: number; ok: boolean; data?: unknown; error?: ActionError }
  | { type: 'notice'; level: string; code: string; message: string; call_id?: string }
  | { type: 'pong'; server_time: number }

export function parseServerMessages(raw: string): ServerMsg[] {
  const v = JSON.parse(raw)
  const arr = Array.isArray(v) ? v : [v]
  return arr.filter((m) => m && typeof m === 'object' && typeof m.type === 'string') as ServerMsg[]
}
