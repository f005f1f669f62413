import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Connection, backoffMs } from './connection'
import { liveStore, resetLive } from './store'

const snapshotFrame = (epoch: number, seq: number) => JSON.stringify({ type: 'snapshot', epoch, seq, server_time: Date.now(), state: {
  epoch, seq, server_time: Date.now(), pbx: { connected: true },
  extensions: [{ extension: '1001', name: 'A', state: 'idle', registered: true, dnd: false, calls: [], queues: [], paused: false }], calls: [], queues: [], parked: [], conferences: [] } })

describe('connection frame handling', () => {
  beforeEach(() => resetLive())
  it('caps the reconnect backoff at 5 s', () => {
    expect(backoffMs(0)).toBe(250)
    expect(backoffMs(3)).toBe(2000)
    expect(backoffMs(10)).toBe(5000)
  })
  it('loads a snapshot, applies deltas, and keeps the state when a gap forces a resync', () => {
    const c = new Connection('tok', () => {}, 'ws://127.0.0.1:1/ws', 0)
    c.handle(snapshotFrame(2, 5))
    expect(liveStore.getState().hasSnapshot).toBe(true)
    c.handle(JSON.stringify({ type: 'delta', epoch: 2, seq: 6, server_time: Date.now(), changes: [{ op: 'upsert', kind: 'extension', id: '1001', data: { extension: '1001', name: 'A', state: 'ringing', registered: true, dnd: false, calls: [], queues: [], paused: false } }] }))
    expect(liveStore.getState().extensions.get('1001')?.state).toBe('ringing')
    c.handle(JSON.stringify({ type: 'delta', epoch: 2, seq: 9, server_time: Date.now(), changes: [{ op: 'remove', kind: 'extension', id: '1001' }] }))
    expect(liveStore.getState().seq).toBe(6)
    expect(liveStore.getState().extensions.get('1001')?.state).toBe('ringing') // never an empty screen
  })
  it('accepts an array of frames in one message', () => {
    const c = new Connection('tok', () => {}, 'ws://127.0.0.1:1/ws', 0)
    c.handle(`[${snapshotFrame(1, 0)},${JSON.stringify({ type: 'delta', epoch: 1, seq: 1, server_time: 0, changes: [{ op: 'remove', kind: 'extension', id: '1001' }] })}]`)
    expect(liveStore.getState().extensions.size).toBe(0)
  })
  describe('batching', () => {
    afterEach(() => vi.useRealTimers())
    const up = (seq: number, state: string) => JSON.stringify({ type: 'delta', epoch: 2, seq, server_time: Date.now(), changes: [{ op: 'upsert', kind: 'extension', id: '1001', data: { extension: '1001', name: 'A', state, registered: true, dnd: false, calls: [], queues: [], paused: false } }] })
    it('applies a burst of deltas as one store update after the batch window', () => {
      vi.useFakeTimers()
      const c = new Connection('tok', () => {}, 'ws://127.0.0.1:1/ws', 50)
      c.handle(snapshotFrame(2, 5))
      let updates = 0
      const unsub = liveStore.subscribe(() => updates++)
      c.handle(up(6, 'ringing')); c.handle(up(7, 'in_call')); c.handle(up(8, 'on_hold'))
      expect(liveStore.getState().seq).toBe(5) // not yet
      vi.advanceTimersByTime(50)
      unsub()
      expect(updates).toBe(1)
      expect(liveStore.getState().seq).toBe(8)
      expect(liveStore.getState().extensions.get('1001')?.state).toBe('on_hold')
    })
    it('applies pending deltas before an action result or a new snapshot is handled', () => {
      vi.useFakeTimers()
      const c = new Connection('tok', () => {}, 'ws://127.0.0.1:1/ws', 50)
      c.handle(snapshotFrame(2, 5))
      c.handle(up(6, 'ringing'))
      c.handle(JSON.stringify({ type: 'pong', server_time: Date.now() }))
      expect(liveStore.getState().extensions.get('1001')?.state).toBe('ringing')
    })
  })
})
