import { beforeEach, describe, expect, it } from 'vitest'
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
    const c = new Connection('tok', () => {}, 'ws://127.0.0.1:1/ws')
    c.handle(snapshotFrame(2, 5))
    expect(liveStore.getState().hasSnapshot).toBe(true)
    c.handle(JSON.stringify({ type: 'delta', epoch: 2, seq: 6, server_time: Date.now(), changes: [{ op: 'upsert', kind: 'extension', id: '1001', data: { extension: '1001', name: 'A', state: 'ringing', registered: true, dnd: false, calls: [], queues: [], paused: false } }] }))
    expect(liveStore.getState().extensions.get('1001')?.state).toBe('ringing')
    c.handle(JSON.stringify({ type: 'delta', epoch: 2, seq: 9, server_time: Date.now(), changes: [{ op: 'remove', kind: 'extension', id: '1001' }] }))
    expect(liveStore.getState().seq).toBe(6)
    expect(liveStore.getState().extensions.get('1001')?.state).toBe('ringing') // never an empty screen
  })
  it('accepts an array of frames in one message', () => {
    const c = new Connection('tok', () => {}, 'ws://127.0.0.1:1/ws')
    c.handle(`[${snapshotFrame(1, 0)},${JSON.stringify({ type: 'delta', epoch: 1, seq: 1, server_time: 0, changes: [{ op: 'remove', kind: 'extension', id: '1001' }] })}]`)
    expect(liveStore.getState().extensions.size).toBe(0)
  })
})
