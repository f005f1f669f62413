/* Per-call quality chart (jitter, loss, MOS over time) in plain SVG, and the call-log panel
 * that loads /api/calls/{id}/qos (TanStack Query) and shows the chart with the per-leg summary. */
import { useTranslation } from 'react-i18next'
import { useQuery } from '@tanstack/react-query'
import { api } from '../lib/http'
import type { CallQosReply, QosPoint, Stat, Thresholds } from './qos'
import { shownMos } from './qos'

const W = 560, H = 70, PAD = 34, GAP = 18

interface Series { key: string; label: string; unit: string; value: (p: QosPoint) => number | null; min: number; max: number; guides: number[] }

/** Polyline points for values on a [min, max] scale inside a panel at `top`; nulls break nothing (skipped). */
export function linePoints(values: (number | null)[], times: number[], min: number, max: number, top: number): string {
  const t0 = times[0] ?? 0, span = Math.max(1, (times[times.length - 1] ?? 0) - t0)
  const out: string[] = []
  values.forEach((v, i) => {
    if (v == null) return
    const x = PAD + ((times[i] - t0) / span) * (W - PAD - 4)
    const y = top + H - ((Math.min(max, Math.max(min, v)) - min) / (max - min || 1)) * H
    out.push(`${x.toFixed(1)},${y.toFixed(1)}`)
  })
  return out.join(' ')
}

export function QosChart({ points, thresholds }: { points: QosPoint[]; thresholds?: Thresholds }) {
  const { t } = useTranslation()
  if (points.length === 0) return <p className="muted" data-testid="qos-chart-empty">{t('qos.no_points')}</p>
  const times = points.map((p) => p.t)
  const top = (i: number) => GAP + i * (H + GAP)
  const maxOf = (f: (p: QosPoint) => number | null, floor: number) => Math.max(floor, ...points.map((p) => f(p) ?? 0)) * 1.15
  const series: Series[] = [
    { key: 'jitter', label: t('qos.jitter'), unit: 'ms', value: (p) => p.jitter_ms, min: 0, max: maxOf((p) => p.jitter_ms, thresholds?.poor_jitter_ms ?? 50), guides: thresholds ? [thresholds.fair_jitter_ms, thresholds.poor_jitter_ms] : [] },
    { key: 'loss', label: t('qos.loss'), unit: '%', value: (p) => p.loss_pct, min: 0, max: maxOf((p) => p.loss_pct, thresholds?.poor_loss_pct ?? 5), guides: thresholds ? [thresholds.fair_loss_pct, thresholds.poor_loss_pct] : [] },
    { key: 'mos', label: t('qos.mos'), unit: '', value: (p) => shownMos(p), min: 1, max: 5, guides: thresholds ? [thresholds.fair_mos, thresholds.poor_mos] : [] },
  ]
  const height = top(series.length)
  const secs = Math.round(((times[times.length - 1] ?? 0) - (times[0] ?? 0)) / 1000)
  return (
    <svg className="qos-chart" viewBox={`0 0 ${W} ${height}`} role="img" aria-label={t('qos.chart_label', { count: points.length, secs })} data-testid="qos-chart">
      {series.map((s, i) => {
        const y = top(i)
        const scale = (v: number) => y + H - ((v - s.min) / (s.max - s.min || 1)) * H
        return (
          <g key={s.key} data-testid={`qos-series-${s.key}`}>
            <text x={2} y={y - 4} className="qos-axis">{s.label}{s.unit ? ` (${s.unit})` : ''}</text>
            <rect x={PAD} y={y} width={W - PAD - 4} height={H} className="qos-frame" />
            {s.guides.map((g, k) => g >= s.min && g <= s.max && <line key={k} x1={PAD} x2={W - 4} y1={scale(g)} y2={scale(g)} className={k === 0 ? 'qos-guide fair' : 'qos-guide poor'} />)}
            <text x={PAD - 3} y={y + 10} textAnchor="end" className="qos-axis">{s.max.toFixed(s.max < 10 ? 1 : 0)}</text>
            <text x={PAD - 3} y={y + H} textAnchor="end" className="qos-axis">{s.min}</text>
            <polyline points={linePoints(points.map(s.value), times, s.min, s.max, y)} className={`qos-line ${s.key}`} fill="none" />
          </g>
        )
      })}
    </svg>
  )
}

const stat = (s: Stat | null, d = 1) => (s ? `${s.min.toFixed(d)} / ${s.avg.toFixed(d)} / ${s.max.toFixed(d)}` : '–')

/** Quality of one call from the call log: summary per leg and the chart. */
export function CallQos({ id }: { id: string }) {
  const { t } = useTranslation()
  const q = useQuery({ queryKey: ['call-qos', id], queryFn: () => api<CallQosReply>(`/api/calls/${encodeURIComponent(id)}/qos`), retry: false })
  if (q.isLoading) return <p>{t('log.loading')}</p>
  if (q.error) return <p className="muted" data-testid="qos-none">{t('qos.none')}</p>
  const d = q.data!
  return (
    <div className="qos-panel" data-testid="qos-panel">
      <h4>{t('qos.title')}</h4>
      {d.legs.length > 0 && <table className="legs-table"><thead><tr><th>{t('qos.leg')}</th><th>{t('qos.grade_col')}</th>
        <th>{t('qos.jitter')} rx (ms)</th><th>{t('qos.jitter')} tx (ms)</th><th>{t('qos.loss')} rx / tx (%)</th><th>RTT (ms)</th><th>{t('qos.mos')}</th></tr></thead>
        <tbody>{d.legs.map((l) => <tr key={l.summary?.uniqueid ?? l.extension}>
          <td>{l.extension}</td><td><span className={`badge qos-${l.grade}`}>{t(`qos.grade.${l.grade}`, { defaultValue: l.grade })}</span></td>
          <td>{stat(l.summary?.rx.jitter_ms ?? null)}</td><td>{stat(l.summary?.tx.jitter_ms ?? null)}</td>
          <td>{l.summary ? `${l.summary.rx.cumulative_loss_pct.toFixed(1)} / ${l.summary.tx.cumulative_loss_pct.toFixed(1)}` : '–'}</td>
          <td>{stat(l.summary?.rtt_ms ?? null)}</td><td>{stat(l.summary?.rx.mos ?? null, 2)}</td></tr>)}</tbody></table>}
      <QosChart points={d.points} thresholds={d.thresholds} />
    </div>
  )
}
