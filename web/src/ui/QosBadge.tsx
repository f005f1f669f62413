/* Quality badge (good / fair / poor) of a live call, with its values in the tooltip. */
import { memo } from 'react'
import { useTranslation } from 'react-i18next'
import { Activity } from 'lucide-react'
import { asQos, shownMos } from './qos'

const fmt = (v: number | null, digits: number) => (v == null ? '–' : v.toFixed(digits))

export const QosBadge = memo(function QosBadge({ qos, testId }: { qos: unknown; testId?: string }) {
  const { t } = useTranslation()
  const q = asQos(qos)
  if (!q || !q.grade) return null
  const title = t('qos.tooltip', { loss: fmt(q.loss_pct, 1), jitter: fmt(q.jitter_ms, 1), rtt: fmt(q.rtt_ms, 1), mos: fmt(shownMos(q), 2), mes: fmt(q.mes, 1) })
  return (
    <span className={`badge qos-${q.grade}`} data-testid={testId ?? 'qos-badge'} title={q.reason ? `${title} — ${q.reason}` : title}>
      <Activity size={12} aria-hidden /> {t(`qos.grade.${q.grade}`)}
    </span>
  )
})
