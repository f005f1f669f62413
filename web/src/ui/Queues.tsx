/* Queues (waiting callers with live wait and SLA colour, members with pause state), parking and conferences. */
import { memo } from 'react'
import { useTranslation } from 'react-i18next'
import { useShallow } from 'zustand/react/shallow'
import { Pause, Play, UserMinus, UserPlus, SlidersHorizontal } from 'lucide-react'
import { useLive } from '../live/store'
import { sinceMs } from '../lib/time'
import { canManageQueue } from '../lib/perms'
import { Timer, useNow } from './Timer'
import { runAction } from './session'
import { liveStore } from '../live/store'

function slaClass(waitMs: number, sl: number) {
  const lim = (sl || 60) * 1000
  return waitMs >= lim ? 'sla-bad' : waitMs >= lim * 0.7 ? 'sla-warn' : 'sla-ok'
}
function Wait({ since, sl }: { since: number; sl: number }) {
  const n = useNow()
  const w = sinceMs(since, liveStore.getState().offset, n)
  return <span className={slaClass(w, sl)}><Timer compute={(o, m) => sinceMs(since, o, m)} /></span>
}

const QueueCard = memo(function QueueCard({ name }: { name: string }) {
  const { t } = useTranslation()
  const q = useLive((s) => s.queues.get(name))
  const user = useLive((s) => s.user)
  if (!q) return null
  const manage = canManageQueue(user, name)
  const ask = (k: string) => window.prompt(t(k)) ?? undefined
  return (
    <article className="card queue" data-testid={`queue-${name}`} aria-label={name}>
      <h3>{name} <small>{q.strategy} · {q.completed}/{q.abandoned} · SL {q.service_level_perf?.toFixed(0)}%</small></h3>
      <h4>{t('queues.waiting')} ({q.entries.length})</h4>
      <ol className="entries">{q.entries.map((e) => <li key={e.uniqueid || e.channel}>#{e.position} {e.caller_name || e.caller} <Wait since={e.since} sl={q.service_level} /></li>)}</ol>
      <h4>{t('queues.members')}</h4>
      <ul className="members">{q.members.map((m) => {
        const who = m.extension ? { queue: name, extension: m.extension } : { queue: name, interface: m.interface }
        return (
          <li key={m.interface} className={m.paused ? 'paused' : ''}>
            <span>{m.name}</span> <span className="badge">{m.status_text}</span>
            {m.paused && <span className="badge warn">{t('ext.paused')}{m.reason ? `: ${m.reason}` : ''}</span>}
            <span className="muted" title={t('queues.taken')}>{m.calls_taken}</span>
            {manage && <span className="actions">
              {m.paused
                ? <button type="button" className="icon-btn" aria-label={t('queues.unpause')} title={t('queues.unpause')} onClick={() => void runAction('queue_unpause', who)}><Play size={14} aria-hidden /></button>
                : <button type="button" className="icon-btn" aria-label={t('queues.pause')} title={t('queues.pause')} onClick={() => void runAction('queue_pause', { ...who, reason: ask('queues.reason') ?? '' })}><Pause size={14} aria-hidden /></button>}
              <button type="button" className="icon-btn" aria-label={t('queues.penalty')} title={t('queues.penalty')} onClick={() => { const p = ask('queues.penalty'); if (p && !isNaN(Number(p))) void runAction('queue_penalty', { ...who, penalty: Number(p) }) }}><SlidersHorizontal size={14} aria-hidden /></button>
              <button type="button" className="icon-btn" aria-label={t('queues.remove')} title={t('queues.remove')} onClick={() => void runAction('queue_remove', who)}><UserMinus size={14} aria-hidden /></button>
            </span>}
          </li>)
      })}</ul>
      {manage && <button type="button" onClick={() => { const x = ask('queues.add'); if (x) void runAction('queue_add', { queue: name, extension: x.trim() }) }}><UserPlus size={14} aria-hidden /> {t('queues.add')}</button>}
    </article>
  )
})

export function Queues() {
  const { t } = useTranslation()
  const names = useLive(useShallow((s) => [...s.queues.keys()].sort()))
  return (
    <section className="panel" aria-labelledby="q-title">
      <h2 id="q-title">{t('queues.title')}</h2>
      {names.length === 0 ? <p className="muted">{t('queues.none')}</p> : names.map((n) => <QueueCard key={n} name={n} />)}
    </section>
  )
}

export function ParkingAndConferences() {
  const { t } = useTranslation()
  const parked = useLive(useShallow((s) => [...s.parked.values()]))
  const confs = useLive(useShallow((s) => [...s.conferences.values()]))
  return (
    <section className="panel" aria-label={`${t('parked.title')} / ${t('conf.title')}`}>
      <h2>{t('parked.title')}</h2>
      {parked.length === 0 ? <p className="muted">{t('parked.none')}</p> : <ul>{parked.map((p) => (
        <li key={p.space} data-testid={`parked-${p.space}`}><strong>{p.space}</strong> {p.extension ?? p.channel} <Timer compute={(o, n) => sinceMs(p.since, o, n)} />
          {p.extension !== undefined && <button type="button" className="icon-btn" aria-label={t('action.pickup')} onClick={() => void runAction('pickup', { target: p.space })}>↩</button>}</li>))}</ul>}
      <h2>{t('conf.title')}</h2>
      {confs.length === 0 ? <p className="muted">{t('conf.none')}</p> : <ul>{confs.map((c) => (
        <li key={c.room}><strong>{c.room}</strong> {c.members.map((m) => `${m.extension ?? m.channel}${m.muted ? ' (m)' : ''}${m.talking ? ' 🔊' : ''}`).join(', ')}</li>))}</ul>}
    </section>
  )
}
