import { describe, expect, it } from 'vitest'
import { focused, grade, initialPhone, kMaxDtmf, kMaxMissed, reduce, ringing, type PhoneEvent, type PhoneState } from './machine'

const run = (events: PhoneEvent[], s: PhoneState = initialPhone()) => events.reduce(reduce, s)
const incoming = (id: string, at = 1): PhoneEvent => ({ type: 'incoming', id, peer: `10${id.slice(-1)}`, peerName: `Name ${id}`, at })
const inCall = (id = 'c1') => run([{ type: 'registered' }, incoming(id), { type: 'answered', id, at: 5 }])

describe('softphone registration', () => {
  it('goes loading → connecting → registering → registered and clears the error', () => {
    const s = run([{ type: 'config_loading' }, { type: 'config_ok', extension: '1001', server: 'ws://x' }, { type: 'connecting' },
      { type: 'failed', error: 'unreachable', retryAt: 99 }, { type: 'registering' }, { type: 'registered' }])
    expect(s).toMatchObject({ reg: 'registered', error: null, retryAt: null, extension: '1001', server: 'ws://x' })
  })
  it('a wrong password leaves the phone failed with auth_failed', () => {
    const s = run([{ type: 'connecting' }, { type: 'registering' }, { type: 'failed', error: 'auth_failed', detail: '401' }])
    expect(s).toMatchObject({ reg: 'failed', error: 'auth_failed', detail: '401' })
  })
  it('a microphone or call error keeps the registration as it is', () => {
    const s = run([{ type: 'registered' }, { type: 'failed', error: 'mic_denied' }])
    expect(s).toMatchObject({ reg: 'registered', error: 'mic_denied' })
  })
  it('stopping keeps DND, the missed list and the drawer', () => {
    const s = run([{ type: 'dnd', on: true }, incoming('c1'), { type: 'open', on: true }, { type: 'stopped' }])
    expect(s).toMatchObject({ reg: 'off', dnd: true, open: true, calls: [] })
    expect(s.missed).toHaveLength(1)
  })
})

describe('softphone calls', () => {
  it('an incoming call rings, opens the drawer and takes the focus', () => {
    const s = run([incoming('c1')])
    expect(s.open).toBe(true)
    expect(focused(s)?.status).toBe('ringing_in')
    expect(ringing(s).map((c) => c.id)).toEqual(['c1'])
  })
  it('a caller name found later (CRM lookup) replaces the number', () => {
    const s = run([incoming('c1'), { type: 'peer_name', id: 'c1', name: 'ACME Corp' }])
    expect(focused(s)?.peerName).toBe('ACME Corp')
    expect(reduce(s, { type: 'peer_name', id: 'c1', name: 'ACME Corp' })).toBe(s)
  })
  it('answering makes the call active with its answer time', () => {
    const s = inCall()
    expect(focused(s)).toMatchObject({ status: 'active', answeredAt: 5 })
  })
  it('answering twice or an unknown call changes nothing', () => {
    const s = inCall()
    expect(reduce(s, { type: 'answered', id: 'c1', at: 9 })).toBe(s)
    expect(reduce(s, { type: 'hold', id: 'nope', held: true })).toBe(s)
  })
  it('hold, mute and DTMF apply to an active call only', () => {
    const r = run([incoming('c1')])
    expect(reduce(r, { type: 'hold', id: 'c1', held: true })).toBe(r)
    expect(reduce(r, { type: 'dtmf_in', id: 'c1', tone: '5' })).toBe(r)
    const s = run([{ type: 'hold', id: 'c1', held: true }, { type: 'mute', id: 'c1', muted: true }, { type: 'dtmf_in', id: 'c1', tone: '1' }, { type: 'dtmf_in', id: 'c1', tone: '#' }, { type: 'remote_hold', id: 'c1', held: true }], inCall())
    expect(focused(s)).toMatchObject({ held: true, muted: true, dtmfIn: '1#', remoteHeld: true })
  })
  it('keeps only the last digits of a long DTMF sequence', () => {
    const s = run(Array.from({ length: kMaxDtmf + 5 }, (_, i) => ({ type: 'dtmf_out', id: 'c1', tone: String(i % 10) }) as PhoneEvent), inCall())
    expect(focused(s)?.dtmfOut).toHaveLength(kMaxDtmf)
  })
  it('an outgoing call goes dialing → ringing → active', () => {
    const s = run([{ type: 'outgoing', id: 'c2', peer: '1002', at: 1 }, { type: 'progress', id: 'c2' }])
    expect(focused(s)?.status).toBe('ringing_out')
    expect(focused(reduce(s, { type: 'answered', id: 'c2', at: 3 }))?.status).toBe('active')
  })
  it('a second incoming call waits beside the active one without stealing the focus (call waiting)', () => {
    const s = run([incoming('c2', 7)], inCall())
    expect(s.focus).toBe('c1')
    expect(s.calls.map((c) => c.status)).toEqual(['active', 'ringing_in'])
  })
})

describe('softphone endings and missed calls', () => {
  it('an unanswered incoming call that ends is missed', () => {
    const s = run([incoming('c1'), { type: 'ended', id: 'c1', at: 9 }])
    expect(s.calls).toEqual([])
    expect(s.missed).toEqual([{ id: 'c1', peer: '101', peerName: 'Name c1', at: 9, dnd: false }])
    expect(s.focus).toBeNull()
  })
  it('a declined or answered call is not missed', () => {
    expect(run([incoming('c1'), { type: 'ended', id: 'c1', at: 9, declined: true }]).missed).toEqual([])
    expect(run([{ type: 'ended', id: 'c1', at: 9 }], inCall()).missed).toEqual([])
  })
  it('with DND an incoming call goes straight to the missed list, marked dnd', () => {
    const s = run([{ type: 'dnd', on: true }, incoming('c1')])
    expect(s.calls).toEqual([])
    expect(s.missed[0]).toMatchObject({ id: 'c1', dnd: true })
    expect(s.open).toBe(false)
  })
  it('the missed list is capped, newest first', () => {
    const s = run(Array.from({ length: kMaxMissed + 3 }, (_, i) => [incoming(`m${i}`, i), { type: 'ended', id: `m${i}`, at: i } as PhoneEvent]).flat())
    expect(s.missed).toHaveLength(kMaxMissed)
    expect(s.missed[0].at).toBe(kMaxMissed + 2)
  })
  it('when the focused call ends the focus moves to the remaining active call', () => {
    const s = run([incoming('c2'), { type: 'answered', id: 'c2', at: 8 }, { type: 'ended', id: 'c2', at: 9 }], inCall())
    expect(s.focus).toBe('c1')
  })
})

describe('softphone transfer and conference', () => {
  it('a consultation remembers the held call and forgets it when that call ends', () => {
    let s = run([{ type: 'hold', id: 'c1', held: true }, { type: 'outgoing', id: 'c2', peer: '1003', at: 6, consultFor: 'c1' }], inCall())
    expect(focused(s)).toMatchObject({ id: 'c2', consultFor: 'c1' })
    s = reduce(s, { type: 'ended', id: 'c1', at: 7 })
    expect(s.calls.find((c) => c.id === 'c2')?.consultFor).toBeNull()
  })
  it('a conference needs two active calls; it unholds them and ends with the last but one', () => {
    let s = run([{ type: 'outgoing', id: 'c2', peer: '1003', at: 6 }], inCall())
    expect(reduce(s, { type: 'conference', ids: ['c1', 'c2'], on: true })).toBe(s)  // c2 still dialing
    s = run([{ type: 'answered', id: 'c2', at: 7 }, { type: 'hold', id: 'c1', held: true }, { type: 'conference', ids: ['c1', 'c2'], on: true }], s)
    expect(s.calls.map((c) => [c.conference, c.held])).toEqual([[true, false], [true, false]])
    s = reduce(s, { type: 'ended', id: 'c2', at: 9 })
    expect(s.calls.map((c) => c.conference)).toEqual([false])
  })
})

describe('call quality grade', () => {
  it('grades by loss, round trip and jitter', () => {
    expect(grade(40, 5, 0)).toBe('good')
    expect(grade(250, 5, 0)).toBe('fair')
    expect(grade(40, 5, 2)).toBe('fair')
    expect(grade(40, 60, 0)).toBe('poor')
    expect(grade(null, null, 10)).toBe('poor')
  })
})
