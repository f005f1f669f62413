import { describe, expect, it } from 'vitest'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import en from './locales/en.json'
import ar from './locales/ar.json'
import es from './locales/es.json'
import pt from './locales/pt.json'

const root = join(__dirname, '..')
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n)
    if (statSync(p).isDirectory()) return sources(p)
    return /\.(ts|tsx)$/.test(n) && !/\.test\./.test(n) ? [p] : []
  })
}
const placeholders = (s: string) => [...s.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort()

describe('translations', () => {
  const langs = { ar, es, pt } as Record<string, Record<string, string>>
  it.each(Object.keys(langs))('%s has exactly the English keys, non-empty, with the same placeholders', (l) => {
    const d = langs[l]
    expect(Object.keys(d).sort()).toEqual(Object.keys(en).sort())
    for (const [k, v] of Object.entries(en)) {
      expect(d[k], `${l}:${k}`).toBeTruthy()
      expect(placeholders(d[k]), `${l}:${k}`).toEqual(placeholders(v))
    }
  })
  it('every literal key used in code exists in English', () => {
    const used = new Set<string>()
    for (const f of sources(root)) {
      const src = readFileSync(f, 'utf8')
      for (const m of src.matchAll(/\bt\(\s*'([^'`$]+)'/g)) used.add(m[1])
    }
    expect(used.size).toBeGreaterThan(50)
    const missing = [...used].filter((k) => !(k in en))
    expect(missing).toEqual([])
  })
  it('every templated key family used in code exists in English', () => {
    const families: Record<string, string[]> = {
      'state.': ['idle', 'ringing', 'in_call', 'on_hold', 'busy', 'unavailable', 'dnd'],
      'action.': ['listen', 'whisper', 'barge', 'hangup', 'transfer', 'attended_transfer', 'take_over', 'park', 'pickup', 'originate', 'dnd', 'record', 'record_start', 'record_stop', 'dnd_on', 'dnd_off'],
      'calls.direction.': ['inbound', 'outbound', 'internal'], 'role.': ['admin', 'supervisor', 'agent'],
      'outcome.': ['answered', 'no_answer', 'busy', 'failed', 'cancelled', 'abandoned'],
      'calls.state.': ['ringing', 'dialing', 'up', 'held', 'parked', 'conference', 'ended'],
      'journey.': ['rang', 'answered', 'not_answered', 'held', 'resumed', 'transferred', 'queued', 'abandoned', 'parked', 'conference', 'left_conference', 'spied', 'hung_up'],
      'member.': ['not_in_use', 'in_use', 'busy', 'unavailable', 'ringing', 'ring_in_use', 'on_hold', 'invalid', 'unknown'],
      'action.queue_': ['pause', 'unpause', 'add', 'remove', 'penalty'],
    }
    for (const [p, ks] of Object.entries(families)) for (const k of ks) expect(en, p + k).toHaveProperty([p + k])
  })
})
