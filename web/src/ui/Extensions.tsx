/* Extensions grid: each tile selects its own extension and call by id, so one change re-renders one tile. */
import { memo, useMemo, useState, type DragEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { useShallow } from 'zustand/react/shallow'
import { Phone, PhoneCall, PhoneIncoming, Pause, PhoneOff, Ban, BellOff, Wifi, WifiOff } from 'lucide-react'
import { liveStore, useLive } from '../live/store'
import type { ExtState } from '../live/protocol'
import { talkMs, totalMs, fmtDuration } from '../lib/time'
import { VirtualGrid } from './VirtualList'
import { Timer } from './Timer'
import { ExtensionActions } from './Actions'
import { runAction } from './session'

const stateIcon: Record<ExtState, typeof Phone> = { idle: Phone, ringing: PhoneIncoming, in_call: PhoneCall, on_hold: Pause, busy: PhoneOff, unavailable: Ban }
export const CALL_MIME = 'application/x-opdesk-call'

const Tile = memo(function Tile({ id }: { id: string }) {
  const { t } = useTranslation()
  const ext = useLive((s) => s.extensions.get(id))
  const call = useLive((s) => (ext && ext.calls[0] ? s.calls.get(ext.calls[0]) ?? null : null))
  const user = useLive((s) => s.user)
  const [over, setOver] = useState(false)
  if (!ext) return null
  const state: ExtState | 'dnd' = ext.dnd && ext.state === 'idle' ? 'dnd' : ext.state
  const Icon = state === 'dnd' ? BellOff : stateIcon[ext.state] ?? Phone
  const other = call?.parties.find((p) => p.extension !== ext.extension)
  const ua = ext.contacts?.map((c) => c.user_agent).filter(Boolean).join(', ')
  const onDrop = (e: DragEvent) => {
    e.preventDefault(); setOver(false)
    const from = e.dataTransfer.getData(CALL_MIME)
    if (from && from !== ext.extension) void runAction('transfer', { target: from, destination: ext.extension })
  }
  return (
    <article className={`tile st-${state}${over ? ' drop' : ''}`} data-testid={`ext-${ext.extension}`} data-state={state}
      aria-label={`${ext.name} ${ext.extension} ${t(`state.${state}`)}`} tabIndex={0}
      draggable={!!call} onDragStart={(e) => { e.dataTransfer.setData(CALL_MIME, ext.extension); e.dataTransfer.effectAllowed = 'move' }}
      onDragOver={(e) => { if (e.dataTransfer.types.includes(CALL_MIME)) { e.preventDefault(); setOver(true) } }}
      onDragLeave={() => setOver(false)} onDrop={onDrop}>
      <div className="tile-head">
        <Icon size={16} aria-hidden className="st-icon" />
        <strong className="tile-name">{ext.name}</strong>
        <span className="tile-num">{ext.extension}</span>
        <span className={ext.registered ? 'reg on' : 'reg off'} title={ua || undefined} aria-label={t(ext.registered ? 'reg.online' : 'reg.offline')}>
          {ext.registered ? <Wifi size={13} aria-hidden /> : <WifiOff size={13} aria-hidden />}
        </span>
      </div>
      <div className="tile-body">
        <span className="badge">{t(`state.${state}`)}</span>
        {call && <Timer testId={`timer-${ext.extension}`} compute={(o, n) => (call.answered_at ? talkMs(call, o, n) : totalMs(call, o, n))}
          title={t('ext.total', { time: fmtDuration(totalMs(call, liveStore.getState().offset)) })} />}
        {other && <span className="with">{t('ext.talking_to', { who: other.name || other.number })}</span>}
        {ext.queues.length > 0 && <span className="queues">{ext.queues.join(', ')}{ext.paused ? ` · ${t('ext.paused')}` : ''}</span>}
      </div>
      <ExtensionActions ext={ext} call={call} user={user} />
    </article>
  )
})

type SortKey = 'number' | 'name' | 'state'
const order: Record<string, number> = { ringing: 0, in_call: 1, on_hold: 2, busy: 3, idle: 4, unavailable: 5 }

export function Extensions() {
  const { t } = useTranslation()
  const [q, setQ] = useState('')
  const [state, setState] = useState('')
  const [group, setGroup] = useState('')
  const [sort, setSort] = useState<SortKey>('number')
  const [compact, setCompact] = useState(false)
  // Re-computed only when the extension map changes; the list holds ids only.
  const exts = useLive((s) => s.extensions)
  const queueNames = useLive(useShallow((s) => [...s.queues.keys()].sort()))
  const ids = useMemo(() => {
    const needle = q.trim().toLowerCase()
    const list = [...exts.values()].filter((e) =>
      (!needle || e.name.toLowerCase().includes(needle) || e.extension.includes(needle)) &&
      (!state || (state === 'dnd' ? e.dnd : e.state === state)) && (!group || e.queues.includes(group)) // the server already scoped the list
    )
    list.sort((a, b) => sort === 'name' ? a.name.localeCompare(b.name)
      : sort === 'state' ? (order[a.state] ?? 9) - (order[b.state] ?? 9) || a.extension.localeCompare(b.extension, undefined, { numeric: true })
      : a.extension.localeCompare(b.extension, undefined, { numeric: true }))
    return list.map((e) => e.extension)
  }, [exts, q, state, group, sort])
  return (
    <section className="panel ext-panel" aria-labelledby="ext-title">
      <div className="toolbar">
        <h2 id="ext-title">{t('ext.title')} <small>{t('ext.count', { count: ids.length })}</small></h2>
        <input type="search" placeholder={t('ext.search')} aria-label={t('ext.search')} value={q} onChange={(e) => setQ(e.target.value)} data-testid="ext-search" />
        <select aria-label={t('state.all')} value={state} onChange={(e) => setState(e.target.value)} data-testid="ext-filter-state">
          <option value="">{t('state.all')}</option>
          {['idle', 'ringing', 'in_call', 'on_hold', 'busy', 'unavailable', 'dnd'].map((s) => <option key={s} value={s}>{t(`state.${s}`)}</option>)}
        </select>
        <select aria-label={t('ext.group')} value={group} onChange={(e) => setGroup(e.target.value)}>
          <option value="">{t('ext.allgroups')}</option>
          {queueNames.map((n) => <option key={n} value={n}>{n}</option>)}
        </select>
        <select aria-label={t('ext.sort')} value={sort} onChange={(e) => setSort(e.target.value as SortKey)}>
          <option value="number">{t('ext.sort.number')}</option><option value="name">{t('ext.sort.name')}</option><option value="state">{t('ext.sort.state')}</option>
        </select>
        <label className="check"><input type="checkbox" checked={compact} onChange={(e) => setCompact(e.target.checked)} /> {t('ext.density')}</label>
      </div>
      <p className="hint">{t('action.drop_hint')}</p>
      <VirtualGrid items={ids} keyOf={(i) => i} rowHeight={compact ? 92 : 124} minColWidth={compact ? 200 : 250}
        label={t('ext.title')} testId="ext-grid" render={(id) => <Tile id={id} />} />
    </section>
  )
}
