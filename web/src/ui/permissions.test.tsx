import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, fireEvent, render, screen } from '@testing-library/react'
import i18n from '../i18n'
import { ExtensionActions, actionItems } from './Actions'
import type { Call, Extension, User } from '../live/protocol'

const ext: Extension = { extension: '1001', name: 'Alice', state: 'in_call', registered: true, dnd: false, calls: ['c1'], queues: [], paused: false }
const call: Call = { id: 'c1', state: 'up', direction: 'internal', parties: [], started_at: 0, answered_at: 1, ended_at: null, hold_ms: 0, on_hold: false, queue: null, recording: null, spied_by: [], qos: null, journey: [] }
const user = (role: string, modes: string[], extra: Partial<User> = {}): User => ({ id: 1, username: role, role, extension: '2000', monitor_modes: modes, allowed_agent_extensions: null, allowed_queue_names: null, ...extra })
const t = (k: string) => i18n.t(k)
/** Every action offered (buttons + menu), as the UI would render it. */
const offered = (e: Extension, c: Call | null, u: User | null) => { const r = actionItems(e, c, u, t); return [...r.buttons, ...r.menu].map((x) => x.action) }
const has = (a: string) => screen.queryByTestId(`action-${a}`) !== null

describe('actions follow role, monitor modes and scope', () => {
  afterEach(cleanup)
  it('an agent sees no listen, whisper, barge or hangup on someone else', () => {
    render(<ExtensionActions ext={ext} call={call} user={user('agent', ['listen'])} />)
    expect(has('listen')).toBe(false); expect(has('whisper')).toBe(false); expect(has('barge')).toBe(false); expect(has('hangup')).toBe(false)
    expect(offered(ext, call, user('agent', ['listen']))).toEqual([])
  })
  it('a supervisor with only listen sees listen but no whisper or barge', () => {
    render(<ExtensionActions ext={ext} call={call} user={user('supervisor', ['listen'])} />)
    expect(has('listen')).toBe(true); expect(has('whisper')).toBe(false); expect(has('barge')).toBe(false)
    expect(has('hangup')).toBe(true)
  })
  it('a supervisor with whisper and barge but not listen sees exactly those two modes', () => {
    const got = offered(ext, call, user('supervisor', ['whisper', 'barge']))
    expect(got.filter((a) => ['listen', 'whisper', 'barge'].includes(a))).toEqual(['whisper', 'barge'])
  })
  it('a supervisor sees nothing to monitor or control outside the allowed extensions', () => {
    render(<ExtensionActions ext={ext} call={call} user={user('supervisor', ['listen', 'barge'], { allowed_agent_extensions: ['1002'] })} />)
    expect(has('listen')).toBe(false); expect(has('hangup')).toBe(false)
    expect(offered(ext, call, user('supervisor', ['listen'], { allowed_agent_extensions: ['1002'] }))).toEqual([])
  })
  it('an admin gets every monitor mode and call control, the rarer ones in the "more" menu', () => {
    render(<ExtensionActions ext={ext} call={call} user={user('admin', ['listen', 'whisper', 'barge'])} />)
    for (const a of ['listen', 'whisper', 'barge', 'hangup', 'transfer']) expect(has(a), a).toBe(true)
    expect(has('attended_transfer')).toBe(false) // closed menu
    fireEvent.click(screen.getByTestId('more-1001'))
    expect(screen.getByRole('menu')).toBeTruthy()
    for (const a of ['attended_transfer', 'take_over', 'park', 'record', 'dnd']) expect(has(a), a).toBe(true)
    expect(screen.getByTestId('action-record').textContent).toContain('Start recording')
  })
  it('the menu closes on Escape and gives focus back to its button', () => {
    render(<ExtensionActions ext={ext} call={call} user={user('admin', [])} />)
    const btn = screen.getByTestId('more-1001')
    fireEvent.click(btn)
    fireEvent.keyDown(screen.getByRole('menu'), { key: 'Escape' })
    expect(screen.queryByRole('menu')).toBeNull()
    expect(document.activeElement).toBe(btn)
  })
  it('a recording call offers stop recording instead of start', () => {
    const items = actionItems(ext, { ...call, recording: 'x.wav', recording_active: true }, user('admin', []), t).menu
    expect(items.find((i) => i.action === 'record')?.label).toBe('Stop recording')
  })
  it('an agent may control their own call but not monitor or take it over', () => {
    const got = offered(ext, call, user('agent', [], { extension: '1001' }))
    expect(got).toContain('hangup'); expect(got).toContain('transfer'); expect(got).toContain('park'); expect(got).toContain('dnd')
    expect(got).not.toContain('listen'); expect(got).not.toContain('take_over')
  })
  it('a ringing extension offers pickup to someone with a phone, an idle one offers a call, never to oneself', () => {
    const ringing = { ...ext, state: 'ringing' as const, calls: [] }
    expect(offered(ringing, null, user('agent', []))).toContain('pickup')
    const idle = { ...ext, state: 'idle' as const, calls: [] }
    expect(offered(idle, null, user('agent', []))).toEqual(['originate'])
    expect(offered(idle, null, user('agent', [], { extension: '1001' }))).toEqual(['dnd'])
    expect(offered(idle, null, user('agent', [], { extension: null }))).toEqual([])
  })
})
