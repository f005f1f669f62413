import { useState, type FormEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { LogIn } from 'lucide-react'
import { ApiError, login } from '../lib/http'
import type { User } from '../live/protocol'

export function loginErrorText(e: unknown, t: (k: string, o?: Record<string, unknown>) => string): string {
  if (e instanceof ApiError) {
    if (e.status === 0) return t('login.unreachable')
    if (e.status === 401) return t('login.invalid')
    if (e.status === 429) return t('login.locked', { seconds: e.retryAfter ?? 60 })
    if (e.status >= 502 && e.status <= 504) return t('login.unreachable')
    return t('login.failed', { message: e.message })
  }
  return t('login.unreachable')
}

export function Login({ onLogin }: { onLogin: (token: string, user: User) => void }) {
  const { t } = useTranslation()
  const [name, setName] = useState('')
  const [pw, setPw] = useState('')
  const [err, setErr] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  async function submit(e: FormEvent) {
    e.preventDefault(); setBusy(true); setErr(null)
    try { const r = await login(name.trim(), pw); onLogin(r.access_token, r.user) }
    catch (ex) { setErr(loginErrorText(ex, t)) }
    finally { setBusy(false) }
  }
  return (
    <main className="login">
      <form onSubmit={submit} className="card login-card" aria-labelledby="login-title">
        <h1 id="login-title">{t('login.title')}</h1>
        <label>{t('login.login')}
          <input data-testid="login-user" autoComplete="username" value={name} onChange={(e) => setName(e.target.value)} required autoFocus />
        </label>
        <label>{t('login.password')}
          <input data-testid="login-password" type="password" autoComplete="current-password" value={pw} onChange={(e) => setPw(e.target.value)} required />
        </label>
        {err && <p role="alert" className="error" data-testid="login-error">{err}</p>}
        <button type="submit" className="primary" disabled={busy} data-testid="login-submit"><LogIn size={16} aria-hidden /> {t('login.submit')}</button>
      </form>
    </main>
  )
}
