import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, render, screen } from '@testing-library/react'
import '../i18n'
import { ExtensionActions } from './Actions'
import type { Call, Extension, User } from '../live/protocol'

const ext: Extension = { extension: '1001', name: 'Alice', state: 'in_call', registered: true, dnd: false, calls: ['c1'], queues: [], paused: false }
const call: Call = { id: 'c1', state: 'up', direction: 'internal', parties: [], started_at: 0, answered_at: 1, ended_at: null, hold_ms: 0, on_hold: false, queue: null, recording: null, spied_by: [], qos: null, journey: [] }
const user = (role: string, modes: string[], extra: Partial<User> = {}): User => ({ id: 1, username: role, role, extension: '2000', monitor_modes: modes, allowed_agent_extensions: null, allowed_queue_names: null, ...extra })
const has = (a: string) => screen.queryByTestId(`action-${a}`) !== null

describe('actions follow role, monitor modes and scope', () => {
  afterEach(cleanup)
  it('an agent sees no listen, whisper, barge or hangup on someone else', () => {
    render(<ExtensionActions ext={ext} call={call} user={user('agent', ['listen'])} />)
    expect(has('listen')).toBe(false); expect(has('whisper')).toBe(false); expect(has('barge')).toBe(false); expect(has('hangup')).toBe(false)
  })
  it('a supervisor with only listen sees listen but no whisper or barge', () => {
    render(<ExtensionActions ext={ext} call={call} user={user('supervisor', ['listen'])} />)
    expect(has('listen')).toBe(true); expect(has('whisper')).toBe(false); expect(has('barge')).toBe(false)
    expect(has('hangup')).toBe(true)
  })
  it('a supervisor sees nothing to monitor outside the allowed extensions', () => {
    render(<ExtensionActions ext={ext} call={call} user={user('supervisor', ['listen', 'barge'], { allowed_agent_extensions: ['1002'] })} />)
    expect(has('listen')).toBe(false); expect(has('hangup')).toBe(false)
  })
  it('an admin sees every monitor mode and call control', () => {
    render(<ExtensionActions ext={ext} call={call} user={user('admin', ['listen', 'whisper', 'barge'])} />)
    for (const a of ['listen', 'whisper', 'barge', 'hangup', 'transfer', 'attended_transfer', 'take_over', 'park', 'record', 'dnd']) expect(has(a), a).toBe(true)
  })
  it('an agent may control their own call but not monitor it', () => {
    render(<ExtensionActions ext={ext} call={call} user={user('agent', [], { extension: '1001' })} />)
    expect(has('hangup')).toBe(true); expect(has('listen')).toBe(false); expect(has('take_over')).toBe(false)
  })
})
