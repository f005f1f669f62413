/* Admin → Softphone: which extensions have SIP credentials for the browser softphone, and a
 * form to set or remove them. Passwords are write-only: the server never sends them back, so
 * the list shows only the extension, the auth user and who changed it when. */
import { useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, ApiError } from '../lib/http'
import { toast } from '../ui/session'

interface Row { extension: string; auth_username: string; source: string; updated_at: number; updated_by: string | null }

export function AdminSoftphone() {
  const { t, i18n } = useTranslation()
  const qc = useQueryClient()
  const list = useQuery({ queryKey: ['webrtc-credentials'], queryFn: () => api<{ credentials: Row[] }>('/api/webrtc/credentials') })
  const [ext, setExt] = useState('')
  const [pw, setPw] = useState('')
  const [authUser, setAuthUser] = useState('')
  const fail = (e: unknown) => toast(false, e instanceof ApiError ? e.message : String(e))
  const save = useMutation({
    mutationFn: () => api(`/api/webrtc/credentials/${encodeURIComponent(ext)}`, { method: 'PUT', body: JSON.stringify({ password: pw, auth_username: authUser }) }),
    onSuccess: () => { toast(true, t('softphone.admin.saved', { extension: ext })); setPw(''); void qc.invalidateQueries({ queryKey: ['webrtc-credentials'] }) },
    onError: fail,
  })
  const remove = useMutation({
    mutationFn: (e: string) => api(`/api/webrtc/credentials/${encodeURIComponent(e)}`, { method: 'DELETE' }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['webrtc-credentials'] }),
    onError: fail,
  })
  const submit = (e: FormEvent) => { e.preventDefault(); if (ext && pw) save.mutate() }
  return (
    <section data-testid="admin-softphone">
      <p className="muted">{t('softphone.admin.help')}</p>
      <form className="user-form" onSubmit={submit}>
        <label>{t('softphone.admin.extension')}<input value={ext} onChange={(e) => setExt(e.target.value)} data-testid="sp-admin-ext" required pattern="[A-Za-z0-9_.\-]{1,32}" /></label>
        <label>{t('softphone.admin.password')}<input type="password" value={pw} onChange={(e) => setPw(e.target.value)} data-testid="sp-admin-password" required maxLength={128} autoComplete="new-password" /></label>
        <label>{t('softphone.admin.auth_username')}<input value={authUser} onChange={(e) => setAuthUser(e.target.value)} placeholder={ext} /></label>
        <button type="submit" className="primary" disabled={save.isPending} data-testid="sp-admin-save">{t('softphone.admin.save')}</button>
      </form>
      {list.isError && <p className="error">{(list.error as Error).message}</p>}
      <div className="table-wrap"><table>
        <thead><tr><th>{t('softphone.admin.extension')}</th><th>{t('softphone.admin.auth_username')}</th><th>{t('softphone.admin.updated')}</th><th /></tr></thead>
        <tbody>{(list.data?.credentials ?? []).map((r) => (
          <tr key={r.extension} data-testid={`sp-admin-row-${r.extension}`}>
            <td>{r.extension}</td><td>{r.auth_username || r.extension}</td>
            <td>{new Date(r.updated_at).toLocaleString(i18n.language)}{r.updated_by ? ` · ${r.updated_by}` : ''}</td>
            <td><button type="button" onClick={() => remove.mutate(r.extension)}>{t('softphone.admin.remove')}</button></td>
          </tr>))}</tbody>
      </table></div>
    </section>
  )
}
