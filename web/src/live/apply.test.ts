import { describe, expect, it } from 'vitest'
import { applyDelta, applyDeltas, fromSnapshot } from './apply'
import type { Call, Delta, Extension, Snapshot } from './protocol'

const ext = (n: string, state: Extension['state'] = 'idle'): Extension => ({ extension: n, name: `Ext ${n}`, state, registered: true, dnd: false, calls: [], queues: [], paused: false })
const call = (id: string): Call => ({ id, state: 'up', direction: 'internal', parties: [], started_at: 1000, answered_at: 2000, ended_at: null, hold_ms: 0, on_hold: false, queue: null, recording: null, spied_by: [], qos: null, journey: [] })
const snap: Snapshot = { epoch: 3, seq: 10, server_time: 50_000, pbx: { connected: true }, extensions: [ext('1001'), ext('1002')], calls: [], queues: [], parked: [], conferences: [] }
const delta = (seq: number, changes: Delta['changes'], epoch = 3): Delta => ({ type: 'delta', epoch, seq, server_time: 51_000, changes })

describe('apply', () => {
  it('builds maps keyed by id from a snapshot and records the server offset', () => {
    const s = fromSnapshot(snap, 40_000)
    expect([...s.extensions.keys()]).toEqual(['1001', '1002'])
    expect(s.offset).toBe(10_000)
    expect(s.epoch).toBe(3); expect(s.seq).toBe(10)
  })
  it('upserts a call and copies only the touched map, keeping untouched entities identical', () => {
    const s0 = fromSnapshot(snap, 0)
    const r = applyDelta(s0, delta(11, [{ op: 'upsert', kind: 'call', id: 'c1', data: call('c1') }, { op: 'upsert', kind: 'extension', id: '1001', data: ext('1001', 'in_call') }]), 0)
    expect(r.resync).toBe(false)
    expect(r.state.calls.get('c1')?.id).toBe('c1')
    expect(r.state.extensions.get('1001')?.state).toBe('in_call')
    expect(r.state.extensions.get('1002')).toBe(s0.extensions.get('1002'))
    expect(r.state.extensions).not.toBe(s0.extensions)
    expect(r.state.queues).toBe(s0.queues)
    expect(s0.extensions.get('1001')?.state).toBe('idle') // input not mutated
    expect(s0.calls.size).toBe(0)
    expect(r.state.seq).toBe(11)
  })
  it('removes an entity by id', () => {
    const s0 = fromSnapshot(snap, 0)
    const r = applyDelta(s0, delta(11, [{ op: 'remove', kind: 'extension', id: '1002' }]), 0)
    expect(r.resync).toBe(false)
    expect(r.state.extensions.has('1002')).toBe(false)
    expect(s0.extensions.has('1002')).toBe(true)
  })
  it('asks for a resync on a remove of an unknown id', () => {
    const r = applyDelta(fromSnapshot(snap, 0), delta(11, [{ op: 'remove', kind: 'call', id: 'nope' }]), 0)
    expect(r.resync).toBe(true)
  })
  it('asks for a resync on a seq gap and keeps the old state', () => {
    const s0 = fromSnapshot(snap, 0)
    const r = applyDelta(s0, delta(13, [{ op: 'upsert', kind: 'call', id: 'c1', data: call('c1') }]), 0)
    expect(r.resync).toBe(true)
    expect(r.state).toBe(s0)
  })
  it('applies a scope-filtered delta whose seq jumps when prev_seq is not newer than ours', () => {
    const s0 = fromSnapshot(snap, 0)
    const d = { ...delta(25, [{ op: 'upsert', kind: 'call', id: 'c1', data: call('c1') }]), prev_seq: 7 }
    const r = applyDelta(s0, d, 0)
    expect(r.resync).toBe(false)
    expect(r.state.seq).toBe(25)
    expect(r.state.calls.has('c1')).toBe(true)
  })
  it('asks for a resync when prev_seq shows a delta for our scope was missed', () => {
    const s0 = fromSnapshot(snap, 0)
    const d = { ...delta(25, [{ op: 'upsert', kind: 'call', id: 'c1', data: call('c1') }]), prev_seq: 12 }
    expect(applyDelta(s0, d, 0).resync).toBe(true)
  })
  it('asks for a resync when the epoch changes', () => {
    const r = applyDelta(fromSnapshot(snap, 0), delta(0, [], 4), 0)
    expect(r.resync).toBe(true)
  })
  it('ignores a duplicate delta already applied (resume overlap)', () => {
    const s0 = fromSnapshot(snap, 0)
    const r = applyDelta(s0, delta(10, [{ op: 'remove', kind: 'extension', id: '1001' }]), 0)
    expect(r.resync).toBe(false)
    expect(r.state).toBe(s0)
  })
  it('merges pbx changes so a disconnect shows up', () => {
    const r = applyDelta(fromSnapshot(snap, 0), delta(11, [{ op: 'upsert', kind: 'pbx', id: 'pbx', data: { connected: false } }]), 0)
    expect(r.state.pbx.connected).toBe(false)
  })
  it('applies a run of resumed deltas in order', () => {
    let s = fromSnapshot(snap, 0)
    for (let i = 11; i <= 20; i++) {
      const r = applyDelta(s, delta(i, [{ op: 'upsert', kind: 'call', id: `c${i}`, data: call(`c${i}`) }]), 0)
      expect(r.resync).toBe(false); s = r.state
    }
    expect(s.calls.size).toBe(10); expect(s.seq).toBe(20)
  })
})

describe('applyDeltas', () => {
  it('applies a burst in order with one copy of each touched map', () => {
    const s0 = fromSnapshot(snap, 0)
    const r = applyDeltas(s0, [delta(11, [{ op: 'upsert', kind: 'extension', id: '1001', data: ext('1001', 'ringing') }]),
      delta(12, [{ op: 'upsert', kind: 'extension', id: '1001', data: ext('1001', 'in_call') }, { op: 'upsert', kind: 'call', id: 'c1', data: call('c1') }]),
      delta(13, [{ op: 'remove', kind: 'call', id: 'c1' }])], 0)
    expect(r.resync).toBe(false)
    expect(r.state.seq).toBe(13)
    expect(r.state.extensions.get('1001')?.state).toBe('in_call')
    expect(r.state.calls.size).toBe(0)
    expect(r.state.extensions.get('1002')).toBe(s0.extensions.get('1002'))
    expect(s0.extensions.get('1001')?.state).toBe('idle')
  })
  it('is all or nothing: a gap in the middle of a burst keeps the old state', () => {
    const s0 = fromSnapshot(snap, 0)
    const r = applyDeltas(s0, [delta(11, [{ op: 'remove', kind: 'extension', id: '1001' }]), delta(14, [])], 0)
    expect(r.resync).toBe(true)
    expect(r.state).toBe(s0)
    expect(s0.extensions.has('1001')).toBe(true)
  })
})
