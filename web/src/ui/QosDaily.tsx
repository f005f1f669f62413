/* Daily call quality per extension, worst first (GET /api/qos/daily), for admins and supervisors. */
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { api } from '../lib/http'
import type { DailyReply } from './qos'

const today = () => {
  const d = new Date()
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
}
const num = (v: number | null, d = 1) => (v == null ? '–' : v.toFixed(d))

export function QosDaily() {
  const { t } = useTranslation()
  const [date, setDate] = useState(today())
  // Calls keep ending while the page is open: fetched on every visit and every 30 s.
  const q = useQuery({ queryKey: ['qos-daily', date], queryFn: () => api<DailyReply>(`/api/qos/daily?date=${encodeURIComponent(date)}`), placeholderData: keepPreviousData, staleTime: 0, refetchInterval: 30_000 })
  return (
    <div data-testid="qos-daily">
      <label>{t('qos.date')} <input type="date" value={date} onChange={(e) => e.target.value && setDate(e.target.value)} data-testid="qos-daily-date" /></label>
      {q.error && <p role="alert" className="error">{t('admin.error', { message: (q.error as Error).message })}</p>}
      {q.data?.truncated && <p className="muted">{t('qos.truncated')}</p>}
      <div className="table-wrap">
        <table className={q.isPlaceholderData ? 'stale' : ''}>
          <thead><tr><th>{t('log.extension')}</th><th>{t('qos.worst')}</th><th>{t('qos.calls')}</th><th>{t('qos.grade.good')} / {t('qos.grade.fair')} / {t('qos.grade.poor')}</th>
            <th>{t('qos.mos')} avg / min</th><th>{t('qos.loss')} avg / max (%)</th><th>{t('qos.jitter')} avg / max (ms)</th><th>RTT avg / max (ms)</th></tr></thead>
          <tbody>{q.data?.rows.map((r) => <tr key={r.extension} data-testid={`qos-daily-${r.extension}`}>
            <td>{r.extension}</td><td>{r.worst ? <span className={`badge qos-${r.worst}`}>{t(`qos.grade.${r.worst}`)}</span> : '–'}</td>
            <td>{r.calls}</td><td>{r.good} / {r.fair} / {r.poor}</td><td>{num(r.avg_mos, 2)} / {num(r.min_mos, 2)}</td>
            <td>{num(r.avg_loss_pct)} / {num(r.max_loss_pct)}</td><td>{num(r.avg_jitter_ms)} / {num(r.max_jitter_ms)}</td>
            <td>{num(r.avg_rtt_ms)} / {num(r.max_rtt_ms)}</td></tr>)}</tbody>
        </table>
      </div>
      {q.data && q.data.rows.length === 0 && <p className="muted">{t('qos.daily_empty')}</p>}
    </div>
  )
}
