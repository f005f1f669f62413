import { describe, expect, it } from 'vitest'
import { gridIds, pauseReason, displayState } from './Extensions'
import { slaClass } from './Queues'
import { logQuery } from './CallLog'
import type { Extension, Queue } from '../live/protocol'

const e = (n: string, name: string, state: Extension['state'], extra: Partial<Extension> = {}): Extension =>
  ({ extension: n, name, state, registered: true, dnd: false, calls: [], queues: [], paused: false, ...extra })
const exts = [e('1010', 'Zoe', 'idle', { group: 'Sales', order: 2 }), e('1002', 'Adam', 'in_call', { queues: ['support'] }),
  e('1003', '', 'ringing', { group: 'Sales', order: 1 }), e('1001', 'Mia', 'idle', { dnd: true })]
const f = { q: '', state: '', group: '', sort: 'number' as const }

describe('extension grid list', () => {
  it('sorts numbers numerically, names with the number as fallback, and states by urgency', () => {
    expect(gridIds(exts, f)).toEqual(['1001', '1002', '1003', '1010'])
    expect(gridIds(exts, { ...f, sort: 'name' })).toEqual(['1003', '1002', '1001', '1010'])
    expect(gridIds(exts, { ...f, sort: 'state' })).toEqual(['1003', '1002', '1001', '1010'])
  })
  it('filters by search text on name or number', () => {
    expect(gridIds(exts, { ...f, q: 'ad' })).toEqual(['1002'])
    expect(gridIds(exts, { ...f, q: '101' })).toEqual(['1010'])
  })
  it('filters by state, with DND as its own state', () => {
    expect(displayState(exts[3])).toBe('dnd')
    expect(gridIds(exts, { ...f, state: 'idle' })).toEqual(['1010'])
    expect(gridIds(exts, { ...f, state: 'dnd' })).toEqual(['1001'])
  })
  it('filters by directory group or by queue, and sorts by group order', () => {
    expect(gridIds(exts, { ...f, group: 'g:Sales', sort: 'group' })).toEqual(['1003', '1010'])
    expect(gridIds(exts, { ...f, group: 'q:support' })).toEqual(['1002'])
  })
  it('finds the pause reason of an extension in the queues', () => {
    const q = { name: 'support', members: [{ extension: '1002', paused: true, reason: 'lunch' }] } as unknown as Queue
    expect(pauseReason(new Map([['support', q]]), '1002')).toBe('lunch')
    expect(pauseReason(new Map([['support', q]]), '1001')).toBe('')
  })
})

describe('queue SLA colouring', () => {
  it('is ok under 70 % of the service level, warn under it, bad past it, with 60 s when none is set', () => {
    expect(slaClass(10_000, 20)).toBe('sla-ok'); expect(slaClass(15_000, 20)).toBe('sla-warn'); expect(slaClass(20_000, 20)).toBe('sla-bad')
    expect(slaClass(50_000, 0)).toBe('sla-warn'); expect(slaClass(60_000, 0)).toBe('sla-bad')
  })
})

describe('call log query', () => {
  it('sends days as YYYY-MM-DD, drops empty filters and the default order, keeps the cursor', () => {
    const q = logQuery({ date_from: '2026-11-01', date_to: '', extension: '1001', direction: '', outcome: 'no_answer', queue: '', min_duration: '', has_recording: 'true', search: '', sort: 'newest' }, { limit: 50, cursor: 'abc' })
    expect(Object.fromEntries(new URLSearchParams(q))).toEqual({ date_from: '2026-11-01', extension: '1001', outcome: 'no_answer', has_recording: 'true', limit: '50', cursor: 'abc' })
    expect(logQuery({ date_from: '', date_to: '', extension: '', direction: '', outcome: '', queue: '', min_duration: '', has_recording: '', search: '', sort: 'oldest' })).toBe('sort=oldest')
  })
})
