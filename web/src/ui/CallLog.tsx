/* Call log: filters → query key; keyset cursor paging with the previous page kept on screen. */
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { Download, ChevronDown, ChevronRight } from 'lucide-react'
import { api, qs } from '../lib/http'
import { fmtDuration } from '../lib/time'

export interface LogItem {
  id: string; started_at: number; direction: string; outcome: string; from: { number: string; name: string }; to: { number: string; name: string }
  extension: string | null; queue: string | null; duration: number; billsec: number; recording: { url: string } | null
  legs: { channel?: string; from?: string; to?: string; disposition?: string; billsec?: number }[]; journey: { at: number; event: string; detail?: string }[]; qos: unknown
}
interface LogPage { items: LogItem[]; next_cursor: string | null; total: number }
const empty = { date_from: '', date_to: '', extension: '', direction: '', outcome: '', queue: '', min_duration: '', has_recording: '', search: '' }
export type LogFilters = typeof empty

export function Player({ url }: { url: string }) {
  const { t } = useTranslation()
  const [rate, setRate] = useState(1)
  return (
    <span className="player">
      <audio controls preload="metadata" src={url} data-testid="rec-audio" ref={(a) => { if (a) a.playbackRate = rate }} />
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
  return (
    <>
      <tr data-testid={`log-${it.id}`}>
        <td><button type="button" className="icon-btn" aria-expanded={open} aria-label={t('log.legs')} onClick={() => setOpen(!open)}>{open ? <ChevronDown size={14} aria-hidden /> : <ChevronRight size={14} aria-hidden />}</button></td>
        <td>{new Date(it.started_at).toLocaleString()}</td>
        <td>{t(`calls.direction.${it.direction}`, { defaultValue: it.direction })}</td>
        <td>{it.from?.name || it.from?.number}</td><td>{it.to?.name || it.to?.number}</td><td>{it.queue ?? ''}</td>
        <td><span className={`badge out-${it.outcome}`}>{t(`outcome.${it.outcome}`, { defaultValue: it.outcome })}</span></td>
        <td>{fmtDuration(it.duration * 1000)} / {fmtDuration(it.billsec * 1000)}</td>
        <td>{it.recording ? <Player url={it.recording.url} /> : ''}</td>
      </tr>
      {open && <tr className="legs"><td colSpan={9}>
        <ul>{it.legs.map((l, i) => <li key={i}>{l.channel} {l.from} → {l.to} {l.disposition} {l.billsec != null ? `${l.billsec}s` : ''}</li>)}</ul>
        <ol>{it.journey.map((j, i) => <li key={i}>{new Date(j.at).toLocaleTimeString()} {j.event} {j.detail}</li>)}</ol>
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
  const params = { ...filters, date_from: filters.date_from ? Date.parse(filters.date_from) : '', date_to: filters.date_to ? Date.parse(filters.date_to) : '' }
  const q = useQuery({
    queryKey: ['call-log', params, cursor],
    queryFn: () => api<LogPage>(`/api/call-log?${qs({ ...params, limit: 50, cursor })}`),
    placeholderData: keepPreviousData,
  })
  const set = (k: keyof LogFilters) => (e: { target: { value: string } }) => setDraft({ ...draft, [k]: e.target.value })
  return (
    <section className="panel" aria-labelledby="log-title">
      <h2 id="log-title">{t('log.title')} {q.data && <small>{t('log.total', { count: q.data.total })}</small>}</h2>
      <form className="filters" onSubmit={(e) => { e.preventDefault(); setFilters(draft); setCursors([null]) }}>
        <label>{t('log.from')}<input type="datetime-local" value={draft.date_from} onChange={set('date_from')} /></label>
        <label>{t('log.to')}<input type="datetime-local" value={draft.date_to} onChange={set('date_to')} /></label>
        <label>{t('log.extension')}<input value={draft.extension} onChange={set('extension')} data-testid="log-extension" /></label>
        <label>{t('log.direction')}<select value={draft.direction} onChange={set('direction')}><option value="">{t('log.any')}</option>
          {['inbound', 'outbound', 'internal'].map((d) => <option key={d} value={d}>{t(`calls.direction.${d}`)}</option>)}</select></label>
        <label>{t('log.outcome')}<select value={draft.outcome} onChange={set('outcome')}><option value="">{t('log.any')}</option>
          {['answered', 'missed', 'abandoned', 'busy', 'failed', 'voicemail'].map((d) => <option key={d} value={d}>{t(`outcome.${d}`)}</option>)}</select></label>
        <label>{t('log.queue')}<input value={draft.queue} onChange={set('queue')} /></label>
        <label>{t('log.min_duration')}<input type="number" min={0} value={draft.min_duration} onChange={set('min_duration')} /></label>
        <label className="check"><input type="checkbox" data-testid="log-has-recording" checked={draft.has_recording === 'true'} onChange={(e) => setDraft({ ...draft, has_recording: e.target.checked ? 'true' : '' })} />{t('log.has_recording')}</label>
        <label>{t('log.search')}<input type="search" value={draft.search} onChange={set('search')} data-testid="log-search" /></label>
        <button type="submit" className="primary" data-testid="log-apply">{t('log.search')}</button>
        <a className="button" href={`/api/call-log.csv?${qs(params)}`} data-testid="log-csv"><Download size={14} aria-hidden /> {t('log.export')}</a>
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
        <button type="button" disabled={!q.data?.next_cursor || q.isPlaceholderData} data-testid="log-next" onClick={() => setCursors([...cursors, q.data!.next_cursor])}>{t('log.more')}</button>
      </div>
    </section>
  )
}
