import { describe, expect, it } from 'vitest'
import { fmtDuration, sinceMs, talkMs, totalMs } from './time'

describe('timers from timestamps', () => {
  const call = { started_at: 1_000_000, answered_at: 1_010_000, ended_at: null }
  it('uses the server offset: a client clock 30 s behind still shows the right talk time', () => {
    const serverNow = 1_070_000
    const localNow = serverNow - 30_000
    expect(talkMs(call, 30_000, localNow)).toBe(60_000)
    expect(totalMs(call, 30_000, localNow)).toBe(70_000)
  })
  it('shows zero talk time before answer and never negative values', () => {
    expect(talkMs({ ...call, answered_at: null }, 0, 2_000_000)).toBe(0)
    expect(totalMs(call, -10_000_000, 0)).toBe(0)
    expect(sinceMs(5_000, 0, 4_000)).toBe(0)
  })
  it('freezes at ended_at', () => {
    expect(talkMs({ ...call, ended_at: 1_040_000 }, 0, 9_999_999)).toBe(30_000)
  })
  it('formats mm:ss and h:mm:ss', () => {
    expect(fmtDuration(65_000)).toBe('01:05')
    expect(fmtDuration(3_725_000)).toBe('1:02:05')
  })
})
