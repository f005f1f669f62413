/* Extensions grid: each tile selects its own extension and call by id, so one change re-renders
 * one tile out of thousands. The id list (search, state/group filter, sort) is recomputed at most
 * every LIST_THROTTLE_MS while events stream in, and at once when the user changes a filter.
 * Dropping a dragged call on a tile is a blind transfer to that extension. */
import { memo, useEffect, useMemo, useState, type DragEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { useShallow } from 'zustand/react/shallow'
import { Phone, PhoneCall, PhoneIncoming, Pause, PhoneOff, Ban, BellOff, Wifi, WifiOff, PhoneOutgoing } from 'lucide-react'
import { liveStore, useLive } from '../live/store'
import type { Call, ExtState, Extension, Queue } from '../live/protocol'
import { talkMs, totalMs, fmtDuration } from '../lib/time'
import { canCall } from '../lib/perms'
import { iso } from '../lib/bidi'
import { VirtualGrid } from './VirtualList'
import { Timer } from './Timer'
import { ExtensionActions, askOriginate } from './Actions'
import { runAction } from './session'

export const stateIcon: Record<ExtState | 'dnd', typeof Phone> = { idle: Phone, ringing: PhoneIncoming, in_call: PhoneCall, on_hold: Pause, busy: PhoneOff, unavailable: Ban, dnd: BellOff }
export const CALL_MIME = 'application/x-opdesk-call'
// Re-sorting 5,000 tiles on every delta would cost more than it helps: the order may lag this much.
const LIST_THROTTLE_MS = 400
const DKEY = 'opdesk.density'

export const displayState = (e: Extension): ExtState | 'dnd' => (e.dnd && (e.state === 'idle' || e.state === 'unavailable') ? 'dnd' : e.state)

/** The reason this extension is paused in a queue ('' when none is given). */
export function pauseReason(queues: Map<string, Queue>, ext: string): string {
  for (const q of queues.values()) for (const m of q.members) if (m.extension === ext && m.paused && m.reason) return m.reason
  return ''
}

function regTitle(e: Extension, t: (k: string, o?: Record<string, unknown>) => string) {
  const lines = [t(e.registered ? 'reg.online' : 'reg.offline')]
  for (const c of e.contacts ?? []) lines.push([c.user_agent, c.address ?? c.uri, c.status, c.rtt_ms != null ? `${c.rtt_ms} ms` : ''].filter(Boolean).join(' · '))
  return lines.join('\n')
}

function otherParty(call: Call, ext: string) {
  return call.parties.find((p) => p.extension !== ext) ?? null
}

const Tile = memo(function Tile({ id }: { id: string }) {
  const { t } = useTranslation()
  const ext = useLive((s) => s.extensions.get(id))
  const call = useLive((s) => (ext && ext.calls[0] ? s.calls.get(ext.calls[0]) ?? null : null))
  const other = call ? otherParty(call, id) : null
  // Resolve the other party's name from the directory when the channel carries only a number.
  const otherName = useLive((s) => (other ? other.name || (other.extension ? s.extensions.get(other.extension)?.name : '') || other.number : ''))
  const reason = useLive((s) => (ext?.paused ? pauseReason(s.queues, id) : ''))
  const user = useLive((s) => s.user)
  const [over, setOver] = useState(false)
  if (!ext) return null
  const state = displayState(ext)
  const Icon = stateIcon[state] ?? Phone
  const onDrop = (e: DragEvent) => {
    e.preventDefault(); setOver(false)
    const from = e.dataTransfer.getData(CALL_MIME)
    if (from && from !== ext.extension) void runAction('transfer', { target: from, destination: ext.extension })
  }
  return (
    <article className={`tile st-${state}${over ? ' drop' : ''}`} data-testid={`ext-${ext.extension}`} data-state={state}
      aria-label={`${ext.name || ext.extension} ${ext.extension}: ${t(`state.${state}`)}${otherName ? `, ${t('ext.talking_to', { who: iso(otherName) })}` : ''}`} tabIndex={0}
      draggable={!!call} onDragStart={(e) => { e.dataTransfer.setData(CALL_MIME, ext.extension); e.dataTransfer.effectAllowed = 'move' }}
      onDragOver={(e) => { if (e.dataTransfer.types.includes(CALL_MIME)) { e.preventDefault(); setOver(true) } }}
      onDragLeave={() => setOver(false)} onDrop={onDrop}>
      <div className="tile-head">
        <Icon size={16} aria-hidden className="st-icon" />
        <strong className="tile-name" title={ext.name || ext.extension}>{ext.name || ext.extension}</strong>
        {ext.name && <span className="tile-num">{ext.extension}</span>}
        <span className={ext.registered ? 'reg on' : 'reg off'} title={regTitle(ext, t)} data-testid={`reg-${ext.extension}`} role="img" aria-label={t(ext.registered ? 'reg.online' : 'reg.offline')}>
          {ext.registered ? <Wifi size={13} aria-hidden /> : <WifiOff size={13} aria-hidden />}
        </span>
      </div>
      <div className="tile-body">
        <span className={`badge st-badge st-${state}`}>{t(`state.${state}`)}</span>
        {call && <Timer testId={`timer-${ext.extension}`} compute={(o, n) => (call.answered_at ? talkMs(call, o, n) : totalMs(call, o, n))}
          hover={(o, n) => `${t('calls.talk')} ${fmtDuration(talkMs(call, o, n))} · ${t('ext.total', { time: fmtDuration(totalMs(call, o, n)) })}`} />}
        {call?.on_hold && <span className="badge warn"><Pause size={11} aria-hidden /> {t('calls.hold')}</span>}
        {otherName && <span className="with" title={other?.number}>{t('ext.talking_to', { who: iso(otherName) })}</span>}
      </div>
      {(ext.queues.length > 0 || ext.group) && <div className="tile-queues">
        {ext.group && <span className="badge group">{ext.group}</span>}
        {ext.queues.map((q) => <span key={q} className="badge">{q}</span>)}
        {ext.paused && <span className="badge warn" data-testid={`paused-${ext.extension}`}>{t('ext.paused')}{reason ? `: ${reason}` : ''}</span>}
      </div>}
      <ExtensionActions ext={ext} call={call} user={user} />
    </article>
  )
})

export type SortKey = 'number' | 'name' | 'state' | 'group'
const order: Record<string, number> = { ringing: 0, in_call: 1, on_hold: 2, busy: 3, dnd: 4, idle: 5, unavailable: 6 }
// One collator for every comparison: String.localeCompare with options builds one per call (slow on 5,000).
const collator = new Intl.Collator(undefined, { numeric: true })
const num = collator.compare
export interface GridFilter { q: string; state: string; group: string; sort: SortKey }

/** Filters and sorts extensions into the id list the grid shows (pure; tested). group is
 * "g:<directory group>" or "q:<queue>". */
export function gridIds(exts: Iterable<Extension>, f: GridFilter): string[] {
  const needle = f.q.trim().toLowerCase()
  const [gk, gv] = f.group ? [f.group.slice(0, 1), f.group.slice(2)] : ['', '']
  const list = [...exts].filter((e) =>
    (!needle || (e.name || '').toLowerCase().includes(needle) || e.extension.includes(needle)) &&
    (!f.state || displayState(e) === f.state || (f.state === 'dnd' && e.dnd)) &&
    (!gk || (gk === 'g' ? (e.group ?? '') === gv : e.queues.includes(gv))))
  const cmp: Record<SortKey, (a: Extension, b: Extension) => number> = {
    number: (a, b) => num(a.extension, b.extension),
    name: (a, b) => num(a.name || a.extension, b.name || b.extension) || num(a.extension, b.extension),
    state: (a, b) => (order[displayState(a)] ?? 9) - (order[displayState(b)] ?? 9) || num(a.extension, b.extension),
    group: (a, b) => num(a.group ?? '', b.group ?? '') || (a.order ?? 0) - (b.order ?? 0) || num(a.extension, b.extension),
  }
  list.sort(cmp[f.sort])
  return list.map((e) => e.extension)
}

/** The store's extension map, re-read at most every `ms` (trailing edge): a burst of deltas costs
 * the grid one re-render instead of one per delta. Tiles still update at once (own selectors). */
function useThrottledExtensions(ms: number): Map<string, Extension> {
  const [shown, setShown] = useState(() => liveStore.getState().extensions)
  useEffect(() => {
    let last = 0
    let timer: ReturnType<typeof setTimeout> | null = null
    const flush = () => { timer = null; last = Date.now(); setShown(liveStore.getState().extensions) }
    const unsub = liveStore.subscribe((st, prev) => {
      if (st.extensions === prev.extensions || timer) return
      timer = setTimeout(flush, Math.max(0, last + ms - Date.now()))
    })
    flush()
    return () => { unsub(); if (timer) clearTimeout(timer) }
  }, [ms])
  return shown
}

export function Extensions() {
  const { t } = useTranslation()
  const [q, setQ] = useState('')
  const [state, setState] = useState('')
  const [group, setGroup] = useState('')
  const [sort, setSort] = useState<SortKey>('number')
  const [compact, setCompact] = useState(() => localStorage.getItem(DKEY) === 'compact')
  const exts = useThrottledExtensions(LIST_THROTTLE_MS)
  const user = useLive((s) => s.user)
  const queueNames = useLive(useShallow((s) => [...s.queues.keys()].sort()))
  const groups = useMemo(() => [...new Set([...exts.values()].map((e) => e.group ?? '').filter(Boolean))].sort(), [exts])
  const ids = useMemo(() => gridIds(exts.values(), { q, state, group, sort }), [exts, q, state, group, sort])
  const density = (c: boolean) => { setCompact(c); localStorage.setItem(DKEY, c ? 'compact' : 'comfortable') }
  return (
    <section className={`panel ext-panel${compact ? ' compact' : ''}`} aria-labelledby="ext-title">
      <div className="toolbar">
        <h2 id="ext-title">{t('ext.title')} <small data-testid="ext-count">{t('ext.count', { count: ids.length })}</small></h2>
        <input type="search" placeholder={t('ext.search')} aria-label={t('ext.search')} value={q} onChange={(e) => setQ(e.target.value)} data-testid="ext-search" />
        <select aria-label={t('ext.filter_state')} value={state} onChange={(e) => setState(e.target.value)} data-testid="ext-filter-state">
          <option value="">{t('state.all')}</option>
          {['idle', 'ringing', 'in_call', 'on_hold', 'busy', 'unavailable', 'dnd'].map((s) => <option key={s} value={s}>{t(`state.${s}`)}</option>)}
        </select>
        <select aria-label={t('ext.group')} value={group} onChange={(e) => setGroup(e.target.value)} data-testid="ext-filter-group">
          <option value="">{t('ext.allgroups')}</option>
          {groups.length > 0 && <optgroup label={t('ext.groups')}>{groups.map((n) => <option key={n} value={`g:${n}`}>{n}</option>)}</optgroup>}
          {queueNames.length > 0 && <optgroup label={t('queues.title')}>{queueNames.map((n) => <option key={n} value={`q:${n}`}>{n}</option>)}</optgroup>}
        </select>
        <select aria-label={t('ext.sort')} value={sort} onChange={(e) => setSort(e.target.value as SortKey)} data-testid="ext-sort">
          <option value="number">{t('ext.sort.number')}</option><option value="name">{t('ext.sort.name')}</option>
          <option value="state">{t('ext.sort.state')}</option><option value="group">{t('ext.sort.group')}</option>
        </select>
        <div role="radiogroup" aria-label={t('ext.density')} className="seg">
          <button type="button" role="radio" aria-checked={!compact} onClick={() => density(false)} data-testid="density-comfortable">{t('ext.comfortable')}</button>
          <button type="button" role="radio" aria-checked={compact} onClick={() => density(true)} data-testid="density-compact">{t('ext.compact')}</button>
        </div>
        {canCall(user) && user?.extension && <button type="button" onClick={() => void askOriginate(user.extension!)} data-testid="call-number"><PhoneOutgoing size={14} aria-hidden /> {t('action.call_number')}</button>}
      </div>
      <p className="hint">{t('action.drop_hint')}</p>
      <VirtualGrid items={ids} keyOf={(i) => i} rowHeight={compact ? 86 : 128} minColWidth={compact ? 210 : 260}
        label={t('ext.title')} testId="ext-grid" render={(id) => <Tile id={id} />} />
    </section>
  )
}
