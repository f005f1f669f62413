/* Admin "Directory" page (issue #7): every extension and queue the panel knows (AMI, the
 * FreePBX/Issabel database, admin overrides) with search, and per row: hide, rename (label),
 * group and order for the grid. Saving a row PUTs the whole override; "Reset" removes it.
 * REST through TanStack Query; the live grid follows by itself (the server pushes the new
 * labels as extension upserts, and a hidden extension as a removal). */
import { useMemo, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '../lib/http'
import { toast } from './session'

export interface DirectoryEntry {
  number: string; kind: 'extension' | 'queue'; name: string; tech: string; group: string; order: number
  hidden?: boolean; sources?: string[]
}
export interface DirectoryStatus { mode: string; db_configured: boolean; db_ok: boolean; message: string; warnings: string[] }
interface DirectoryAnswer { entries: DirectoryEntry[]; status?: DirectoryStatus }
interface Draft { label: string; group: string; order: string; hidden: boolean }

/** Entries whose number, name or group contains the search text (case-insensitive). */
export function filterEntries(entries: DirectoryEntry[], search: string): DirectoryEntry[] {
  const n = search.trim().toLowerCase()
  if (!n) return entries
  return entries.filter((e) => [e.number, e.name, e.group].some((v) => v.toLowerCase().includes(n)))
}

/** The PUT /api/directory/{number} body for a row: empty label/group/order are left out. */
export function overrideBody(d: Draft): Record<string, unknown> {
  const body: Record<string, unknown> = { hidden: d.hidden }
  if (d.label.trim()) body.label = d.label.trim()
  if (d.group.trim()) body.group = d.group.trim()
  if (d.order.trim() !== '' && !isNaN(Number(d.order))) body.order = Math.trunc(Number(d.order))
  return body
}

const draftOf = (e: DirectoryEntry): Draft => ({ label: e.sources?.includes('override') ? e.name : '', group: e.group, order: e.order ? String(e.order) : '', hidden: !!e.hidden })

function Row({ e }: { e: DirectoryEntry }) {
  const { t } = useTranslation()
  const qc = useQueryClient()
  const [d, setD] = useState<Draft>(() => draftOf(e))
  const done = (msg: string) => { toast(true, msg); void qc.invalidateQueries({ queryKey: ['directory'] }) }
  const fail = (err: Error) => toast(false, t('admin.error', { message: err.message }))
  const save = useMutation({
    mutationFn: (body: Record<string, unknown>) => api(`/api/directory/${encodeURIComponent(e.number)}`, { method: 'PUT', body: JSON.stringify(body) }),
    onSuccess: () => done(t('admin.saved')), onError: fail,
  })
  const reset = useMutation({
    mutationFn: () => api(`/api/directory/${encodeURIComponent(e.number)}`, { method: 'DELETE' }),
    onSuccess: () => done(t('directory.reset_done')), onError: fail,
  })
  const id = `dir-${e.number}`
  return (
    <tr data-testid={id} className={d.hidden ? 'muted' : undefined}>
      <td>{e.number}</td>
      <td>{t(e.kind === 'queue' ? 'directory.kind_queue' : 'directory.kind_extension')}{e.tech ? ` · ${e.tech}` : ''}</td>
      <td><input aria-label={t('directory.label')} placeholder={e.name} value={d.label} maxLength={64} data-testid={`${id}-label`} onChange={(x) => setD({ ...d, label: x.target.value })} /></td>
      <td><input aria-label={t('directory.group')} value={d.group} maxLength={64} data-testid={`${id}-group`} onChange={(x) => setD({ ...d, group: x.target.value })} /></td>
      <td><input aria-label={t('directory.order')} type="number" value={d.order} data-testid={`${id}-order`} onChange={(x) => setD({ ...d, order: x.target.value })} style={{ width: '5em' }} /></td>
      <td><label className="check"><input type="checkbox" checked={d.hidden} data-testid={`${id}-hidden`} onChange={(x) => {
        const next = { ...d, hidden: x.target.checked }
        setD(next); save.mutate(overrideBody(next)) // hiding applies at once
      }} />{t('directory.hidden')}</label></td>
      <td className="muted">{(e.sources ?? []).join(', ')}</td>
      <td>
        <button type="button" disabled={save.isPending} data-testid={`${id}-save`} onClick={() => save.mutate(overrideBody(d))}>{t('admin.save')}</button>
        {e.sources?.includes('override') && <button type="button" disabled={reset.isPending} data-testid={`${id}-reset`} onClick={() => reset.mutate()}>{t('directory.reset')}</button>}
      </td>
    </tr>
  )
}

export function AdminDirectory() {
  const { t } = useTranslation()
  const [search, setSearch] = useState('')
  const q = useQuery({ queryKey: ['directory'], queryFn: () => api<DirectoryAnswer>('/api/directory') })
  const shown = useMemo(() => filterEntries(q.data?.entries ?? [], search), [q.data, search])
  const st = q.data?.status
  return (
    <div className="admin-directory">
      <h3>{t('directory.title')}</h3>
      <p className="muted">{t('directory.hint')}</p>
      {st && (
        <p data-testid="directory-status" className={st.db_configured && !st.db_ok ? 'error' : 'muted'}>
          {t('directory.source', { mode: st.mode })} — {st.message}
          {st.warnings.map((w) => <span key={w} className="warning"><br />{w}</span>)}
        </p>
      )}
      <input type="search" placeholder={t('directory.search')} aria-label={t('directory.search')} value={search} data-testid="directory-search" onChange={(e) => setSearch(e.target.value)} />
      {q.isError && <p className="error">{t('admin.error', { message: (q.error as Error).message })}</p>}
      <table className="table">
        <thead><tr>
          <th>{t('directory.number')}</th><th>{t('directory.kind')}</th><th>{t('directory.label')}</th><th>{t('directory.group')}</th>
          <th>{t('directory.order')}</th><th>{t('directory.hidden')}</th><th>{t('directory.sources')}</th><th />
        </tr></thead>
        <tbody>{shown.map((e) => <Row key={`${e.kind}-${e.number}-${e.name}-${e.group}-${e.order}-${e.hidden}`} e={e} />)}</tbody>
      </table>
      {q.isSuccess && shown.length === 0 && <p className="muted">{t('directory.empty')}</p>}
    </div>
  )
}
