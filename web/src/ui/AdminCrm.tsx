/* Admin "CRM" page (issue #9): connector settings with the fields of the chosen auth mode, a Test
 * button that shows the receiver's real answer, and the delivery log (filter, search, pages,
 * resend selected). REST through TanStack Query; secrets come back as "***" and are sent back
 * unchanged unless the admin types a new value (the server keeps the stored one for "***"). */
import { useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, qs } from '../lib/http'
import { toast } from './session'

export type AuthType = 'api_key' | 'basic_auth' | 'bearer_token' | 'oauth2' | 'none'
export interface CrmSettings {
  enabled: boolean; server_url: string; endpoint_path: string; auth_type: AuthType; timeout: number
  verify_ssl: boolean; allow_private: boolean; api_key: string; api_key_header: string; username: string
  password: string; bearer_token: string; oauth2_client_id: string; oauth2_client_secret: string
  oauth2_token_url: string; oauth2_scope: string; signing_secret: string; sync_method: string
  sync_duration_format: string; sync_dir_inbound: boolean; sync_dir_outbound: boolean; sync_dir_internal: boolean
  push_ringing: boolean; push_answered: boolean; sync_fields: string[]; recording_base_url: string
  lookup_enabled: boolean; lookup_url: string; lookup_name_template: string; retention_days: number
  field_catalog?: string[]
}
export interface TestReport { success: boolean; status_code: number | null; body: string; latency_ms: number; error: string | null; url: string }
export interface Delivery { id: number; call_id: string; event: string; status: string; attempts: number; status_code: number | null; latency_ms: number; error: string | null; response_excerpt: string; updated_at: number }
interface DeliveryPage { items: Delivery[]; next_cursor: number | null }

/** Which credential fields each auth mode needs (shown in the form, required by the server). */
export const authFields: Record<AuthType, (keyof CrmSettings)[]> = {
  api_key: ['api_key', 'api_key_header'],
  basic_auth: ['username', 'password'],
  bearer_token: ['bearer_token'],
  oauth2: ['oauth2_client_id', 'oauth2_client_secret', 'oauth2_token_url', 'oauth2_scope'],
  none: [],
}
const secretFields = new Set<keyof CrmSettings>(['api_key', 'password', 'bearer_token', 'oauth2_client_secret', 'signing_secret'])
const boolFields: (keyof CrmSettings)[] = ['verify_ssl', 'allow_private', 'sync_dir_inbound', 'sync_dir_outbound', 'sync_dir_internal', 'push_ringing', 'push_answered', 'lookup_enabled']

/** The body PUT /api/settings/crm receives: the read-only catalogue is not sent back. */
export function settingsBody(f: CrmSettings): Record<string, unknown> {
  const { field_catalog: _catalog, ...rest } = f
  return rest
}

function Settings() {
  const { t } = useTranslation()
  const qc = useQueryClient()
  const q = useQuery({ queryKey: ['crm-settings'], queryFn: () => api<CrmSettings>('/api/settings/crm') })
  const [form, setForm] = useState<CrmSettings | null>(null)
  const [report, setReport] = useState<TestReport | null>(null)
  const f = form ?? q.data ?? null
  const save = useMutation({
    mutationFn: (body: Record<string, unknown>) => api<CrmSettings>('/api/settings/crm', { method: 'PUT', body: JSON.stringify(body) }),
    onSuccess: (saved) => { toast(true, t('crm.saved')); setForm(null); qc.setQueryData(['crm-settings'], saved) },
    onError: (e: Error) => toast(false, t('admin.error', { message: e.message })),
  })
  const test = useMutation({
    mutationFn: (body: Record<string, unknown>) => api<TestReport>('/api/settings/crm/test', { method: 'POST', body: JSON.stringify(body) }),
    onSuccess: (r) => setReport(r),
    onError: (e: Error) => setReport({ success: false, status_code: null, body: '', latency_ms: 0, error: e.message, url: '' }),
  })
  if (!f) return <p className="muted">{q.isError ? t('admin.error', { message: String(q.error) }) : t('log.loading')}</p>
  const set = (k: keyof CrmSettings, v: unknown) => setForm({ ...f, [k]: v } as CrmSettings)
  const text = (k: keyof CrmSettings, type = 'text') => (
    <label key={k}>{t(`crm.f.${k}`)}<input type={secretFields.has(k) ? 'password' : type} autoComplete="off" data-testid={`crm-${k}`}
      value={String(f[k] ?? '')} onChange={(e) => set(k, type === 'number' ? Number(e.target.value) : e.target.value)} /></label>)
  const submit = (e: FormEvent) => { e.preventDefault(); save.mutate(settingsBody(f)) }
  return (
    <form className="card crm-settings" onSubmit={submit} data-testid="crm-form">
      <label className="check"><input type="checkbox" checked={f.enabled} data-testid="crm-enabled" onChange={(e) => set('enabled', e.target.checked)} />{t('crm.f.enabled')}</label>
      {text('server_url')}{text('endpoint_path')}
      <label>{t('crm.f.auth_type')}<select value={f.auth_type} data-testid="crm-auth_type" onChange={(e) => set('auth_type', e.target.value)}>
        {(Object.keys(authFields) as AuthType[]).map((a) => <option key={a} value={a}>{t(`crm.auth.${a}`)}</option>)}</select></label>
      <fieldset data-testid="crm-auth-fields"><legend>{t(`crm.auth.${f.auth_type}`)}</legend>{authFields[f.auth_type].map((k) => text(k))}</fieldset>
      {text('signing_secret')}{text('timeout', 'number')}{text('retention_days', 'number')}{text('recording_base_url')}
      <label>{t('crm.f.sync_method')}<select value={f.sync_method} onChange={(e) => set('sync_method', e.target.value)}>{['POST', 'PUT'].map((m) => <option key={m}>{m}</option>)}</select></label>
      <label>{t('crm.f.sync_duration_format')}<select value={f.sync_duration_format} onChange={(e) => set('sync_duration_format', e.target.value)}>
        <option value="hms">{t('crm.hms')}</option><option value="seconds">{t('crm.seconds')}</option></select></label>
      <label>{t('crm.f.sync_fields')}<input data-testid="crm-sync_fields" value={f.sync_fields.join(', ')} placeholder={(f.field_catalog ?? []).join(', ')}
        onChange={(e) => set('sync_fields', e.target.value.split(',').map((s) => s.trim()).filter(Boolean))} /></label>
      <fieldset><legend>{t('crm.options')}</legend>{boolFields.map((k) => (
        <label key={k} className="check"><input type="checkbox" checked={Boolean(f[k])} data-testid={`crm-${k}`} onChange={(e) => set(k, e.target.checked)} />{t(`crm.f.${k}`)}</label>))}</fieldset>
      {f.lookup_enabled && <>{text('lookup_url')}{text('lookup_name_template')}</>}
      <div className="row">
        <button type="submit" disabled={save.isPending} data-testid="crm-save">{t('admin.save')}</button>
        <button type="button" disabled={test.isPending} data-testid="crm-test" onClick={() => test.mutate(settingsBody(f))}>{t('crm.test')}</button>
      </div>
      {report && <TestResult r={report} />}
    </form>
  )
}

export function TestResult({ r }: { r: TestReport }) {
  const { t } = useTranslation()
  return (
    <div className={`card crm-test ${r.success ? 'ok' : 'bad'}`} role="status" data-testid="crm-test-result">
      <strong>{r.success ? t('crm.test_ok') : t('crm.test_failed')}</strong>
      <p>{t('crm.test_status', { status: r.status_code ?? '—', ms: r.latency_ms })}</p>
      {r.error && <p>{r.error}</p>}
      {r.body && <pre data-testid="crm-test-body">{r.body}</pre>}
    </div>
  )
}

export function Deliveries() {
  const { t } = useTranslation()
  const qc = useQueryClient()
  const [status, setStatus] = useState('')
  const [search, setSearch] = useState('')
  const [cursors, setCursors] = useState<number[]>([])
  const [selected, setSelected] = useState<number[]>([])
  const cursor = cursors[cursors.length - 1] ?? 0
  const q = useQuery({
    queryKey: ['crm-deliveries', status, search, cursor],
    queryFn: () => api<DeliveryPage>(`/api/crm/deliveries?${qs({ status, q: search, cursor: cursor || undefined, limit: 50 })}`),
    placeholderData: keepPreviousData,
  })
  const resend = useMutation({
    mutationFn: (ids: number[]) => api<{ resent: number }>('/api/crm/deliveries/resend', { method: 'POST', body: JSON.stringify({ ids }) }),
    onSuccess: (r) => { toast(true, t('crm.resent', { count: r.resent })); setSelected([]); void qc.invalidateQueries({ queryKey: ['crm-deliveries'] }) },
    onError: (e: Error) => toast(false, t('admin.error', { message: e.message })),
  })
  const rows = q.data?.items ?? []
  const toggle = (id: number, on: boolean) => setSelected(on ? [...selected, id] : selected.filter((x) => x !== id))
  return (
    <section className="card crm-log" data-testid="crm-log">
      <h3>{t('crm.log')}</h3>
      <div className="row">
        <select aria-label={t('crm.status')} value={status} data-testid="crm-log-status" onChange={(e) => { setStatus(e.target.value); setCursors([]) }}>
          <option value="">{t('log.any')}</option>
          {['pending', 'delivered', 'failed'].map((s) => <option key={s} value={s}>{t(`crm.st.${s}`)}</option>)}</select>
        <input type="search" aria-label={t('crm.search')} placeholder={t('crm.search')} value={search} data-testid="crm-log-search"
          onChange={(e) => { setSearch(e.target.value); setCursors([]) }} />
        <button type="button" disabled={selected.length === 0 || resend.isPending} data-testid="crm-resend" onClick={() => resend.mutate(selected)}>
          {t('crm.resend', { count: selected.length })}</button>
      </div>
      <table><thead><tr><th /><th>{t('crm.call')}</th><th>{t('crm.event')}</th><th>{t('crm.status')}</th><th>{t('crm.attempts')}</th>
        <th>{t('crm.code')}</th><th>{t('crm.latency')}</th><th>{t('admin.last_error')}</th></tr></thead>
        <tbody>{rows.map((d) => (
          <tr key={d.id} data-testid={`crm-row-${d.id}`} className={`st-${d.status}`}>
            <td><input type="checkbox" aria-label={t('crm.select', { id: d.id })} checked={selected.includes(d.id)} onChange={(e) => toggle(d.id, e.target.checked)} /></td>
            <td>{d.call_id}</td><td>{d.event}</td><td>{t(`crm.st.${d.status}`)}</td><td>{d.attempts}</td>
            <td>{d.status_code ?? '—'}</td><td>{d.latency_ms} ms</td><td title={d.response_excerpt}>{d.error ?? ''}</td>
          </tr>))}</tbody></table>
      {rows.length === 0 && <p className="muted">{t('crm.empty')}</p>}
      <div className="row">
        <button type="button" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>{t('log.prev')}</button>
        <button type="button" disabled={!q.data?.next_cursor} data-testid="crm-log-more" onClick={() => q.data?.next_cursor && setCursors([...cursors, q.data.next_cursor])}>{t('log.more')}</button>
      </div>
    </section>
  )
}

export function AdminCrm() {
  return <div className="admin-crm"><Settings /><Deliveries /></div>
}
