import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, render, screen } from '@testing-library/react'
import i18n from '../i18n'
import { QosBadge } from './QosBadge'
import { QosChart, linePoints } from './QosChart'
import { asQos, showNotice, type QosPoint } from './qos'

afterEach(() => { cleanup(); void i18n.changeLanguage('en') })

const live = { loss_pct: 7.8, jitter_ms: 71, rtt_ms: 420, mes: 41.2, mes_mos: 2.06, mos: 2.4, grade: 'poor', reason: '7.8 % loss', updated_at: 1 }
const pt = (t: number, jitter: number, loss: number, mos: number | null): QosPoint => ({ t, jitter_ms: jitter, loss_pct: loss, mos, mes: null, rtt_ms: null, grade: 'good' })

describe('quality badge', () => {
  it('shows the grade with its values and reason in the tooltip', () => {
    render(<QosBadge qos={live} testId="b" />)
    const b = screen.getByTestId('b')
    expect(b.textContent).toContain('Poor')
    expect(b.className).toContain('qos-poor')
    expect(b.getAttribute('title')).toContain('Loss 7.8 %')
    expect(b.getAttribute('title')).toContain('RTT 420.0 ms')
    expect(b.getAttribute('title')).toContain('7.8 % loss')
  })
  it('renders nothing without qos, without a grade or for garbage', () => {
    for (const q of [null, undefined, 'x', { loss_pct: 'a' }, { ...live, grade: null }, { ...live, grade: 'bogus' }]) {
      const { container } = render(<QosBadge qos={q} />)
      expect(container.textContent).toBe('')
      cleanup()
    }
  })
  it('is translated', async () => {
    await i18n.changeLanguage('es')
    render(<QosBadge qos={{ ...live, grade: 'fair' }} testId="b" />)
    expect(screen.getByTestId('b').textContent).toContain('Regular')
  })
  it('fills unknown values with null', () => {
    expect(asQos({ loss_pct: 0, jitter_ms: 1, grade: 'good' })).toMatchObject({ rtt_ms: null, mos: null, mes: null, grade: 'good' })
  })
})

describe('quality chart', () => {
  it('draws one line per series over the call time, with threshold guides', () => {
    const points = [pt(1000, 2, 0, 4.4), pt(6000, 30, 2.5, 4.0), pt(11000, 70, 8, 2.5)]
    const th = { fair_loss_pct: 1, poor_loss_pct: 5, fair_jitter_ms: 20, poor_jitter_ms: 50, fair_mos: 3.8, poor_mos: 3.1 }
    render(<QosChart points={points} thresholds={th} />)
    const svg = screen.getByTestId('qos-chart')
    expect(svg.getAttribute('aria-label')).toContain('10 s')
    for (const k of ['jitter', 'loss', 'mos']) {
      const g = screen.getByTestId(`qos-series-${k}`)
      expect(g.querySelector('polyline')!.getAttribute('points')!.split(' ')).toHaveLength(3)
      expect(g.querySelectorAll('line.qos-guide')).toHaveLength(2)
    }
  })
  it('maps time to x and value to y, skipping unknown values', () => {
    const s = linePoints([0, null, 10], [0, 5, 10], 0, 10, 0)
    const pts = s.split(' ').map((p) => p.split(',').map(Number))
    expect(pts).toHaveLength(2)
    expect(pts[0][0]).toBeLessThan(pts[1][0])   // later → right
    expect(pts[0][1]).toBeGreaterThan(pts[1][1]) // higher value → up
  })
  it('says so when there are no samples', () => {
    render(<QosChart points={[]} />)
    expect(screen.getByTestId('qos-chart-empty').textContent).toContain('No quality samples')
  })
})

describe('quality notices', () => {
  it('shows a QoS alert once per call and code, to supervisors and admins only', () => {
    const n = { code: 'qos.poor', call_id: 'c-1' }
    expect(showNotice(n, { role: 'supervisor' }, 1000)).toBe(true)
    expect(showNotice(n, { role: 'supervisor' }, 1001)).toBe(false)          // same call, second extension
    expect(showNotice({ ...n, code: 'qos.fair' }, { role: 'admin' }, 1002)).toBe(true)
    expect(showNotice({ code: 'qos.poor', call_id: 'c-2' }, { role: 'agent' }, 1003)).toBe(false)
    expect(showNotice({ code: 'pbx.down' }, { role: 'agent' }, 1004)).toBe(true)  // other notices pass
    expect(showNotice(n, { role: 'supervisor' }, 1000 + 11 * 60_000)).toBe(true)  // remembered 10 min
  })
})
