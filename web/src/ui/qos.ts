/* Call quality (issue #10): the live `qos` object of a call, the REST shapes of
 * /api/calls/{id}/qos and /api/qos/daily, and the notice filter for QoS alerts. No React here. */
import type { User } from '../live/protocol'

export type Grade = 'good' | 'fair' | 'poor'
export interface LiveQos {
  loss_pct: number; jitter_ms: number; rtt_ms: number | null; mes: number | null; mes_mos: number | null
  mos: number | null; grade: Grade | null; reason: string; updated_at: number | null
}
export interface QosPoint { t: number; loss_pct: number; jitter_ms: number; rtt_ms: number | null; mos: number | null; mes: number | null; grade: Grade | null }
export interface Stat { min: number; avg: number; max: number; n: number }
export interface Direction { jitter_ms: Stat | null; loss_pct: Stat | null; mos: Stat | null; mes: Stat | null; packets: number; lost: number; cumulative_loss_pct: number }
export interface LegSummary { uniqueid: string; channel: string; number: string; codec: string; source: string; rx: Direction; tx: Direction; rtt_ms: Stat | null; reports: number; grade: Grade | null }
export interface Thresholds { fair_loss_pct: number; poor_loss_pct: number; fair_jitter_ms: number; poor_jitter_ms: number; fair_mos: number; poor_mos: number }
export interface CallQosReply {
  call_id: string; live: boolean; qos: LiveQos | null; points: QosPoint[]
  legs: { extension: string; ended_at: number; grade: string; summary: LegSummary | null }[]; thresholds: Thresholds
}
export interface DailyRow {
  extension: string; day: string; calls: number; good: number; fair: number; poor: number; avg_mos: number; min_mos: number
  avg_loss_pct: number; max_loss_pct: number; avg_jitter_ms: number; max_jitter_ms: number; avg_rtt_ms: number | null; max_rtt_ms: number | null; worst: Grade | null
}
export interface DailyReply { date: string; rows: DailyRow[]; truncated: boolean }

const grades: readonly string[] = ['good', 'fair', 'poor']
/** The live qos of a call when it carries a grade or values; null for `null`/garbage. */
export function asQos(v: unknown): LiveQos | null {
  if (!v || typeof v !== 'object') return null
  const q = v as Partial<LiveQos>
  if (typeof q.loss_pct !== 'number' || typeof q.jitter_ms !== 'number') return null
  return { rtt_ms: null, mes: null, mes_mos: null, mos: null, reason: '', updated_at: null, ...q, grade: grades.includes(q.grade as string) ? (q.grade as Grade) : null } as LiveQos
}

/** The MOS to show: the E-model estimate, else Asterisk's MES as a MOS (MES / 20). */
export const shownMos = (q: { mos: number | null; mes_mos?: number | null }) => q.mos ?? q.mes_mos ?? null

const seen = new Map<string, number>()
const kKeepMs = 10 * 60_000
/** QoS alerts reach a client once per extension of the call it sees: show each (call, code)
 * once, and only to supervisors and admins (agents see the badge on their own call). Other
 * notices pass. `now` is injectable for tests. */
export function showNotice(n: { code: string; call_id?: string }, user: Pick<User, 'role'> | null, now = Date.now()): boolean {
  if (!n.code.startsWith('qos.')) return true
  if (user?.role === 'agent') return false
  const key = `${n.call_id ?? ''}|${n.code}`
  for (const [k, at] of seen) if (now - at > kKeepMs) seen.delete(k)
  if (seen.has(key)) return false
  seen.set(key, now)
  return true
}
