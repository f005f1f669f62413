/* Admin: users, API keys, panel settings (with PBX status) and the audit log — all REST via TanStack Query. */
import { useMemo, useState, type FormEvent, type ReactNode } from 'react'
import { useTranslation } from 'react-i18next'
import { useMutation, useQuery, useQueryClient, keepPreviousData } from '@tanstack/react-query'
import { api, qs } from '../lib/http'
import { useLive } from '../live/store'
import type { User as MeUser } from '../live/protocol'
type User = MeUser & { allowed_extensions?: string[]; allowed_queues?: string[] }
import { toast } from './session'

interface UserForm { username: string; name: string; password: string; role: string; extension: string; monitor_modes: string[]; allowed_agent_extensions: string[]; allowed_queue_names: string[]; active: boolean }
const blank: UserForm = { username: '', name: '', password: '', role: 'agent', extension: '', monitor_modes: [], allowed_agent_extensions: [], allowed_queue_names: [], active: true }

export function Picker({ label, options, value, onChange, testId }: { label: string; options: string[]; value: string[]; onChange: (v: string[]) => void; testId: string }) {
  const { t } = useTranslation()
  const [f, setF] = useState('')
  const shown = options.filter((o) => o.toLowerCase().includes(f.toLowerCase())).slice(0, 200)
  return (
    <fieldset className="picker" data-testid={testId}>
      <legend>{label} ({value.length})</legend>
      <input type="search" placeholder={t('admin.pick_filter')} aria-label={`${label}: ${t('admin.pick_filter')}`} value={f} onChange={(e) => setF(e.target.value)} data-testid={`${testId}-filter`} />
      <div className="pick-list">{shown.map((o) => (
        <label key={o} className="check"><input type="checkbox" checked={value.includes(o)} data-testid={`${testId}-${o}`}
          onChange={(e) => onChange(e.target.checked ? [...value, o] : value.filter((x) => x !== o))} />{o}</label>))}</div>
    </fieldset>
  )
}

function UserEditor({ initial, id, onDone }: { initial: UserForm; id: number | null; onDone: () => void }) {
  const { t } = useTranslation()
  const qc = useQueryClient()
  const [f, setF] = useState(initial)
  const exts = useLive((s) => s.extensions)
  const queues = useLive((s) => s.queues)
  const extOptions = useMemo(() => [...exts.keys()].sort((a, b) => a.localeCompare(b, undefined, { numeric: true })), [exts])
  const m = useMutation({
    mutationFn: (body: Record<string, unknown>) => api(id == null ? '/api/settings/users' : `/api/settings/users/${id}`, { method: id == null ? 'POST' : 'PUT', body: JSON.stringify(body) }),
    onSuccess: () => { toast(true, t('admin.saved')); void qc.invalidateQueries({ queryKey: ['users'] }); onDone() },
    onError: (e: Error) => toast(false, t('admin.error', { message: e.message })),
  })
  const submit = (e: FormEvent) => {
    e.preventDefault()
    // The admin API names the scope lists allowed_extensions / allowed_queues.
    const { allowed_agent_extensions, allowed_queue_names, ...rest } = f
    const body: Record<string, unknown> = { ...rest, allowed_extensions: allowed_agent_extensions, allowed_queues: allowed_queue_names }
    if (!body.password) delete body.password
    if (!body.extension) body.extension = null
    m.mutate(body)
  }
  const txt = (k: 'username' | 'name' | 'password' | 'extension') => ({ value: f[k], onChange: (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value }), 'data-testid': `user-${k}` })
  return (
    <form className="card user-form" onSubmit={submit} data-testid="user-form">
      <label>{t('admin.username')}<input required {...txt('username')} /></label>
      <label>{t('admin.name')}<input {...txt('name')} /></label>
      <label>{t('admin.password')}<input type="password" autoComplete="new-password" required={id == null} {...txt('password')} /></label>
      <label>{t('admin.role')}<select value={f.role} data-testid="user-role" onChange={(e) => setF({ ...f, role: e.target.value })}>
        {['agent', 'supervisor', 'admin'].map((r) => <option key={r} value={r}>{t(`role.${r}`)}</option>)}</select></label>
      <label>{t('admin.extension')}<input {...txt('extension')} /></label>
      <fieldset><legend>{t('admin.monitor_modes')}</legend>
        {['listen', 'whisper', 'barge'].map((mm) => <label key={mm} className="check"><input type="checkbox" data-testid={`user-mode-${mm}`} checked={f.monitor_modes.includes(mm)}
          onChange={(e) => setF({ ...f, monitor_modes: e.target.checked ? [...f.monitor_modes, mm] : f.monitor_modes.filter((x) => x !== mm) })} />{t(`action.${mm}`)}</label>)}
      </fieldset>
      <Picker label={t('admin.allowed_ext')} options={extOptions} value={f.allowed_agent_extensions} onChange={(v) => setF({ ...f, allowed_agent_extensions: v })} testId="pick-ext" />
      <Picker label={t('admin.allowed_queues')} options={[...queues.keys()].sort()} value={f.allowed_queue_names} onChange={(v) => setF({ ...f, allowed_queue_names: v })} testId="pick-queue" />
      <label className="check"><input type="checkbox" checked={f.active} onChange={(e) => setF({ ...f, active: e.target.checked })} />{t('admin.active')}</label>
      <div><button type="submit" className="primary" disabled={m.isPending} data-testid="user-save">{id == null ? t('admin.create') : t('admin.save')}</button>
        <button type="button" onClick={onDone}>{t('admin.cancel')}</button></div>
    </form>
  )
}

function Users() {
  const { t } = useTranslation()
  const qc = useQueryClient()
  const q = useQuery({ queryKey: ['users'], queryFn: () => api<{ users: User[] }>('/api/settings/users') })
  const [edit, setEdit] = useState<{ id: number | null; form: UserForm } | null>(null)
  const toggle = useMutation({
    mutationFn: (u: User) => api(`/api/settings/users/${u.id}`, { method: 'PUT', body: JSON.stringify({ active: !u.active }) }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['users'] }),
    onError: (e: Error) => toast(false, t('admin.error', { message: e.message })),
  })
  const toForm = (u: User): UserForm => ({ ...blank, username: u.username, name: u.name ?? '', role: u.role, extension: u.extension ?? '', monitor_modes: u.monitor_modes ?? [],
    allowed_agent_extensions: u.allowed_extensions ?? u.allowed_agent_extensions ?? [], allowed_queue_names: u.allowed_queues ?? u.allowed_queue_names ?? [], active: u.active !== false })
  return (
    <section aria-labelledby="users-title">
      <h3 id="users-title">{t('admin.users')}</h3>
      {!edit && <button type="button" className="primary" data-testid="user-new" onClick={() => setEdit({ id: null, form: blank })}>{t('admin.new_user')}</button>}
      {edit && <UserEditor key={edit.id ?? 'new'} id={edit.id} initial={edit.form} onDone={() => setEdit(null)} />}
      {q.error && <p role="alert" className="error">{(q.error as Error).message}</p>}
      <table><thead><tr><th>{t('admin.username')}</th><th>{t('admin.role')}</th><th>{t('admin.extension')}</th><th>{t('admin.monitor_modes')}</th><th>{t('admin.active')}</th><th /></tr></thead>
        <tbody>{q.data?.users.map((u) => (
          <tr key={u.id} data-testid={`user-row-${u.username}`}><td>{u.username}</td><td>{t(`role.${u.role}`, { defaultValue: u.role })}</td><td>{u.extension}</td><td>{u.monitor_modes?.join(', ')}</td><td>{u.active === false ? '✗' : '✓'}</td>
            <td><button type="button" onClick={() => setEdit({ id: u.id, form: toForm(u) })}>{t('admin.edit')}</button>
              <button type="button" onClick={() => toggle.mutate(u)}>{u.active === false ? t('admin.enable') : t('admin.disable')}</button></td></tr>))}</tbody></table>
    </section>
  )
}

interface ApiKey { id: number; name: string; prefix?: string; created_at?: number; last_used_at?: number | null; revoked?: boolean }
function ApiKeys() {
  const { t } = useTranslation()
  const qc = useQueryClient()
  const [name, setName] = useState('')
  const [shown, setShown] = useState<string | null>(null)
  const q = useQuery({ queryKey: ['api-keys'], queryFn: () => api<{ keys?: ApiKey[]; items?: ApiKey[] }>('/api/settings/api-keys') })
  const create = useMutation({
    mutationFn: () => api<{ key: string }>('/api/settings/api-keys', { method: 'POST', body: JSON.stringify({ name }) }),
    onSuccess: (r) => { setShown(r.key); setName(''); void qc.invalidateQueries({ queryKey: ['api-keys'] }) },
    onError: (e: Error) => toast(false, t('admin.error', { message: e.message })),
  })
  const revoke = useMutation({
    mutationFn: (id: number) => api(`/api/settings/api-keys/${id}`, { method: 'DELETE' }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['api-keys'] }),
    onError: (e: Error) => toast(false, t('admin.error', { message: e.message })),
  })
  const keys = q.data?.keys ?? q.data?.items ?? []
  return (
    <section aria-labelledby="keys-title">
      <h3 id="keys-title">{t('admin.apikeys')}</h3>
      <form onSubmit={(e) => { e.preventDefault(); if (name.trim()) create.mutate() }} className="row">
        <input aria-label={t('admin.key_name')} placeholder={t('admin.key_name')} value={name} onChange={(e) => setName(e.target.value)} />
        <button type="submit" className="primary">{t('admin.create')}</button>
      </form>
      {shown && <p className="card" role="status">{t('admin.key_created')} <code data-testid="api-key-once">{shown}</code> <button type="button" onClick={() => setShown(null)}>{t('common.close')}</button></p>}
      <ul>{keys.map((k) => <li key={k.id}>{k.name} <code>{k.prefix}</code> {k.revoked ? '✗' : <button type="button" onClick={() => revoke.mutate(k.id)}>{t('admin.revoke')}</button>}</li>)}</ul>
    </section>
  )
}

const settingFields = ['ami.host', 'ami.port', 'ami.username', 'ami.secret', 'crm.url', 'crm.token', 'qos.mos_warn', 'qos.jitter_warn_ms']
function Settings() {
  const { t } = useTranslation()
  const qc = useQueryClient()
  const q = useQuery({ queryKey: ['settings'], queryFn: () => api<{ settings: Record<string, unknown> }>('/api/settings') })
  const status = useQuery({ queryKey: ['status'], queryFn: () => api<{ connected: boolean }>('/api/status'), refetchInterval: 5000 })
  const [draft, setDraft] = useState<Record<string, string>>({})
  const save = useMutation({
    mutationFn: () => api('/api/settings', { method: 'PUT', body: JSON.stringify({ settings: Object.fromEntries(Object.entries(draft).filter(([k, v]) => !(isSecret(k) && v === ''))) }) }),
    onSuccess: () => { toast(true, t('admin.saved')); setDraft({}); void qc.invalidateQueries({ queryKey: ['settings'] }) },
    onError: (e: Error) => toast(false, t('admin.error', { message: e.message })),
  })
  const isSecret = (k: string) => /secret|token|password/.test(k)
  const keys = [...new Set([...settingFields, ...Object.keys(q.data?.settings ?? {})])]
  return (
    <section aria-labelledby="settings-title">
      <h3 id="settings-title">{t('admin.settings')}</h3>
      <p data-testid="pbx-status">{t('admin.pbx_status', { status: status.data ? t(status.data.connected ? 'admin.connected' : 'admin.disconnected') : '…' })}</p>
      <form onSubmit={(e) => { e.preventDefault(); save.mutate() }} className="settings">
        {keys.map((k) => {
          const cur = q.data?.settings?.[k]
          return <label key={k}>{k}<input type={isSecret(k) ? 'password' : 'text'} placeholder={isSecret(k) ? t('admin.secret_hint') : ''} autoComplete="off"
            value={draft[k] ?? (isSecret(k) ? '' : cur == null ? '' : String(cur))} onChange={(e) => setDraft({ ...draft, [k]: e.target.value })} /></label>
        })}
        <button type="submit" className="primary">{t('admin.save')}</button>
      </form>
    </section>
  )
}

interface AuditItem { id: number; at: number; user: string; action: string; target: string; result: string; detail?: string }
function Audit() {
  const { t } = useTranslation()
  const [user, setUser] = useState('')
  const [action, setAction] = useState('')
  const [cursors, setCursors] = useState<(string | null)[]>([null])
  const cursor = cursors[cursors.length - 1]
  const q = useQuery({ queryKey: ['audit', user, action, cursor], queryFn: () => api<{ items: AuditItem[]; next_cursor: string | null }>(`/api/audit?${qs({ user, action, cursor })}`), placeholderData: keepPreviousData })
  return (
    <section aria-labelledby="audit-title">
      <h3 id="audit-title">{t('admin.audit')}</h3>
      <div className="row"><input aria-label={t('admin.user')} placeholder={t('admin.user')} value={user} onChange={(e) => { setUser(e.target.value); setCursors([null]) }} />
        <input aria-label={t('admin.action')} placeholder={t('admin.action')} value={action} onChange={(e) => { setAction(e.target.value); setCursors([null]) }} /></div>
      <table><thead><tr><th>{t('admin.at')}</th><th>{t('admin.user')}</th><th>{t('admin.action')}</th><th>{t('admin.target')}</th><th>{t('admin.result')}</th></tr></thead>
        <tbody>{q.data?.items.map((a) => <tr key={a.id}><td>{new Date(a.at).toLocaleString()}</td><td>{a.user}</td><td>{a.action}</td><td>{a.target}</td><td title={a.detail}>{a.result}</td></tr>)}</tbody></table>
      <button type="button" disabled={!q.data?.next_cursor} onClick={() => setCursors([...cursors, q.data!.next_cursor])}>{t('admin.more')}</button>
    </section>
  )
}

// Admin tabs: one line per tab (features add their own page here).
const adminTabs: { key: string; label: string; render: () => ReactNode }[] = [
  { key: 'users', label: 'admin.users', render: () => <Users /> },
  { key: 'keys', label: 'admin.apikeys', render: () => <ApiKeys /> },
  { key: 'settings', label: 'admin.settings', render: () => <Settings /> },
  { key: 'audit', label: 'admin.audit', render: () => <Audit /> },
]

export function Admin() {
  const { t } = useTranslation()
  const [tab, setTab] = useState<string>('users')
  const current = adminTabs.find((x) => x.key === tab) ?? adminTabs[0]
  return (
    <section className="panel admin">
      <div role="tablist" className="tabs">{adminTabs.map(({ key, label }) => <button key={key} role="tab" type="button" aria-selected={tab === key} data-testid={`admin-tab-${key}`} onClick={() => setTab(key)}>{t(label)}</button>)}</div>
      {current.render()}
    </section>
  )
}
