/* Active calls list: one row per call, selected by id; journey on expand. */
import { memo, useState } from 'react'
import { useCallerName } from './useCallerName'
import { useTranslation } from 'react-i18next'
import { useShallow } from 'zustand/react/shallow'
import { ChevronDown, ChevronRight, Circle, Eye, Pause, ArrowDownLeft, ArrowUpRight, ArrowLeftRight } from 'lucide-react'
import { useLive } from '../live/store'
import { sinceMs, talkMs, totalMs } from '../lib/time'
import { iso } from '../lib/bidi'
import { Timer } from './Timer'
import { CALL_MIME } from './Extensions'
import { QosBadge } from './QosBadge'

const dirIcon = { inbound: ArrowDownLeft, outbound: ArrowUpRight, internal: ArrowLeftRight } as const

const CallRow = memo(function CallRow({ id }: { id: string }) {
  const { t } = useTranslation()
  const c = useLive((s) => s.calls.get(id))
  const [open, setOpen] = useState(false)
  // Names resolved from the directory when a channel carries only a number (a string: re-renders only on change).
  // An inbound caller the PBX gave no name: the CRM lookup / local contacts name it (cached).
  const unnamed = c?.direction === 'inbound' ? c.parties.find((p) => !p.extension && !p.name) : undefined
  const looked = useCallerName(unnamed?.number)
  const names = useLive((s) => c ? c.parties.map((p) => p.name || (p.extension ? s.extensions.get(p.extension)?.name : '') || (p === unnamed && looked) || p.number).map(iso).join(` ${t('calls.arrow')} `) : '')
  if (!c) return null
  const DirIcon = dirIcon[c.direction as keyof typeof dirIcon] ?? ArrowLeftRight
  const dragExt = c.parties.find((p) => p.extension)?.extension
  return (
    <li className={`call st-${c.state}`} data-testid={`call-${c.id}`} draggable={!!dragExt}
      onDragStart={(e) => { if (dragExt) e.dataTransfer.setData(CALL_MIME, dragExt) }}>
      <div className="call-head">
        <button type="button" className="icon-btn" aria-expanded={open} aria-label={t('calls.journey')} onClick={() => setOpen(!open)}>
          {open ? <ChevronDown size={15} aria-hidden /> : <ChevronRight size={15} aria-hidden />}
        </button>
        <span className="dir" title={t(`calls.direction.${c.direction}`)}><DirIcon size={15} aria-hidden /><span className="sr-only">{t(`calls.direction.${c.direction}`)}</span></span>
        <span className="parties" data-testid={`parties-${c.id}`}>{names}</span>
        {c.queue && <span className="badge">{c.queue}</span>}
        <span className={`badge cs-${c.state}`}>{t(`calls.state.${c.state}`, { defaultValue: c.state })}</span>
        <QosBadge qos={c.qos} testId={`qos-${c.id}`} />
        {(c.on_hold || c.hold_ms > 0) && <span className={c.on_hold ? 'badge warn' : 'badge'} title={t('calls.hold_total')} data-testid={`hold-${c.id}`}><Pause size={12} aria-hidden /> {c.on_hold ? t('calls.hold') : ''}
          <Timer compute={(o, n) => c.hold_ms + (c.on_hold && c.hold_since ? sinceMs(c.hold_since, o, n) : 0)} /></span>}
        {(c.recording_active ?? !!c.recording) && <span className="badge rec" data-testid="recording-indicator" title={t('calls.recording')}><Circle size={10} aria-hidden /> {t('calls.rec')}</span>}
        {c.spied_by?.length > 0 && <span className="badge spy" data-testid={`spied-${c.id}`} title={t('calls.monitored', { who: c.spied_by.map((s) => `${s.extension} (${s.mode})`).join(', ') })}>
          <Eye size={12} aria-hidden /> {c.spied_by.map((s) => s.mode).join(',')}</span>}
        <span className="times">
          <span title={t('calls.talk')}><Timer compute={(o, n) => talkMs(c, o, n)} testId={`talk-${c.id}`} /></span>
          {' / '}
          <span title={t('calls.duration')}><Timer compute={(o, n) => totalMs(c, o, n)} testId={`dur-${c.id}`} /></span>
        </span>
      </div>
      {open && <ol className="journey" aria-label={t('calls.journey')}>
        {c.journey.map((j, i) => <li key={i}><time>{new Date(j.at).toLocaleTimeString()}</time> {j.event} {j.detail}</li>)}
      </ol>}
    </li>
  )
})

// A big office has hundreds of calls at once: render the newest ones (each row ticks every second)
// and let the user ask for more or filter, instead of a few thousand live timers.
const CALLS_PAGE = 50

export function Calls() {
  const { t } = useTranslation()
  const [limit, setLimit] = useState(CALLS_PAGE)
  const [q, setQ] = useState('')
  const total = useLive((s) => s.calls.size)
  const ids = useLive(useShallow((s) => {
    const needle = q.trim().toLowerCase()
    const list = needle ? [...s.calls.values()].filter((c) => c.queue?.toLowerCase().includes(needle) || c.parties.some((p) => p.number.includes(needle) || (p.name || '').toLowerCase().includes(needle) || p.extension === needle)) : [...s.calls.values()]
    return list.sort((a, b) => b.started_at - a.started_at).slice(0, limit).map((c) => c.id)
  }))
  return (
    <section className="panel" aria-labelledby="calls-title" data-testid="calls-panel">
      <div className="toolbar"><h2 id="calls-title">{t('calls.title')} <small data-testid="calls-count">{total}</small></h2>
        {total > 5 && <input type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder={t('calls.filter')} aria-label={t('calls.filter')} data-testid="calls-filter" />}</div>
      {ids.length === 0 ? <p className="muted">{t('calls.none')}</p> : <ul className="calls">{ids.map((id) => <CallRow key={id} id={id} />)}</ul>}
      {ids.length >= limit && total > limit && <button type="button" onClick={() => setLimit(limit + CALLS_PAGE)} data-testid="calls-more">{t('calls.more', { count: total - limit })}</button>}
    </section>
  )
}
