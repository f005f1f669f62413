import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import '../i18n'
import { liveStore, resetLive } from '../live/store'
import { startNotifier } from './notify'
import type { Extension, Queue, User } from '../live/protocol'

const me: User = { id: 2, username: 'ann', role: 'agent', extension: '1001', monitor_modes: [] }
const ext = (state: Extension['state'], calls: string[] = []): Extension => ({ extension: '1001', name: 'Ann', state, registered: true, dnd: false, calls, queues: ['support'], paused: false })
const shown: { body: string; tag: string }[] = []
class FakeNotification { static permission = 'granted'; constructor(_t: string, o: { body: string; tag: string }) { shown.push(o) } }

describe('browser notifications', () => {
  let stop: () => void
  beforeEach(() => {
    shown.length = 0; resetLive(); vi.useFakeTimers(); vi.stubGlobal('Notification', FakeNotification)
    liveStore.setState({ user: me, extensions: new Map([['1001', ext('idle')]]) })
    stop = startNotifier()
  })
  afterEach(() => { stop(); vi.useRealTimers(); vi.unstubAllGlobals() })

  it('notifies once when my extension starts ringing, naming the caller', () => {
    const call = { id: 'c1', parties: [{ extension: null, number: '+4122', name: 'Bob', channel: 'x' }, { extension: '1001', number: '1001', name: 'Ann', channel: 'y' }] }
    liveStore.setState({ calls: new Map([['c1', call as never]]), extensions: new Map([['1001', ext('ringing', ['c1'])]]) })
    liveStore.setState({ extensions: new Map([['1001', ext('ringing', ['c1'])]]) }) // still ringing: no second one
    expect(shown).toEqual([{ body: 'Bob is calling you', tag: 'ring-1001' }])
  })
  it('notifies when a caller waits past the service level in a queue I am a member of, not in others', () => {
    const now = Date.now()
    const q = (name: string, member: string): Queue => ({ name, strategy: 'ringall', calls: 1, completed: 0, abandoned: 0, holdtime: 0, talktime: 0, service_level: 30, service_level_perf: 0,
      members: [{ interface: `PJSIP/${member}`, name: member, extension: member, status: 1, status_text: 'not_in_use', paused: false, reason: '', penalty: 0, calls_taken: 0, last_call: 0, in_call: false, dynamic: false }],
      entries: [{ position: 1, caller: '555', caller_name: 'Eve', channel: `c-${name}`, uniqueid: `u-${name}`, call_id: 'x', since: now - 31_000 }] })
    liveStore.setState({ offset: 0, queues: new Map([['support', q('support', '1001')], ['sales', q('sales', '1002')]]) })
    vi.advanceTimersByTime(2100)
    expect(shown.map((s) => s.tag)).toEqual(['support:u-support'])
    vi.advanceTimersByTime(4000)
    expect(shown.length).toBe(1) // once per waiting caller
  })
})
