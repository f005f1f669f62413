import { useEffect, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { Login } from './ui/Login'
import { Header, ReconnectBanner, seesQuality, type View } from './ui/Header'
import { Extensions } from './ui/Extensions'
import { Calls } from './ui/Calls'
import { Queues, ParkingAndConferences } from './ui/Queues'
import { CallLog } from './ui/CallLog'
import { Admin } from './ui/Admin'
import { QosDaily } from './ui/QosDaily'
import { session, startLive, useSession } from './ui/session'
import { startNotifier } from './ui/notify'
import { useLive } from './live/store'
import { Softphone } from './softphone'
import { DialogHost } from './ui/Dialog'

function Toasts() {
  const toasts = useSession((s) => s.toasts)
  return <div className="toasts" aria-live="polite">{toasts.map((t) => <div key={t.id} className={`toast ${t.ok ? 'ok' : 'bad'}`} data-testid={t.ok ? 'toast-ok' : 'toast-error'} role={t.ok ? 'status' : 'alert'}>{t.text}</div>)}</div>
}

function Live() {
  const { t } = useTranslation()
  const has = useLive((s) => s.hasSnapshot)
  if (!has) return <p className="muted center">{t('conn.connecting')}</p>
  return (
    <div className="live">
      <Extensions />
      <aside className="side"><Calls /><Queues /><ParkingAndConferences /></aside>
    </div>
  )
}

export function App() {
  const token = useSession((s) => s.token)
  const role = useSession((s) => s.user?.role)
  const [view, setView] = useState<View>('live')
  useEffect(() => { if (token && !session.getState().user) startLive(token, null) }, [token])
  useEffect(() => (token ? startNotifier() : undefined), [token])
  if (!token) return <><Login onLogin={(tok, user) => { setView('live'); startLive(tok, user) }} /><Toasts /></>
  return (
    <div className="app">
      <Header view={view} setView={setView} />
      <Softphone />
      <ReconnectBanner />
      <main id="main" tabIndex={-1}>
        {view === 'live' && <Live />}
        {view === 'calllog' && <CallLog />}
        {view === 'quality' && seesQuality(role) && <QosDaily />}
        {view === 'admin' && role === 'admin' && <Admin />}
      </main>
      <Toasts />
      <DialogHost />
    </div>
  )
}
