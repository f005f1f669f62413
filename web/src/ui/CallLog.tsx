/* Call log: filters → query key; keyset cursor paging with the previous page kept on screen. */
import { useRef, useState } from 'react'
import { DialButton } from '../softphone/DialButton'
import { useCallerName } from './useCallerName'
import { useTranslation } from 'react-i18next'
import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { Download, ChevronDown, ChevronRight, Rewind, FastForward } from 'lucide-react'
import { api, getToken, qs } from '../lib/http'
import { toast } from './session'
import i18n from '../i18n'
import { fmtDuration } from '../lib/time'
import { CallQos } from './QosChart'

export interface LogItem {
  id: string; started_at: number; direction: string; outcome: string; from: { number: string; name: string }; to: { number: string; name: string }
  extension: string | null; queue: string | null; duration: number; billsec: number; recording: { url: string } | null
  legs: Leg[]; journey: { at: number; event: string; detail?: string; to?: string; disposition?: string; duration?: number; billsec?: number }[]; qos: unknown; status?: string
}
export interface Leg { channel?: string; dstchannel?: string; src?: string; dst?: string; disposition?: string; billsec?: number; duration?: number; lastapp?: string; calldate?: number; uniqueid?: string }
interface LogPage { items: LogItem[]; next_cursor: string | null; total: number; total_exact?: boolean }
const empty = { date_from: '', date_to: '', extension: '', direction: '', outcome: '', queue: '', min_duration: '', has_recording: '', search: '', sort: 'newest' }
export const outcomes = ['answered', 'no_answer', 'busy', 'failed', 'cancelled', 'abandoned'] as const
/** The query string of /api/calls/history (OpDesk's call-log shape) for these filters (dates are days, YYYY-MM-DD). */
export const logQuery = (f: LogFilters, extra: Record<string, string | number | null> = {}) => qs({ ...f, sort: f.sort === 'newest' ? '' : f.sort, ...extra })

/** Downloads the CSV export with the bearer token (a plain link could not send it). */
async function downloadCsv(f: LogFilters) {
  const tok = getToken()
  const res = await fetch(`/api/call-log.csv?${logQuery(f)}`, { headers: tok ? { Authorization: `Bearer ${tok}` } : {} })
  if (!res.ok) { toast(false, i18n.t('admin.error', { message: `${res.status} ${res.statusText}` })); return }
  const url = URL.createObjectURL(await res.blob())
  const a = document.createElement('a')
  a.href = url; a.download = `call-log-${new Date().toISOString().slice(0, 10)}.csv`
  document.body.appendChild(a); a.click(); a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
export type LogFilters = typeof empty

export function Player({ url }: { url: string }) {
  const { t } = useTranslation()
  const [rate, setRate] = useState(1)
  const el = useRef<HTMLAudioElement | null>(null)
  // A busy or unanswered call can leave a recording without audio (FreePBX does): say so.
  const [problem, setProblem] = useState<'' | 'empty' | 'error'>('')
  const seek = (d: number) => { const a = el.current; if (a) a.currentTime = Math.max(0, Math.min(a.duration || 0, a.currentTime + d)) }
  return (
    <span className="player" role="group" aria-label={t('log.player')}>
      <audio controls preload="metadata" src={url} data-testid="rec-audio" ref={(a) => { el.current = a; if (a) a.playbackRate = rate }}
        onLoadedMetadata={(e) => setProblem(e.currentTarget.duration > 0 ? '' : 'empty')} onError={() => setProblem('error')} />
      {problem && <small className="muted" role="status" data-testid="rec-problem">{t(problem === 'empty' ? 'log.rec_empty' : 'log.rec_error')}</small>}
      <button type="button" className="icon-btn" aria-label={t('log.back10')} title={t('log.back10')} onClick={() => seek(-10)}><Rewind size={14} aria-hidden /></button>
      <button type="button" className="icon-btn" aria-label={t('log.fwd10')} title={t('log.fwd10')} onClick={() => seek(10)}><FastForward size={14} aria-hidden /></button>
      <select aria-label={t('log.speed')} value={rate} onChange={(e) => setRate(Number(e.target.value))}>
        {[0.75, 1, 1.25, 1.5, 2].map((r) => <option key={r} value={r}>{r}×</option>)}
      </select>
      <a href={url} download aria-label={t('log.download')} title={t('log.download')}><Download size={15} aria-hidden /></a>
    </span>
  )
}

function Row({ it }: { it: LogItem }) {
  const { t } = useTranslation()
  const [open, setOpen] = useState(false)
  const looked = useCallerName(it.from?.name ? null : it.from?.number)  // CRM / contacts name
  return (
    <>
      <tr data-testid={`log-${it.id}`}>
        <td><button type="button" className="icon-btn" aria-expanded={open} aria-label={t('log.legs')} onClick={() => setOpen(!open)}>{open ? <ChevronDown size={14} aria-hidden /> : <ChevronRight size={14} aria-hidden />}</button></td>
        <td>{new Date(it.started_at).toLocaleString()}</td>
        <td>{t(`calls.direction.${it.direction}`, { defaultValue: it.direction })}</td>
        <td><bdi title={it.from?.number}>{it.from?.name || looked || it.from?.number}</bdi> <DialButton number={it.from?.number} testId={`log-dial-${it.id}`} /></td><td><bdi title={it.to?.number}>{it.to?.name || it.to?.number}</bdi></td><td>{it.queue ?? ''}</td>
        <td><span className={`badge out-${it.outcome}`}>{t(`outcome.${it.outcome}`, { defaultValue: it.outcome })}</span></td>
        <td>{fmtDuration(it.duration * 1000)} / {fmtDuration(it.billsec * 1000)}</td>
        <td>{it.recording ? <Player url={it.recording.url} /> : ''}</td>
      </tr>
      {open && <tr className="legs"><td colSpan={9}>
        <h4>{t('log.legs')} ({it.legs.length})</h4>
        <table className="legs-table"><tbody>{it.legs.map((l, i) => <tr key={i}>
          <td>{l.calldate ? new Date(l.calldate).toLocaleTimeString() : ''}</td><td>{l.src} → {l.dst}</td>
          <td className="muted">{l.channel}{l.dstchannel ? ` → ${l.dstchannel}` : ''}</td><td>{l.lastapp}</td>
          <td>{l.disposition}</td><td>{l.billsec != null ? `${fmtDuration((l.duration ?? 0) * 1000)} / ${fmtDuration(l.billsec * 1000)}` : ''}</td></tr>)}</tbody></table>
        <h4>{t('calls.journey')}</h4>
        <ol className="journey">{it.journey.map((j, i) => <li key={i}><time>{new Date(j.at).toLocaleTimeString()}</time> {t(`journey.${j.event}`, { defaultValue: j.event })} {j.detail ?? j.to ?? ''} {j.disposition ? `(${j.disposition})` : ''}</li>)}</ol>
        {it.billsec > 0 && <CallQos id={it.id} />}
      </td></tr>}
    </>
  )
}

export function CallLog() {
  const { t } = useTranslation()
  const [draft, setDraft] = useState<LogFilters>(empty)
  const [filters, setFilters] = useState<LogFilters>(empty)
  const [cursors, setCursors] = useState<(string | null)[]>([null])
  const cursor = cursors[cursors.length - 1]
  const q = useQuery({
    queryKey: ['call-log', filters, cursor],
    queryFn: () => api<LogPage>(`/api/calls/history?${logQuery(filters, { limit: 50, cursor })}`),
    placeholderData: keepPreviousData,
  })
  const set = (k: keyof LogFilters) => (e: { target: { value: string } }) => setDraft({ ...draft, [k]: e.target.value })
  return (
    <section className="panel" aria-labelledby="log-title">
      <h2 id="log-title">{t('log.title')} {q.data && <small>{t(q.data.total_exact === false ? 'log.total_more' : 'log.total', { count: q.data.total })}</small>}</h2>
      <form className="filters" onSubmit={(e) => { e.preventDefault(); setFilters(draft); setCursors([null]) }}>
        <label>{t('log.date_from')}<input type="date" value={draft.date_from} onChange={set('date_from')} data-testid="log-date-from" /></label>
        <label>{t('log.date_to')}<input type="date" value={draft.date_to} onChange={set('date_to')} data-testid="log-date-to" /></label>
        <label>{t('log.extension')}<input value={draft.extension} onChange={set('extension')} data-testid="log-extension" /></label>
        <label>{t('log.direction')}<select value={draft.direction} onChange={set('direction')} data-testid="log-direction"><option value="">{t('log.any')}</option>
          {['inbound', 'outbound', 'internal'].map((d) => <option key={d} value={d}>{t(`calls.direction.${d}`)}</option>)}</select></label>
        <label>{t('log.outcome')}<select value={draft.outcome} onChange={set('outcome')} data-testid="log-outcome"><option value="">{t('log.any')}</option>
          {outcomes.map((d) => <option key={d} value={d}>{t(`outcome.${d}`)}</option>)}</select></label>
        <label>{t('log.queue')}<input value={draft.queue} onChange={set('queue')} data-testid="log-queue" /></label>
        <label>{t('log.min_duration')}<input type="number" min={0} value={draft.min_duration} onChange={set('min_duration')} /></label>
        <label className="check"><input type="checkbox" data-testid="log-has-recording" checked={draft.has_recording === 'true'} onChange={(e) => setDraft({ ...draft, has_recording: e.target.checked ? 'true' : '' })} />{t('log.has_recording')}</label>
        <label>{t('log.search')}<input type="search" maxLength={64} value={draft.search} onChange={set('search')} data-testid="log-search" placeholder={t('log.search_hint')} /></label>
        <label>{t('log.sort')}<select value={draft.sort} onChange={set('sort')} data-testid="log-sort"><option value="newest">{t('log.newest')}</option><option value="oldest">{t('log.oldest')}</option></select></label>
        <button type="submit" className="primary" data-testid="log-apply">{t('log.apply')}</button>
        <button type="button" onClick={() => { setDraft(empty); setFilters(empty); setCursors([null]) }}>{t('log.reset')}</button>
        <button type="button" onClick={() => void downloadCsv(filters)} data-testid="log-csv"><Download size={14} aria-hidden /> {t('log.export')}</button>
      </form>
      {q.error && <p role="alert" className="error">{t('admin.error', { message: (q.error as Error).message })}</p>}
      <div className="table-wrap">
        <table className={q.isPlaceholderData ? 'stale' : ''}>
          <thead><tr><th /><th>{t('log.started')}</th><th>{t('log.direction')}</th><th>{t('log.from')}</th><th>{t('log.to')}</th><th>{t('log.queue')}</th><th>{t('log.outcome')}</th><th>{t('calls.duration')} / {t('log.billsec')}</th><th>{t('log.recording')}</th></tr></thead>
          <tbody>{q.data?.items.map((it) => <Row key={it.id} it={it} />)}</tbody>
        </table>
      </div>
      {q.isLoading && <p>{t('log.loading')}</p>}
      {q.data && q.data.items.length === 0 && <p className="muted">{t('log.empty')}</p>}
      <div className="pager">
        <button type="button" disabled={cursors.length === 1} onClick={() => setCursors([null])}>{t('log.first')}</button>
        <button type="button" disabled={cursors.length === 1} data-testid="log-prev" onClick={() => setCursors(cursors.slice(0, -1))}>{t('log.prev')}</button>
        <span className="muted">{t('log.page', { n: cursors.length })}</span>
        <button type="button" disabled={!q.data?.next_cursor || q.isPlaceholderData} data-testid="log-next" onClick={() => setCursors([...cursors, q.data!.next_cursor])}>{t('log.more')}</button>
      </div>
    </section>
  )
}
