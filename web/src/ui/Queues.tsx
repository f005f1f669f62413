/* Queues (waiting callers with position, live wait and SLA colour; members with status, pause
 * reason, calls taken; add/remove/pause/unpause/penalty through dialogs for those allowed),
 * the parking lot and conferences. Wait times tick from server timestamps (lib/time.ts). */
import { memo, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { useShallow } from 'zustand/react/shallow'
import { Pause, Play, UserMinus, UserPlus, SlidersHorizontal, PhoneIncoming, Mic, MicOff } from 'lucide-react'
import { useLive } from '../live/store'
import { sinceMs } from '../lib/time'
import { canManageQueue } from '../lib/perms'
import { Timer, useNow } from './Timer'
import { runAction } from './session'
import { liveStore } from '../live/store'
import type { Member } from '../live/protocol'
import { ask } from './Dialog'
import i18n from '../i18n'

/** SLA colour of a wait: ok below 70 % of the queue's service level, warn below 100 %, bad above. */
export function slaClass(waitMs: number, slSeconds: number) {
  const lim = (slSeconds > 0 ? slSeconds : DEFAULT_SLA_S) * 1000
  return waitMs >= lim ? 'sla-bad' : waitMs >= lim * 0.7 ? 'sla-warn' : 'sla-ok'
}
const QUEUE_ROWS = 15
// Asterisk reports servicelevel 0 when a queue has none configured; 60 s is its usual default.
const DEFAULT_SLA_S = 60

function Wait({ since, sl, testId }: { since: number; sl: number; testId?: string }) {
  const n = useNow()
  const w = sinceMs(since, liveStore.getState().offset, n)
  return <span className={slaClass(w, sl)} data-testid={testId} data-sla={slaClass(w, sl)}><Timer compute={(o, m) => sinceMs(since, o, m)} /></span>
}

function who(queue: string, m: Member) { return m.extension ? { queue, extension: m.extension } : { queue, interface: m.interface } }

async function pauseMember(queue: string, m: Member) {
  const t = i18n.t.bind(i18n)
  const a = await ask({ title: `${t('queues.pause')} — ${m.name || m.interface}`, testId: 'pause-dialog', submit: t('queues.pause'),
    fields: [{ name: 'reason', label: t('queues.reason'), type: 'text' }] })
  if (a) await runAction('queue_pause', { ...who(queue, m), reason: a.reason })
}
async function setPenalty(queue: string, m: Member) {
  const t = i18n.t.bind(i18n)
  const a = await ask({ title: `${t('queues.penalty')} — ${m.name || m.interface}`, testId: 'penalty-dialog', submit: t('admin.save'),
    fields: [{ name: 'penalty', label: t('queues.penalty'), type: 'number', min: 0, max: 1000, required: true, initial: String(m.penalty ?? 0) }] })
  if (a && a.penalty !== '' && !isNaN(Number(a.penalty))) await runAction('queue_penalty', { ...who(queue, m), penalty: Number(a.penalty) })
}
async function addMember(queue: string) {
  const t = i18n.t.bind(i18n)
  const a = await ask({ title: `${t('queues.add')} — ${queue}`, testId: 'add-member-dialog', submit: t('queues.add'),
    fields: [{ name: 'extension', label: t('admin.extension'), type: 'extension', required: true },
      { name: 'penalty', label: t('queues.penalty'), type: 'number', min: 0, max: 1000, initial: '0' }] })
  if (a?.extension) await runAction('queue_add', { queue, extension: a.extension, penalty: Number(a.penalty || 0) })
}

const QueueCard = memo(function QueueCard({ name }: { name: string }) {
  const { t } = useTranslation()
  const q = useLive((s) => s.queues.get(name))
  const user = useLive((s) => s.user)
  const [all, setAll] = useState(false)
  if (!q) return null
  // Long queues: the first callers and members are shown (each wait ticks every second); "show all" opens the rest.
  const entries = all ? q.entries : q.entries.slice(0, QUEUE_ROWS)
  const members = all ? q.members : q.members.slice(0, QUEUE_ROWS)
  const hidden = q.entries.length - entries.length + q.members.length - members.length
  const manage = canManageQueue(user, name)
  return (
    <article className="card queue" data-testid={`queue-${name}`} aria-labelledby={`queue-${name}-title`}>
      <h3 id={`queue-${name}-title`}>{name} <small>{q.strategy} · {t('queues.stats', { completed: q.completed, abandoned: q.abandoned })} · {t('queues.sl', { pct: (q.service_level_perf ?? 0).toFixed(0), secs: q.service_level || DEFAULT_SLA_S })}</small></h3>
      <h4>{t('queues.waiting')} ({q.entries.length})</h4>
      {entries.length > 0 && <ol className="entries">{entries.map((e) => <li key={e.uniqueid || e.channel} data-testid={`entry-${name}-${e.position}`}>
        <span className="badge">#{e.position}</span> <bdi>{e.caller_name || e.caller}</bdi> <Wait since={e.since} sl={q.service_level} testId={`wait-${name}-${e.position}`} /></li>)}</ol>}
      <h4>{t('queues.members')} ({q.members.length})</h4>
      <ul className="members">{members.map((m) => (
        <li key={m.interface} className={m.paused ? 'paused' : ''} data-testid={`member-${name}-${m.extension ?? m.interface}`}>
          <span className="m-name">{m.name || m.extension || m.interface}</span>
          <span className={`badge ms-${m.status_text}`}>{t(`member.${m.status_text}`, { defaultValue: m.status_text })}</span>
          {m.paused && <span className="badge warn">{t('ext.paused')}{m.reason ? `: ${m.reason}` : ''}</span>}
          <span className="muted" title={t('queues.taken')}>{t('queues.taken_n', { count: m.calls_taken })}</span>
          {m.penalty > 0 && <span className="muted" title={t('queues.penalty')}>P{m.penalty}</span>}
          {manage && <span className="actions">
            {m.paused
              ? <button type="button" className="icon-btn" aria-label={t('queues.unpause')} title={t('queues.unpause')} data-testid="member-unpause" onClick={() => void runAction('queue_unpause', who(name, m))}><Play size={14} aria-hidden /></button>
              : <button type="button" className="icon-btn" aria-label={t('queues.pause')} title={t('queues.pause')} data-testid="member-pause" onClick={() => void pauseMember(name, m)}><Pause size={14} aria-hidden /></button>}
            <button type="button" className="icon-btn" aria-label={t('queues.penalty')} title={t('queues.penalty')} data-testid="member-penalty" onClick={() => void setPenalty(name, m)}><SlidersHorizontal size={14} aria-hidden /></button>
            {m.dynamic !== false && <button type="button" className="icon-btn" aria-label={t('queues.remove')} title={t('queues.remove')} data-testid="member-remove" onClick={() => void runAction('queue_remove', who(name, m))}><UserMinus size={14} aria-hidden /></button>}
          </span>}
        </li>))}</ul>
      {(hidden > 0 || all) && <button type="button" className="link" aria-expanded={all} onClick={() => setAll(!all)}>{all ? t('queues.show_less') : t('queues.show_all', { count: hidden })}</button>}
      {manage && <button type="button" data-testid={`queue-add-${name}`} onClick={() => void addMember(name)}><UserPlus size={14} aria-hidden /> {t('queues.add')}</button>}
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
  const me = useLive((s) => s.user?.extension ?? null)
  return (
    <>
      <section className="panel" aria-labelledby="parked-title" data-testid="parked-panel">
        <h2 id="parked-title">{t('parked.title')} <small>{parked.length}</small></h2>
        {parked.length === 0 ? <p className="muted">{t('parked.none')}</p> : <ul className="plain">{parked.map((p) => (
          <li key={p.space} data-testid={`parked-${p.space}`}>
            <span className="badge">{p.space}</span> <bdi>{p.extension ?? p.channel}</bdi>
            {p.parked_by && <span className="muted"> · {t('parked.by', { who: p.parked_by })}</span>}
            {' '}<Timer compute={(o, n) => sinceMs(p.since, o, n)} />
            {p.timeout_at > 0 && <span className="muted" title={t('parked.timeout')}> · <Timer compute={(o, n) => Math.max(0, p.timeout_at - (n + o))} /></span>}
            {/* Dialling the parking space from my phone retrieves the parked call. */}
            {me && <button type="button" className="icon-btn" aria-label={t('parked.retrieve', { space: p.space })} title={t('parked.retrieve', { space: p.space })}
              data-testid={`retrieve-${p.space}`} onClick={() => void runAction('originate', { from: me, number: p.space })}><PhoneIncoming size={14} aria-hidden /></button>}
          </li>))}</ul>}
      </section>
      <section className="panel" aria-labelledby="conf-title" data-testid="conf-panel">
        <h2 id="conf-title">{t('conf.title')} <small>{confs.length}</small></h2>
        {confs.length === 0 ? <p className="muted">{t('conf.none')}</p> : <ul className="plain">{confs.map((c) => (
          <li key={c.room} data-testid={`conf-${c.room}`}><span className="badge">{c.room}</span> {t('conf.members', { count: c.members.length })}
            <ul className="conf-members">{c.members.map((m) => <li key={m.channel}>
              {m.talking ? <Mic size={13} aria-label={t('conf.talking')} /> : m.muted ? <MicOff size={13} aria-label={t('conf.muted')} /> : <Mic size={13} className="muted" aria-hidden />}
              {' '}{m.extension ?? m.channel}{m.admin ? ` · ${t('conf.admin')}` : ''} <Timer compute={(o, n) => (m.since ? sinceMs(m.since, o, n) : 0)} /></li>)}</ul>
          </li>))}</ul>}
      </section>
    </>
  )
}
