/* One call in the softphone: status, timer, quality, level meters, video and the in-call
 * controls (hold, mute, keypad, transfers, conference, record, video). Reads one call by id
 * from the phone store, so a change to another call does not re-render it. */
import { useEffect, useRef, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { Phone, PhoneOff, Pause, Play, Mic, MicOff, Grid3x3, ArrowRightLeft, Users, Circle, Video, VideoOff, Check, X } from 'lucide-react'
import { useNow } from '../ui/Timer'
import type { PhoneCall } from './machine'
import { usePhone, usePhoneMedia, lineOf, answer, decline, hangup } from './engine'
import { toggleHold, toggleMute, sendDtmf, blindTransfer, consult, completeTransfer, cancelConsult, conference, endConference, toggleRecord, toggleVideo } from './incall'

const fmt = (ms: number) => { const s = Math.max(0, Math.floor(ms / 1000)); return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}` }
export const kKeys = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#']

function Meter({ value, label, testid }: { value: number; label: string; testid: string }) {
  return <span className="sp-meter" title={label} aria-label={label} data-testid={testid} data-level={value.toFixed(3)}><span style={{ width: `${Math.round(Math.min(1, value) * 100)}%` }} /></span>
}

function VideoView({ id, remote }: { id: string; remote: boolean }) {
  const ref = useRef<HTMLVideoElement>(null)
  const on = usePhone((s) => s.calls.find((c) => c.id === id)?.[remote ? 'remoteVideo' : 'video'] ?? false)
  useEffect(() => {
    const l = lineOf(id)
    if (ref.current) ref.current.srcObject = (remote ? l?.remoteVideo : l?.video) ?? null
  }, [id, remote, on])
  if (!on) return null
  return <video ref={ref} autoPlay playsInline muted={!remote} className={remote ? 'sp-video' : 'sp-preview'} data-testid={remote ? 'sp-remote-video' : 'sp-local-video'} />
}

function Transfer({ c }: { c: PhoneCall }) {
  const { t } = useTranslation()
  const [to, setTo] = useState('')
  return (
    <form className="sp-transfer" onSubmit={(e) => e.preventDefault()}>
      <input value={to} onChange={(e) => setTo(e.target.value)} placeholder={t('softphone.transfer_to')} aria-label={t('softphone.transfer_to')} data-testid="sp-transfer-number" inputMode="tel" />
      <button type="button" disabled={!to} data-testid="sp-blind" onClick={() => blindTransfer(c.id, to)}>{t('softphone.blind')}</button>
      <button type="button" disabled={!to} data-testid="sp-consult" onClick={() => void consult(c.id, to)}>{t('softphone.consult')}</button>
    </form>
  )
}

export function CallCard({ id }: { id: string }) {
  const { t } = useTranslation()
  const c = usePhone((s) => s.calls.find((x) => x.id === id))
  const others = usePhone((s) => s.calls.filter((x) => x.id !== id && x.status === 'active').map((x) => x.id).join(','))
  const media = usePhoneMedia((m) => m[id])
  const now = useNow()
  const [pad, setPad] = useState(false)
  const [xfer, setXfer] = useState(false)
  if (!c) return null
  const active = c.status === 'active'
  const q = c.quality
  return (
    <li className={`sp-call sp-${c.status}`} data-testid={`sp-call-${c.status}`} data-id={c.id} data-peer={c.peer} data-status={c.status}
      data-held={c.held} data-remote-held={c.remoteHeld} data-muted={c.muted} data-conference={c.conference} data-consult={c.consultFor ?? ''}
      data-dtmf-in={c.dtmfIn} data-dtmf-out={c.dtmfOut} data-rx={media?.audioIn ?? 0} data-tx={media?.audioOut ?? 0} data-video-rx={media?.videoIn ?? 0}
      data-level={(media?.remoteLevel ?? 0).toFixed(3)} data-energy={(media?.energy ?? 0).toFixed(6)} data-recording={c.recording}>
      <div className="sp-call-head">
        <strong className="sp-peer">{c.peerName || c.peer}</strong>
        {c.peerName && <span className="muted">{c.peer}</span>}
        <span className="spacer" />
        {active && c.answeredAt !== null && <span className="timer" data-testid="sp-timer">{fmt(now - c.answeredAt)}</span>}
      </div>
      <div className="sp-call-state">
        <span data-testid="sp-call-status">{t(`softphone.status.${c.status}`)}</span>
        {c.held && <span className="badge warn">{t('softphone.on_hold')}</span>}
        {c.remoteHeld && <span className="badge warn" data-testid="sp-remote-held">{t('softphone.remote_hold')}</span>}
        {c.muted && <span className="badge">{t('softphone.muted')}</span>}
        {c.conference && <span className="badge spy">{t('softphone.in_conference')}</span>}
        {c.consultFor && <span className="badge">{t('softphone.consulting')}</span>}
        {c.recording !== 'off' && <span className="badge rec" data-testid="sp-recording">● {t(`softphone.rec_${c.recording}`)}</span>}
        {q && active && <span className={`badge sp-q-${q.grade}`} data-testid="sp-quality" data-grade={q.grade} title={t('softphone.quality_detail', { rtt: q.rtt ?? '–', jitter: q.jitter ?? '–', loss: q.loss })}>{t(`softphone.q_${q.grade}`)}</span>}
      </div>
      {active && <div className="sp-meters"><Meter value={media?.micLevel ?? 0} label={t('softphone.mic_level')} testid="sp-mic-level" /><Meter value={media?.remoteLevel ?? 0} label={t('softphone.remote_level')} testid="sp-remote-level" /></div>}
      {active && (c.dtmfIn || c.dtmfOut) && <div className="sp-dtmf muted">{c.dtmfOut && <span>{t('softphone.dtmf_sent')}: <code data-testid="sp-dtmf-out">{c.dtmfOut}</code></span>} {c.dtmfIn && <span>{t('softphone.dtmf_received')}: <code data-testid="sp-dtmf-in">{c.dtmfIn}</code></span>}</div>}
      <VideoView id={id} remote /><VideoView id={id} remote={false} />
      <div className="sp-buttons">
        {c.status === 'ringing_in' && <>
          <button type="button" className="sp-green" data-testid="sp-answer" onClick={() => void answer(id)}><Phone size={14} aria-hidden /> {t('softphone.answer')}</button>
          <button type="button" className="sp-red" data-testid="sp-decline" onClick={() => decline(id)}><PhoneOff size={14} aria-hidden /> {t('softphone.decline')}</button>
        </>}
        {active && <>
          <button type="button" data-testid="sp-hold" aria-pressed={c.held} onClick={() => toggleHold(id)}>{c.held ? <Play size={14} aria-hidden /> : <Pause size={14} aria-hidden />} {t(c.held ? 'softphone.resume' : 'softphone.hold')}</button>
          <button type="button" data-testid="sp-mute" aria-pressed={c.muted} onClick={() => toggleMute(id)}>{c.muted ? <MicOff size={14} aria-hidden /> : <Mic size={14} aria-hidden />} {t(c.muted ? 'softphone.unmute' : 'softphone.mute')}</button>
          <button type="button" data-testid="sp-keypad" aria-pressed={pad} onClick={() => setPad(!pad)}><Grid3x3 size={14} aria-hidden /> {t('softphone.keypad')}</button>
          {!c.consultFor && <button type="button" data-testid="sp-transfer" aria-pressed={xfer} onClick={() => setXfer(!xfer)}><ArrowRightLeft size={14} aria-hidden /> {t('softphone.transfer')}</button>}
          {c.consultFor && <>
            <button type="button" data-testid="sp-complete" onClick={() => completeTransfer(id)}><Check size={14} aria-hidden /> {t('softphone.complete_transfer')}</button>
            <button type="button" data-testid="sp-cancel-consult" onClick={() => cancelConsult(id)}><X size={14} aria-hidden /> {t('softphone.cancel_transfer')}</button>
          </>}
          {!c.conference && others && <button type="button" data-testid="sp-conference" onClick={() => conference([id, ...others.split(',')])}><Users size={14} aria-hidden /> {t('softphone.conference')}</button>}
          {c.conference && <button type="button" data-testid="sp-split" onClick={() => endConference()}><Users size={14} aria-hidden /> {t('softphone.split')}</button>}
          <button type="button" data-testid="sp-record" aria-pressed={c.recording !== 'off'} onClick={() => void toggleRecord(id)}><Circle size={14} aria-hidden /> {t(c.recording === 'off' ? 'softphone.record' : 'softphone.stop_record')}</button>
          <button type="button" data-testid="sp-video" aria-pressed={c.video} onClick={() => void toggleVideo(id)}>{c.video ? <VideoOff size={14} aria-hidden /> : <Video size={14} aria-hidden />} {t(c.video ? 'softphone.video_off' : 'softphone.video_on')}</button>
        </>}
        {c.status !== 'ringing_in' && <button type="button" className="sp-red" data-testid="sp-hangup" onClick={() => hangup(id)}><PhoneOff size={14} aria-hidden /> {t('softphone.hangup')}</button>}
      </div>
      {active && pad && <div className="sp-keys" role="group" aria-label={t('softphone.keypad')}>{kKeys.map((k) => <button key={k} type="button" data-testid={`sp-dtmf-${k === '*' ? 'star' : k === '#' ? 'hash' : k}`} onClick={() => sendDtmf(id, k)}>{k}</button>)}</div>}
      {active && xfer && !c.consultFor && <Transfer c={c} />}
    </li>
  )
}
