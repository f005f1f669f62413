/* Active calls list: one row per call, selected by id; journey on expand. */
import { memo, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { useShallow } from 'zustand/react/shallow'
import { ChevronDown, ChevronRight, Circle, Eye, Pause, ArrowDownLeft, ArrowUpRight, ArrowLeftRight } from 'lucide-react'
import { useLive } from '../live/store'
import { talkMs, totalMs } from '../lib/time'
import { Timer } from './Timer'
import { CALL_MIME } from './Extensions'

const dirIcon = { inbound: ArrowDownLeft, outbound: ArrowUpRight, internal: ArrowLeftRight } as const

const CallRow = memo(function CallRow({ id }: { id: string }) {
  const { t } = useTranslation()
  const c = useLive((s) => s.calls.get(id))
  const [open, setOpen] = useState(false)
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
        <DirIcon size={15} aria-label={t(`calls.direction.${c.direction}`)} />
        <span className="parties">{c.parties.map((p) => p.name || p.number).join(' → ')}</span>
        {c.queue && <span className="badge">{c.queue}</span>}
        <span className="badge">{c.state}</span>
        {c.on_hold && <span className="badge warn" title={t('calls.hold')}><Pause size={12} aria-hidden /> {t('calls.hold')}</span>}
        {c.recording && <span className="badge rec" data-testid="recording-indicator" title={t('calls.recording')}><Circle size={10} aria-hidden /> REC</span>}
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

export function Calls() {
  const { t } = useTranslation()
  const ids = useLive(useShallow((s) => [...s.calls.keys()]))
  return (
    <section className="panel" aria-labelledby="calls-title" data-testid="calls-panel">
      <h2 id="calls-title">{t('calls.title')} <small>{ids.length}</small></h2>
      {ids.length === 0 ? <p className="muted">{t('calls.none')}</p> : <ul className="calls">{ids.map((id) => <CallRow key={id} id={id} />)}</ul>}
    </section>
  )
}
