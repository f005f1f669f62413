import { useTranslation } from 'react-i18next'
import { Moon, Sun, LogOut, Radio, RefreshCw, ServerCrash, Bell, BellRing, BellOff, User as UserIcon } from 'lucide-react'
import { useLive } from '../live/store'
import { languages } from '../i18n'
import { logout, useSession } from './session'
import { useNow } from './Timer'
import { setTheme, useTheme } from './theme'
import { requestNotify, soundsOn, setSounds } from './notify'
import { useState } from 'react'

export type View = 'live' | 'calllog' | 'quality' | 'admin'
// Daily quality is scoped on the server: supervisors see the extensions they supervise.
export const seesQuality = (role?: string) => role === 'admin' || role === 'supervisor'

function ConnState() {
  const { t } = useTranslation()
  const conn = useLive((s) => s.conn)
  const retryAt = useLive((s) => s.retryAt)
  const pbx = useLive((s) => s.pbx.connected)
  const has = useLive((s) => s.hasSnapshot)
  const resync = useLive((s) => s.lastResync)
  const now = useNow()
  if (conn === 'reconnecting') {
    const secs = retryAt ? Math.max(0, Math.ceil((retryAt - now) / 1000)) : 0
    return <span className="conn warn" data-testid="conn-state" data-state="reconnecting" data-resync={resync} role="status"><RefreshCw size={14} aria-hidden /> {t('conn.reconnecting', { seconds: secs })}</span>
  }
  if (conn !== 'live' || !has) return <span className="conn" data-testid="conn-state" data-state="connecting" role="status">{t('conn.connecting')}</span>
  if (!pbx) return <span className="conn bad" data-testid="conn-state" data-state="pbx_down" role="status"><ServerCrash size={14} aria-hidden /> {t('conn.pbx_down')}</span>
  return <span className="conn ok" data-testid="conn-state" data-state="live" role="status"><Radio size={14} aria-hidden /> {t('conn.live')}</span>
}

function NotifyButton() {
  const { t } = useTranslation()
  const [perm, setPerm] = useState(() => (typeof Notification === 'undefined' ? 'denied' : Notification.permission))
  const label = perm === 'granted' ? t('notify.on') : perm === 'denied' ? t('notify.denied') : t('notify.enable')
  const Icon = perm === 'granted' ? BellRing : perm === 'denied' ? BellOff : Bell
  return <button type="button" className="icon-btn" aria-label={label} title={label} data-testid="notify-toggle" aria-pressed={perm === 'granted'}
    onClick={() => void requestNotify().then(() => setPerm(typeof Notification === 'undefined' ? 'denied' : Notification.permission))}><Icon size={16} aria-hidden /></button>
}

export function Header({ view, setView }: { view: View; setView: (v: View) => void }) {
  const { t, i18n } = useTranslation()
  const user = useSession((s) => s.user)
  const theme = useTheme()
  const [sounds, setS] = useState(soundsOn())
  const nav: [View, string][] = [['live', 'nav.live'], ['calllog', 'nav.calllog']]
  if (seesQuality(user?.role)) nav.push(['quality', 'qos.daily_title'])
  if (user?.role === 'admin') nav.push(['admin', 'nav.admin'])
  return (
    <header className="top">
      <strong className="brand">{t('app.title')}</strong>
      <a className="skip" href="#main">{t('header.skip')}</a>
      <nav aria-label={t('header.menu')}>{nav.map(([v, l]) => <button key={v} type="button" aria-current={view === v ? 'page' : undefined} data-testid={`nav-${v}`} onClick={() => setView(v)}>{t(l)}</button>)}</nav>
      <ConnState />
      <span className="spacer" />
      <span className="user" data-testid="current-user" aria-label={user ? t('header.user', { name: user.name || user.username, role: t(`role.${user.role}`, { defaultValue: user.role }) }) : undefined}>
        <UserIcon size={14} aria-hidden /> <span className="user-name">{user?.name || user?.username}</span>{user?.extension ? <small> ({user.extension})</small> : null} <span className="badge">{user ? t(`role.${user.role}`, { defaultValue: user.role }) : ''}</span></span>
      <NotifyButton />
      <label className="check"><input type="checkbox" checked={sounds} onChange={(e) => { setSounds(e.target.checked); setS(e.target.checked) }} />{t('notify.sound')}</label>
      <select aria-label={t('header.language')} value={i18n.language} data-testid="lang-select" onChange={(e) => void i18n.changeLanguage(e.target.value)}>
        {Object.entries(languages).map(([k, v]) => <option key={k} value={k}>{v}</option>)}
      </select>
      <button type="button" className="icon-btn" aria-label={t('header.theme')} title={t('header.theme')} data-testid="theme-toggle" onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')}>
        {theme === 'dark' ? <Sun size={16} aria-hidden /> : <Moon size={16} aria-hidden />}
      </button>
      <button type="button" className="icon-btn" aria-label={t('header.logout')} title={t('header.logout')} data-testid="logout" onClick={logout}><LogOut size={16} aria-hidden /></button>
    </header>
  )
}

export function ReconnectBanner() {
  const { t } = useTranslation()
  const conn = useLive((s) => s.conn)
  const has = useLive((s) => s.hasSnapshot)
  const pbx = useLive((s) => s.pbx.connected)
  if (has && conn === 'reconnecting') return <div className="banner" role="alert" data-testid="reconnect-banner">{t('conn.banner')}</div>
  if (has && conn === 'live' && !pbx) return <div className="banner bad" role="alert" data-testid="pbx-banner">{t('conn.pbx_down_banner')}</div>
  return null
}
