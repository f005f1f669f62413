/* Admin: users, API keys, panel settings (with PBX status) and the audit log — all REST via TanStack Query. */
import { useMemo, useState, type FormEvent, type ReactNode } from 'react'
import { useTranslation } from 'react-i18next'
import { useMutation, useQuery, useQueryClient, keepPreviousData } from '@tanstack/react-query'
import { api, qs } from '../lib/http'
import { useLive } from '../live/store'
import type { User as MeUser } from '../live/protocol'
type User = MeUser & { allowed_extensions?: string[]; allowed_queues?: string[]; group_ids?: number[] }
interface Group { id: number; name: string }
import { toast } from './session'
import { AdminCrm } from './AdminCrm'
import { AdminDirectory } from './AdminDirectory'
import { AdminHealth } from './AdminHealth'
import { AdminSoftphone } from '../softphone/AdminSoftphone'

interface UserForm { username: string; name: string; password: string; role: string; extension: string; monitor_modes: string[]; allowed_agent_extensions: string[]; allowed_queue_names: string[]; group_ids: string[]; active: boolean }
const blank: UserForm = { username: '', name: '', password: '', role: 'agent', extension: '', monitor_modes: [], allowed_agent_extensions: [], allowed_queue_names: [], group_ids: [], active: true }

/** Searchable multi-select: the chosen values first (as removable chips), then up to 200 matches
 * of the filter, with "select all shown" and "clear" for large offices. */
export function Picker({ label, options, value, onChange, testId, labels }: { label: string; options: string[]; value: string[]; onChange: (v: string[]) => void; testId: string; labels?: Map<string, string> }) {
  const { t } = useTranslation()
  const [f, setF] = useState('')
  const needle = f.trim().toLowerCase()
  const all = options.filter((o) => !needle || o.toLowerCase().includes(needle) || (labels?.get(o) ?? '').toLowerCase().includes(needle))
  const shown = all.slice(0, 200)
  const name = (o: string) => (labels?.get(o) ? `${o} · ${labels.get(o)}` : o)
  return (
    <fieldset className="picker" data-testid={testId}>
      <legend>{label} ({value.length === 0 ? t('admin.none_selected') : value.length})</legend>
      {value.length > 0 && <div className="chips">{value.map((v) => <button key={v} type="button" className="chip" aria-label={t('admin.unpick', { name: name(v) })} onClick={() => onChange(value.filter((x) => x !== v))}>{name(v)} ×</button>)}</div>}
      <div className="row">
        <input type="search" placeholder={t('admin.pick_filter')} aria-label={`${label}: ${t('admin.pick_filter')}`} value={f} onChange={(e) => setF(e.target.value)} data-testid={`${testId}-filter`} />
        <button type="button" onClick={() => onChange([...new Set([...value, ...shown])])}>{t('admin.pick_all', { count: shown.length })}</button>
        <button type="button" disabled={value.length === 0} onClick={() => onChange([])}>{t('admin.pick_clear')}</button>
      </div>
      <div className="pick-list">{shown.map((o) => (
        <label key={o} className="check"><input type="checkbox" checked={value.includes(o)} data-testid={`${testId}-${o}`}
          onChange={(e) => onChange(e.target.checked ? [...value, o] : value.filter((x) => x !== o))} />{name(o)}</label>))}</div>
      {all.length > shown.length && <p className="muted">{t('admin.pick_more', { count: all.length - shown.length })}</p>}
    </fieldset>
  )
}

function UserEditor({ initial, id, onDone }: { initial: UserForm; id: number | null; onDone: () => void }) {
  const { t } = useTranslation()
  const qc = useQueryClient()
  const [f, setF] = useState(initial)
  const exts = useLive((s) => s.extensions)
  const queues = useLive((s) => s.queues)
  const extOptions = useMemo(() => [...exts.keys()].sort(new Intl.Collator(undefined, { numeric: true }).compare), [exts])
  const groups = useQuery({ queryKey: ['groups'], queryFn: () => api<{ groups: Group[] }>('/api/settings/groups') })
  const extLabels = useMemo(() => new Map([...exts.values()].filter((e) => e.name).map((e) => [e.extension, e.name])), [exts])
  const m = useMutation({
    mutationFn: (body: Record<string, unknown>) => api(id == null ? '/api/settings/users' : `/api/settings/users/${id}`, { method: id == null ? 'POST' : 'PUT', body: JSON.stringify(body) }),
    onSuccess: () => { toast(true, t('admin.saved')); void qc.invalidateQueries({ queryKey: ['users'] }); onDone() },
    onError: (e: Error) => toast(false, t('admin.error', { message: e.message })),
  })
  const submit = (e: FormEvent) => {
    e.preventDefault()
    // The admin API names the scope lists allowed_extensions / allowed_queues.
    const { allowed_agent_extensions, allowed_queue_names, group_ids, ...rest } = f
    const body: Record<string, unknown> = { ...rest, allowed_extensions: allowed_agent_extensions, allowed_queues: allowed_queue_names, group_ids: group_ids.map(Number) }
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
      <label>{t('admin.extension')}<input {...txt('extension')} list="user-ext-list" autoComplete="off" />
        <datalist id="user-ext-list">{extOptions.slice(0, 500).map((e) => <option key={e} value={e}>{extLabels.get(e) ?? e}</option>)}</datalist></label>
      {f.role === 'admin' && <p className="muted">{t('admin.admin_all')}</p>}
      <fieldset><legend>{t('admin.monitor_modes')}</legend>
        {['listen', 'whisper', 'barge'].map((mm) => <label key={mm} className="check"><input type="checkbox" data-testid={`user-mode-${mm}`} checked={f.monitor_modes.includes(mm)}
          onChange={(e) => setF({ ...f, monitor_modes: e.target.checked ? [...f.monitor_modes, mm] : f.monitor_modes.filter((x) => x !== mm) })} />{t(`action.${mm}`)}</label>)}
      </fieldset>
      <Picker label={t('admin.allowed_ext')} options={extOptions} labels={extLabels} value={f.allowed_agent_extensions} onChange={(v) => setF({ ...f, allowed_agent_extensions: v })} testId="pick-ext" />
      <Picker label={t('admin.allowed_queues')} options={[...queues.keys()].sort()} value={f.allowed_queue_names} onChange={(v) => setF({ ...f, allowed_queue_names: v })} testId="pick-queue" />
      {(groups.data?.groups.length ?? 0) > 0 && <Picker label={t('admin.groups')} options={groups.data!.groups.map((g) => String(g.id))} labels={new Map(groups.data!.groups.map((g) => [String(g.id), g.name]))}
        value={f.group_ids} onChange={(v) => setF({ ...f, group_ids: v })} testId="pick-group" />}
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
  const [filter, setFilter] = useState('')
  const del = useMutation({
    mutationFn: (u: User) => api(`/api/settings/users/${u.id}`, { method: 'DELETE' }),
    onSuccess: () => { toast(true, t('admin.deleted')); void qc.invalidateQueries({ queryKey: ['users'] }) },
    onError: (e: Error) => toast(false, t('admin.error', { message: e.message })),
  })
  const needle = filter.trim().toLowerCase()
  const users = (q.data?.users ?? []).filter((u) => !needle || [u.username, u.name ?? '', u.extension ?? '', u.role].some((x) => x.toLowerCase().includes(needle)))
  const toggle = useMutation({
    mutationFn: (u: User) => api(`/api/settings/users/${u.id}`, { method: 'PUT', body: JSON.stringify({ active: !u.active }) }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['users'] }),
    onError: (e: Error) => toast(false, t('admin.error', { message: e.message })),
  })
  const toForm = (u: User): UserForm => ({ ...blank, username: u.username, name: u.name ?? '', role: u.role, extension: u.extension ?? '', monitor_modes: u.monitor_modes ?? [],
    allowed_agent_extensions: u.allowed_extensions ?? u.allowed_agent_extensions ?? [], allowed_queue_names: u.allowed_queues ?? u.allowed_queue_names ?? [], group_ids: (u.group_ids ?? []).map(String), active: u.active !== false })
  return (
    <section aria-labelledby="users-title">
      <h3 id="users-title">{t('admin.users')}</h3>
      <div className="row">{!edit && <button type="button" className="primary" data-testid="user-new" onClick={() => setEdit({ id: null, form: blank })}>{t('admin.new_user')}</button>}
        <input type="search" aria-label={t('admin.user_filter')} placeholder={t('admin.user_filter')} value={filter} onChange={(e) => setFilter(e.target.value)} data-testid="user-filter" /></div>
      {edit && <UserEditor key={edit.id ?? 'new'} id={edit.id} initial={edit.form} onDone={() => setEdit(null)} />}
      {q.error && <p role="alert" className="error">{(q.error as Error).message}</p>}
      <div className="table-wrap"><table><thead><tr><th>{t('admin.username')}</th><th>{t('admin.name')}</th><th>{t('admin.role')}</th><th>{t('admin.extension')}</th><th>{t('admin.monitor_modes')}</th><th>{t('admin.scope')}</th><th>{t('admin.active')}</th><th /></tr></thead>
        <tbody>{users.map((u) => (
          <tr key={u.id} data-testid={`user-row-${u.username}`}><td>{u.username}</td><td>{u.name}</td><td>{t(`role.${u.role}`, { defaultValue: u.role })}</td><td>{u.extension}</td><td>{u.monitor_modes?.map((m) => t(`action.${m}`)).join(', ')}</td>
            <td>{u.role === 'admin' ? t('admin.scope_all') : t('admin.scope_v', { ext: u.allowed_extensions?.length ?? 0, queues: u.allowed_queues?.length ?? 0, groups: u.group_ids?.length ?? 0 })}</td>
            <td>{u.active === false ? '✗' : '✓'}</td>
            <td><button type="button" onClick={() => setEdit({ id: u.id, form: toForm(u) })}>{t('admin.edit')}</button>
              <button type="button" onClick={() => toggle.mutate(u)}>{u.active === false ? t('admin.enable') : t('admin.disable')}</button>
              <button type="button" onClick={() => { if (window.confirm(t('admin.delete_confirm', { name: u.username }))) del.mutate(u) }}>{t('admin.delete')}</button></td></tr>))}</tbody></table></div>
    </section>
  )
}

interface ApiKey { id: number; name: string; key_prefix?: string; scopes?: string[]; enabled?: boolean; created_by?: string; created_at?: number; last_used_at?: number | null; expires_at?: number | null }
const when = (ms: number | null | undefined) => (ms ? new Date(ms).toLocaleString() : '—')

function ApiKeys() {
  const { t } = useTranslation()
  const qc = useQueryClient()
  const [name, setName] = useState('')
  const [scopes, setScopes] = useState<string[]>([])
  const [expires, setExpires] = useState('')
  const [shown, setShown] = useState<string | null>(null)
  const q = useQuery({ queryKey: ['api-keys'], queryFn: () => api<{ api_keys: ApiKey[] }>('/api/settings/api-keys') })
  const perms = useQuery({ queryKey: ['api-key-permissions'], queryFn: () => api<{ permissions: string[] }>('/api/api-keys/permissions'), staleTime: Infinity })
  const fail = (e: Error) => toast(false, t('admin.error', { message: e.message }))
  const refresh = () => void qc.invalidateQueries({ queryKey: ['api-keys'] })
  const create = useMutation({
    mutationFn: () => api<{ key: string }>('/api/settings/api-keys', { method: 'POST', body: JSON.stringify({ name: name.trim(), scopes, ...(expires ? { expires_at: expires } : {}) }) }),
    onSuccess: (r) => { setShown(r.key); setName(''); setScopes([]); setExpires(''); refresh() }, onError: fail,
  })
  const patch = useMutation({ mutationFn: (k: ApiKey) => api(`/api/settings/api-keys/${k.id}`, { method: 'PATCH', body: JSON.stringify({ enabled: k.enabled === false }) }), onSuccess: refresh, onError: fail })
  const revoke = useMutation({ mutationFn: (id: number) => api(`/api/settings/api-keys/${id}`, { method: 'DELETE' }), onSuccess: () => { toast(true, t('admin.revoked')); refresh() }, onError: fail })
  return (
    <section aria-labelledby="keys-title">
      <h3 id="keys-title">{t('admin.apikeys')}</h3>
      <form onSubmit={(e) => { e.preventDefault(); if (name.trim()) create.mutate() }} className="card user-form" data-testid="key-form">
        <label>{t('admin.key_name')}<input required value={name} onChange={(e) => setName(e.target.value)} data-testid="key-name" /></label>
        <fieldset><legend>{t('admin.scopes')}</legend>
          {(perms.data?.permissions ?? []).map((p) => <label key={p} className="check"><input type="checkbox" checked={scopes.includes(p)} data-testid={`key-scope-${p}`}
            onChange={(e) => setScopes(e.target.checked ? [...scopes, p] : scopes.filter((x) => x !== p))} /><code>{p}</code></label>)}
        </fieldset>
        <label>{t('admin.expires')}<input type="date" value={expires} onChange={(e) => setExpires(e.target.value)} /></label>
        <div><button type="submit" className="primary" disabled={create.isPending || scopes.length === 0} data-testid="key-create">{t('admin.create')}</button></div>
      </form>
      {shown && <p className="card" role="status">{t('admin.key_created')} <code data-testid="api-key-once">{shown}</code>{' '}
        <button type="button" onClick={() => void navigator.clipboard?.writeText(shown)}>{t('admin.copy')}</button> <button type="button" onClick={() => setShown(null)}>{t('common.close')}</button></p>}
      {q.error && <p role="alert" className="error">{(q.error as Error).message}</p>}
      <div className="table-wrap"><table><thead><tr><th>{t('admin.key_name')}</th><th>{t('admin.prefix')}</th><th>{t('admin.scopes')}</th><th>{t('admin.created')}</th><th>{t('admin.last_used')}</th><th>{t('admin.expires')}</th><th>{t('admin.active')}</th><th /></tr></thead>
        <tbody>{(q.data?.api_keys ?? []).map((k) => <tr key={k.id} data-testid={`key-row-${k.name}`}>
          <td>{k.name}</td><td><code>{k.key_prefix}</code></td><td>{k.scopes?.join(', ')}</td><td>{when(k.created_at)} {k.created_by ? `· ${k.created_by}` : ''}</td>
          <td>{when(k.last_used_at)}</td><td>{when(k.expires_at)}</td><td>{k.enabled === false ? '✗' : '✓'}</td>
          <td><button type="button" onClick={() => patch.mutate(k)}>{k.enabled === false ? t('admin.enable') : t('admin.disable')}</button>
            <button type="button" onClick={() => { if (window.confirm(t('admin.revoke_confirm', { name: k.name }))) revoke.mutate(k.id) }}>{t('admin.revoke')}</button></td></tr>)}</tbody></table></div>
    </section>
  )
}

interface SettingKey { key: string; secret: boolean; expected: string }
interface Status { connected: boolean; version?: string; extensions_count?: number; active_calls?: number; websocket_clients?: number; database?: { ok: boolean; backend?: string; error?: string }
  pbx?: { connected: boolean; banner?: string; connected_since?: number; events?: number; reconnects?: number; resyncs?: number; last_error?: string; last_resync_ms?: number } }

function PbxStatus() {
  const { t } = useTranslation()
  const status = useQuery({ queryKey: ['status'], queryFn: () => api<Status>('/api/status'), refetchInterval: 5000 })
  const s = status.data
  const test = async () => {
    const r = await status.refetch()
    const ok = !!r.data?.pbx?.connected || !!r.data?.connected
    toast(ok, ok ? t('admin.test_ok', { banner: r.data?.pbx?.banner ?? '' }) : t('admin.test_failed', { error: r.data?.pbx?.last_error || (r.error as Error | null)?.message || '?' }))
  }
  const pbxOk = s ? (s.pbx?.connected ?? s.connected) : null
  return (
    <div className="card status-card" data-testid="pbx-status" data-connected={pbxOk === null ? '' : String(pbxOk)}>
      <p><strong>{t('admin.pbx_status', { status: pbxOk === null ? '…' : t(pbxOk ? 'admin.connected' : 'admin.disconnected') })}</strong>
        {' '}<button type="button" onClick={() => void test()} data-testid="pbx-test" disabled={status.isFetching}>{t('admin.test')}</button></p>
      {s && <dl className="kv">
        {s.pbx?.banner && <><dt>{t('admin.banner')}</dt><dd>{s.pbx.banner}</dd></>}
        {s.pbx?.connected_since ? <><dt>{t('admin.since')}</dt><dd>{when(s.pbx.connected_since)}</dd></> : null}
        {s.pbx?.last_error ? <><dt>{t('admin.last_error')}</dt><dd className="error">{s.pbx.last_error}</dd></> : null}
        <dt>{t('admin.counts')}</dt><dd>{t('admin.counts_v', { ext: s.extensions_count ?? 0, calls: s.active_calls ?? 0, ws: s.websocket_clients ?? 0 })}</dd>
        {s.pbx && <><dt>{t('admin.events')}</dt><dd>{t('admin.events_v', { events: s.pbx.events ?? 0, reconnects: s.pbx.reconnects ?? 0, resyncs: s.pbx.resyncs ?? 0 })}</dd></>}
        {s.database && <><dt>{t('admin.database')}</dt><dd className={s.database.ok ? '' : 'error'}>{s.database.backend} · {s.database.ok ? 'ok' : s.database.error}</dd></>}
        {s.version && <><dt>{t('admin.version')}</dt><dd>{s.version}</dd></>}
      </dl>}
    </div>
  )
}

const settingSection = (k: string) => (k.startsWith('AMI_') ? 'AMI' : k.startsWith('CRM_') ? 'CRM' : k.startsWith('QOS_') ? 'QoS' : k.startsWith('WEBRTC_') ? 'WebRTC' : 'Panel')
function Settings() {
  const { t } = useTranslation()
  const qc = useQueryClient()
  const q = useQuery({ queryKey: ['settings'], queryFn: () => api<{ settings: Record<string, string>; keys: SettingKey[] }>('/api/settings') })
  const [draft, setDraft] = useState<Record<string, string>>({})
  const save = useMutation({
    mutationFn: () => api<{ saved: string[] }>('/api/settings', { method: 'PUT', body: JSON.stringify({ settings: draft }) }),
    onSuccess: (r) => { toast(true, t('admin.saved_keys', { keys: (r?.saved ?? []).join(', ') || '—' })); setDraft({}); void qc.invalidateQueries({ queryKey: ['settings'] }) },
    onError: (e: Error) => toast(false, t('admin.error', { message: e.message })),
  })
  const sections = useMemo(() => {
    const m = new Map<string, SettingKey[]>()
    for (const k of q.data?.keys ?? []) m.set(settingSection(k.key), [...(m.get(settingSection(k.key)) ?? []), k])
    return [...m.entries()]
  }, [q.data])
  const field = (k: SettingKey) => {
    const cur = q.data?.settings?.[k.key]
    const value = draft[k.key] ?? (k.secret ? '' : cur ?? '')
    const set = (v: string) => setDraft({ ...draft, [k.key]: v })
    if (k.expected === 'true or false') {
      return <select value={value} onChange={(e) => set(e.target.value)} data-testid={`setting-${k.key}`}><option value="">—</option><option value="true">true</option><option value="false">false</option></select>
    }
    return <input type={k.secret ? 'password' : k.expected === 'an integer' ? 'number' : 'text'} autoComplete="off" data-testid={`setting-${k.key}`}
      placeholder={k.secret ? (cur ? t('admin.secret_set') : t('admin.secret_hint')) : k.expected} value={value} onChange={(e) => set(e.target.value)} />
  }
  return (
    <section aria-labelledby="settings-title">
      <h3 id="settings-title">{t('admin.settings')}</h3>
      <PbxStatus />
      {q.error && <p role="alert" className="error">{(q.error as Error).message}</p>}
      <form onSubmit={(e) => { e.preventDefault(); save.mutate() }} className="settings">
        {sections.map(([name, keys]) => <fieldset key={name}><legend>{name}</legend>
          {keys.map((k) => <label key={k.key}><span>{k.key}{draft[k.key] !== undefined ? ' •' : ''}</span>{field(k)}<small className="muted">{k.expected}</small></label>)}
        </fieldset>)}
        <div className="sticky-actions"><button type="submit" className="primary" disabled={Object.keys(draft).length === 0 || save.isPending} data-testid="settings-save">{t('admin.save')}</button>
          <button type="button" disabled={Object.keys(draft).length === 0} onClick={() => setDraft({})}>{t('admin.cancel')}</button></div>
      </form>
    </section>
  )
}

interface AuditItem { id: number; at: number; user: string; action: string; target: string; result: string; ip?: string; detail?: unknown }
function Audit() {
  const { t } = useTranslation()
  const [user, setUser] = useState('')
  const [action, setAction] = useState('')
  const [cursors, setCursors] = useState<(string | null)[]>([null])
  const cursor = cursors[cursors.length - 1]
  const q = useQuery({ queryKey: ['audit', user, action, cursor], queryFn: () => api<{ items: AuditItem[]; next_cursor: string | null }>(`/api/audit?${qs({ user, action, cursor, limit: 50 })}`), placeholderData: keepPreviousData })
  const detail = (d: unknown) => (d == null ? '' : typeof d === 'string' ? d : JSON.stringify(d))
  return (
    <section aria-labelledby="audit-title">
      <h3 id="audit-title">{t('admin.audit')}</h3>
      <div className="row"><input aria-label={t('admin.user')} placeholder={t('admin.user')} value={user} onChange={(e) => { setUser(e.target.value); setCursors([null]) }} data-testid="audit-user" />
        <input aria-label={t('admin.action')} placeholder={t('admin.action_hint')} value={action} onChange={(e) => { setAction(e.target.value); setCursors([null]) }} data-testid="audit-action" /></div>
      {q.error && <p role="alert" className="error">{(q.error as Error).message}</p>}
      <div className="table-wrap"><table className={q.isPlaceholderData ? 'stale' : ''}><thead><tr><th>{t('admin.at')}</th><th>{t('admin.user')}</th><th>{t('admin.action')}</th><th>{t('admin.target')}</th><th>{t('admin.result')}</th><th>{t('admin.detail')}</th></tr></thead>
        <tbody>{q.data?.items.map((a) => <tr key={a.id} data-testid="audit-row"><td>{new Date(a.at).toLocaleString()}</td><td>{a.user}{a.ip ? <small className="muted"> {a.ip}</small> : ''}</td><td><code>{a.action}</code></td><td>{a.target}</td>
          <td><span className={`badge ${a.result === 'ok' ? 'ok' : 'bad'}`}>{a.result}</span></td><td className="detail"><code>{detail(a.detail)}</code></td></tr>)}</tbody></table></div>
      <div className="pager"><button type="button" disabled={cursors.length === 1} onClick={() => setCursors([null])}>{t('log.first')}</button>
        <button type="button" disabled={cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>{t('log.prev')}</button>
        <button type="button" disabled={!q.data?.next_cursor} onClick={() => setCursors([...cursors, q.data!.next_cursor])}>{t('admin.more')}</button></div>
    </section>
  )
}

// Admin tabs: one line per tab (features add their own page here).
const adminTabs: { key: string; label: string; render: () => ReactNode }[] = [
  { key: 'users', label: 'admin.users', render: () => <Users /> },
  { key: 'keys', label: 'admin.apikeys', render: () => <ApiKeys /> },
  { key: 'settings', label: 'admin.settings', render: () => <Settings /> },
  { key: 'audit', label: 'admin.audit', render: () => <Audit /> },
  { key: 'crm', label: 'crm.title', render: () => <AdminCrm /> },
  { key: 'directory', label: 'directory.title', render: () => <AdminDirectory /> },
  { key: 'softphone', label: 'softphone.admin.title', render: () => <AdminSoftphone /> },
  { key: 'health', label: 'health.title', render: () => <AdminHealth /> },
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
