/* The softphone drawer: registration state and errors, DND, dial pad, the calls, the missed
 * list and the device/DTMF settings. The toggle sits in the header area and shows the state;
 * an incoming call opens the drawer by itself (the reducer sets `open`). */
import { useEffect, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { Phone, PhoneIncoming, PhoneMissed, Settings, X, Delete } from 'lucide-react'
import { useSession } from '../ui/session'
import { CallCard, kKeys } from './CallCard'
import { config, currentDevices, dispatch, dtmfMode, setDnd, setDtmfMode, startPhone, stopPhone, usePhone, call, type DtmfMode } from './engine'
import { setDevices } from './incall'
import { listDevices, type Devices } from './media'
import { keyTone } from './tones'

const AUTO_KEY = 'opdesk.softphone.auto'

export function SoftphoneToggle() {
  const { t } = useTranslation()
  const reg = usePhone((s) => s.reg)
  const open = usePhone((s) => s.open)
  const ringing = usePhone((s) => s.calls.some((c) => c.status === 'ringing_in'))
  const missed = usePhone((s) => s.missed.length)
  return (
    <button type="button" className={`sp-toggle sp-reg-${reg}${ringing ? ' sp-ringing' : ''}`} data-testid="sp-toggle" data-state={reg} aria-expanded={open}
      aria-label={t('softphone.title')} title={t(`softphone.reg.${reg}`)} onClick={() => dispatch({ type: 'open', on: !open })}>
      {ringing ? <PhoneIncoming size={16} aria-hidden /> : <Phone size={16} aria-hidden />}
      <span className="sp-dot" aria-hidden />
      {missed > 0 && <span className="sp-badge" data-testid="sp-missed-count">{missed}</span>}
    </button>
  )
}

function ErrorLine() {
  const { t } = useTranslation()
  const error = usePhone((s) => s.error)
  const detail = usePhone((s) => s.detail)
  const retryAt = usePhone((s) => s.retryAt)
  if (!error) return null
  const server = config()?.server ?? ''
  const https = server.replace(/^wss:/, 'https:').replace(/^ws:/, 'http:')
  return (
    <div className="sp-error" role="alert" data-testid="sp-error" data-error={error}>
      <span>{t(`softphone.err.${error}`, { server, detail })}</span>
      {error === 'cert_untrusted' && <a href={https} target="_blank" rel="noreferrer">{t('softphone.open_cert')}</a>}
      {retryAt !== null && <span className="muted" data-testid="sp-retrying"> {t('softphone.retrying')}</span>}
      <button type="button" className="icon-btn" aria-label={t('softphone.dismiss')} onClick={() => dispatch({ type: 'clear_error' })}><X size={12} aria-hidden /></button>
    </div>
  )
}

function DialPad() {
  const { t } = useTranslation()
  const [num, setNum] = useState('')
  const reg = usePhone((s) => s.reg)
  const go = () => { if (num.trim()) { void call(num.trim()); setNum('') } }
  return (
    <form className="sp-dialpad" onSubmit={(e) => { e.preventDefault(); go() }}>
      <div className="sp-number">
        <input value={num} onChange={(e) => setNum(e.target.value)} placeholder={t('softphone.number')} aria-label={t('softphone.number')} data-testid="sp-number" inputMode="tel" autoComplete="off" />
        <button type="button" className="icon-btn" aria-label={t('softphone.backspace')} onClick={() => setNum(num.slice(0, -1))}><Delete size={14} aria-hidden /></button>
      </div>
      <div className="sp-keys">{kKeys.map((k) => <button key={k} type="button" onClick={() => { keyTone(k); setNum(num + k) }}>{k}</button>)}</div>
      <button type="submit" className="sp-green sp-dial" data-testid="sp-call" disabled={reg !== 'registered' || !num.trim()}><Phone size={14} aria-hidden /> {t('softphone.call')}</button>
    </form>
  )
}

function Missed() {
  const { t, i18n } = useTranslation()
  const missed = usePhone((s) => s.missed)
  if (!missed.length) return null
  return (
    <section className="sp-missed" data-testid="sp-missed">
      <h3><PhoneMissed size={14} aria-hidden /> {t('softphone.missed')} <button type="button" className="link" onClick={() => dispatch({ type: 'clear_missed' })}>{t('softphone.clear')}</button></h3>
      <ul>{missed.map((m) => (
        <li key={`${m.id}-${m.at}`} data-peer={m.peer} data-dnd={m.dnd}>
          <button type="button" className="link" title={t('softphone.call_back')} onClick={() => void call(m.peer)}>{m.peerName || m.peer}</button>
          <span className="muted"> {new Date(m.at).toLocaleTimeString(i18n.language)}{m.dnd ? ` · ${t('softphone.dnd')}` : ''}</span>
        </li>))}</ul>
    </section>
  )
}

function SettingsBox() {
  const { t } = useTranslation()
  const [list, setList] = useState<MediaDeviceInfo[]>([])
  const [d, setD] = useState<Devices>(currentDevices())
  const [mode, setMode] = useState<DtmfMode>(dtmfMode())
  useEffect(() => { void listDevices().then(setList) }, [])
  const pick = (k: keyof Devices, kind: MediaDeviceKind, label: string) => (
    <label>{label}
      <select value={d[k]} data-testid={`sp-device-${k}`} onChange={(e) => { const n = { ...d, [k]: e.target.value }; setD(n); void setDevices(n) }}>
        <option value="">{t('softphone.default_device')}</option>
        {list.filter((x) => x.kind === kind).map((x) => <option key={x.deviceId} value={x.deviceId}>{x.label || x.deviceId.slice(0, 8)}</option>)}
      </select>
    </label>)
  return (
    <div className="sp-settings" data-testid="sp-settings">
      {pick('mic', 'audioinput', t('softphone.microphone'))}
      {pick('speaker', 'audiooutput', t('softphone.speaker'))}
      {pick('camera', 'videoinput', t('softphone.camera'))}
      <label>{t('softphone.dtmf_mode')}
        <select value={mode} data-testid="sp-dtmf-mode" onChange={(e) => { const m = e.target.value as DtmfMode; setMode(m); setDtmfMode(m) }}>
          <option value="server">{t('softphone.dtmf_server', { mode: config()?.dtmf ?? 'rfc4733' })}</option>
          <option value="rfc4733">RFC 4733</option>
          <option value="info">SIP INFO</option>
        </select>
      </label>
    </div>
  )
}

export function SoftphonePanel() {
  const { t } = useTranslation()
  const open = usePhone((s) => s.open)
  const reg = usePhone((s) => s.reg)
  const ext = usePhone((s) => s.extension)
  const dnd = usePhone((s) => s.dnd)
  const ids = usePhone((s) => s.calls.map((c) => c.id).join(','))
  const [settings, setSettings] = useState(false)
  const [newCall, setNewCall] = useState(false)
  useEffect(() => { if (!ids) setNewCall(false) }, [ids])
  if (!open) return null
  const running = reg !== 'off' && reg !== 'failed'
  return (
    <aside className="sp-panel" data-testid="sp-panel" aria-label={t('softphone.title')}>
      <div className="sp-head">
        <strong>{t('softphone.title')}</strong>
        {ext && <span className="muted">{ext}</span>}
        <span className={`sp-state sp-reg-${reg}`} data-testid="sp-status" data-state={reg} role="status">{t(`softphone.reg.${reg}`)}</span>
        <span className="spacer" />
        <button type="button" className="icon-btn" aria-label={t('softphone.settings')} aria-pressed={settings} data-testid="sp-settings-toggle" onClick={() => setSettings(!settings)}><Settings size={14} aria-hidden /></button>
        <button type="button" className="icon-btn" aria-label={t('softphone.close')} onClick={() => dispatch({ type: 'open', on: false })}><X size={14} aria-hidden /></button>
      </div>
      <ErrorLine />
      <div className="sp-row">
        <button type="button" data-testid="sp-register" onClick={() => { if (running) { localStorage.setItem(AUTO_KEY, '0'); stopPhone() } else { localStorage.setItem(AUTO_KEY, '1'); void startPhone() } }}>
          {t(running ? 'softphone.unregister' : 'softphone.register')}
        </button>
        <label className="check"><input type="checkbox" checked={dnd} data-testid="sp-dnd" onChange={(e) => setDnd(e.target.checked)} />{t('softphone.dnd')}</label>
      </div>
      {settings && <SettingsBox />}
      {ids && <ul className="sp-calls">{ids.split(',').map((id) => <CallCard key={id} id={id} />)}</ul>}
      {ids && !newCall
        ? <button type="button" className="sp-dial" data-testid="sp-new-call" onClick={() => setNewCall(true)}><Phone size={14} aria-hidden /> {t('softphone.new_call')}</button>
        : <DialPad />}
      <Missed />
    </aside>
  )
}

/** Mounted once by App: starts the phone for users with an extension, stops it on logout. */
export function Softphone() {
  const token = useSession((s) => s.token)
  const ext = useSession((s) => s.user?.extension)
  useEffect(() => {
    if (!token || !ext || localStorage.getItem(AUTO_KEY) === '0') return
    void startPhone()
    return () => stopPhone()
  }, [token, ext])
  return <><SoftphoneToggle /><SoftphonePanel /></>
}
