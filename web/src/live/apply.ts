/* Pure application of snapshots and deltas to the live state.
 * Invariants: never mutates its input; copies only the maps/entities a delta touches;
 * an epoch change, a seq gap or a remove of an unknown id returns {resync:true} with the old state.
 * applyDeltas() applies a burst in one pass (the connection batches frames for BATCH_MS). */
import type { Call, Change, Conference, Delta, Extension, Parked, Pbx, Queue, Snapshot } from './protocol'

export interface LiveState {
  epoch: number; seq: number; offset: number /* server_time - local now */
  pbx: Pbx
  extensions: Map<string, Extension>; calls: Map<string, Call>; queues: Map<string, Queue>
  parked: Map<string, Parked>; conferences: Map<string, Conference>
}
export const emptyState = (): LiveState => ({
  epoch: -1, seq: -1, offset: 0, pbx: { connected: false },
  extensions: new Map(), calls: new Map(), queues: new Map(), parked: new Map(), conferences: new Map(),
})
const byKey = <T,>(items: T[] | undefined, key: (t: T) => string) => new Map((items ?? []).map((i) => [key(i), i] as [string, T]))

export function fromSnapshot(s: Snapshot, now: number): LiveState {
  return {
    epoch: s.epoch, seq: s.seq, offset: s.server_time - now, pbx: s.pbx ?? { connected: false },
    extensions: byKey(s.extensions, (e) => e.extension), calls: byKey(s.calls, (c) => c.id),
    queues: byKey(s.queues, (q) => q.name), parked: byKey(s.parked, (p) => p.space),
    conferences: byKey(s.conferences, (c) => c.room),
  }
}

export type ApplyResult = { state: LiveState; resync: false } | { state: LiveState; resync: true; reason: string }
type MapKey = 'extensions' | 'calls' | 'queues' | 'parked' | 'conferences'
const mapOf: Record<Exclude<Change['kind'], 'pbx'>, MapKey> = {
  extension: 'extensions', call: 'calls', queue: 'queues', parked: 'parked', conference: 'conferences',
}

export function applyDelta(prev: LiveState, d: Delta, now: number): ApplyResult {
  return applyDeltas(prev, [d], now)
}

/** Applies a run of deltas in order, copying each touched map at most once for the whole run
 * (a burst of 50 deltas on 5,000 extensions costs one Map copy, not 50). All or nothing: a resync
 * anywhere returns the old state untouched. */
export function applyDeltas(prev: LiveState, ds: Delta[], now: number): ApplyResult {
  let next: LiveState | null = null
  const copied = new Set<MapKey>()
  for (const d of ds) {
    const cur = next ?? prev
    if (d.epoch !== cur.epoch) return { state: prev, resync: true, reason: 'epoch' }
    if (d.seq <= cur.seq) continue // duplicate, already applied
    // Deltas are filtered per scope, so seq may jump; prev_seq names the last delta this scope
    // was sent. A gap is a prev_seq newer than what we hold (servers without prev_seq: seq + 1).
    const prevSeq = d.prev_seq ?? d.seq - 1
    if (prevSeq > cur.seq) return { state: prev, resync: true, reason: 'gap' }
    next = next ?? { ...prev }
    next.seq = d.seq; next.offset = d.server_time - now
    for (const c of d.changes ?? []) {
      if (c.kind === 'pbx') {
        if (c.op === 'upsert') next.pbx = { ...next.pbx, ...c.data }
        continue
      }
      const key = mapOf[c.kind]
      if (!key) continue // unknown kinds are additions to the protocol: ignore
      if (!copied.has(key)) { (next as unknown as Record<MapKey, Map<string, unknown>>)[key] = new Map(prev[key] as Map<string, unknown>); copied.add(key) }
      const m = next[key] as Map<string, unknown>
      if (c.op === 'upsert') m.set(c.id, c.data)
      else if (c.op === 'remove') {
        if (!m.has(c.id)) return { state: prev, resync: true, reason: `unknown ${c.kind} ${c.id}` }
        m.delete(c.id)
      }
    }
  }
  return { state: next ?? prev, resync: false }
}
