/* The softphone engine (issue #11): JsSIP user agent, calls and their media, outside React.
 *
 * Flow: startPhone() fetches the caller's own SIP account (GET /api/webrtc/config), lazy-loads
 * JsSIP (a separate chunk, so the panel's first load stays small), registers over SIP-over-
 * WebSocket and turns every JsSIP event into a PhoneEvent for the pure reducer in machine.ts.
 * Each call is a Line (session, peer connection, mic stream, remote stream, audio element);
 * the in-call controls (hold, mute, DTMF, transfers, conference, record, video) are in incall.ts.
 * Transfers: blind = REFER; attended = REFER with Replaces built from the consultation dialog;
 * the receiving side accepts REFER by calling the target, and an INVITE with Replaces is
 * answered at once (it takes over a call the user already accepted). The 3-way conference is
 * a local WebAudio mix (media.ts). JsSIP reconnects its WebSocket with a backoff and registers
 * again on reconnect; a network change forces a fresh REGISTER (or a new UA when the socket is
 * gone). The SIP password lives only in this module's memory and is never logged. */
import { createStore } from 'zustand/vanilla'
import { useStore } from 'zustand'
import type { RTCSession } from 'jssip/lib/RTCSession'
import type { UA, IncomingRTCSessionEvent, OutgoingRTCSessionEvent } from 'jssip/lib/UA'
import { api, ApiError } from '../lib/http'
import { liveStore } from '../live/store'
import i18n from '../i18n'
import { initialPhone, reduce, type PhoneError, type PhoneEvent, type PhoneState } from './machine'
import { hangupTone, startTone, stopTone, toneKind } from './tones'
import { capture, LevelMeter, MediaFailure, readStats, savedDevices, saveDevices, type Devices, type LocalRecorder } from './media'

export interface WebRtcConfig {
  server: string; extension: string; username: string; auth_username: string; password: string
  domain: string; display_name: string; ice_servers: RTCIceServer[]; dtmf: 'rfc4733' | 'info'
}
/** What the server answers for a user without an extension (200, as the upstream product). */
interface NoPhone { extension: null; reason: string; message: string }
export interface LineMedia { audioIn: number; audioOut: number; videoIn: number; remoteLevel: number; micLevel: number; energy: number }
export type DtmfMode = 'server' | 'rfc4733' | 'info'

export const phone = createStore<PhoneState>(() => initialPhone())
export const usePhone = <T,>(sel: (s: PhoneState) => T): T => useStore(phone, sel)
/** Per-call media counters, refreshed every second (apart so the call list re-renders less). */
export const phoneMedia = createStore<Record<string, LineMedia>>(() => ({}))
export const usePhoneMedia = <T,>(sel: (s: Record<string, LineMedia>) => T): T => useStore(phoneMedia, sel)
export function dispatch(e: PhoneEvent) { phone.setState(reduce(phone.getState(), e), true) }

export interface Line {
  id: string; session: RTCSession; pc: RTCPeerConnection | null
  local: MediaStream | null; remote: MediaStream; audio: HTMLAudioElement
  video: MediaStream | null; remoteVideo: MediaStream | null
  timer: number; prev: { lost: number; recv: number }
  meters: { mic: LevelMeter | null; remote: LevelMeter | null }
  recorder: LocalRecorder | null; declined: boolean; notice: Notification | null
}
const lines = new Map<string, Line>()
let ua: UA | null = null
let cfg: WebRtcConfig | null = null
let seq = 0
let everConnected = false
let attempts = 0
let pending: { stream: MediaStream; consultFor: string | null } | null = null
let pendingDial: string | null = null
let devices: Devices = savedDevices()
let sipCauses: Record<string, string> = {}
let generation = 0

export const lineOf = (id: string) => lines.get(id) ?? null
export const allLines = () => [...lines.values()]
/** Run when a call ends, before the reducer hears of it (in-call features clean up here). */
export const lineEndHooks: ((line: Line) => void)[] = []
export const config = () => cfg
export const currentDevices = () => devices
export const storeDevices = (d: Devices) => { devices = d; saveDevices(d) }
const DTMF_KEY = 'opdesk.softphone.dtmf'
export const dtmfMode = (): DtmfMode => (localStorage.getItem(DTMF_KEY) as DtmfMode | null) ?? 'server'
export const setDtmfMode = (m: DtmfMode) => localStorage.setItem(DTMF_KEY, m)
export const fail = (error: PhoneError, detail = '', retryAt: number | null = null) => dispatch({ type: 'failed', error, detail, retryAt })

function configError(e: unknown): PhoneError {
  if (!(e instanceof ApiError)) return 'config_failed'
  if (e.code === 'webrtc.no_extension') return 'no_extension'
  if (e.code === 'webrtc.credentials_not_found') return 'not_provisioned'
  if (e.code === 'webrtc.server_not_configured') return 'not_configured'
  return 'config_failed'
}

/** Fetches the account and registers; safe to call again (no-op while running). */
export async function startPhone(): Promise<void> {
  if (ua || phone.getState().reg === 'loading') return
  const gen = ++generation  // a stopPhone() while this awaits cancels it
  dispatch({ type: 'config_loading' })
  loadMissed()
  try {
    const c = await api<WebRtcConfig | NoPhone>('/api/webrtc/config')
    if (gen !== generation) return
    if (c.extension === null) { fail('no_extension', 'message' in c ? c.message : ''); return }
    cfg = c as WebRtcConfig
  } catch (e) {
    if (gen === generation) fail(configError(e), e instanceof Error ? e.message : '')
    return
  }
  if (!window.isSecureContext) { fail('insecure_context'); return }
  dispatch({ type: 'config_ok', extension: cfg.extension, server: cfg.server })
  loadMissed()
  const mod = await import('jssip')
  if (gen !== generation || ua) return
  const JsSIP = ((mod as unknown as { default?: typeof mod }).default ?? mod) as typeof mod
  sipCauses = JsSIP.C.causes as unknown as Record<string, string>
  everConnected = false
  attempts = 0
  const socket = new JsSIP.WebSocketInterface(cfg.server)
  const agent = new JsSIP.UA({
    sockets: [socket], uri: `sip:${cfg.username}@${cfg.domain}`, authorization_user: cfg.auth_username,
    password: cfg.password, display_name: cfg.display_name, register: true, session_timers: false,
    user_agent: 'OpDesk softphone', connection_recovery_min_interval: 2, connection_recovery_max_interval: 30,
  })
  ua = agent
  wireUa(agent)
  agent.start()
}

function wireUa(agent: UA) {
  agent.on('connecting', () => { if (ua === agent && phone.getState().reg !== 'failed') dispatch({ type: 'connecting' }) })
  agent.on('connected', () => { everConnected = true; attempts = 0; dispatch({ type: 'registering' }) })
  agent.on('disconnected', () => {
    if (ua !== agent) return
    attempts += 1
    const retryAt = Date.now() + Math.min(30, 2 * 2 ** Math.min(attempts - 1, 4)) * 1000
    // The browser does not tell a refused TLS certificate apart from a dead host; before the
    // first successful wss:// connection both are possible, and the message says so.
    const secure = cfg?.server.startsWith('wss://') ?? false
    fail(!everConnected && secure ? 'cert_untrusted' : 'unreachable', cfg?.server ?? '', retryAt)
  })
  agent.on('registered', () => {
    dispatch({ type: 'registered' })
    if (pendingDial) { const n = pendingDial; pendingDial = null; void call(n) }
  })
  // A closed socket also unregisters; the 'disconnected' error (with its retry) stays on screen.
  agent.on('unregistered', () => { if (ua === agent && agent.isConnected()) dispatch({ type: 'unregistered' }) })
  agent.on('registrationFailed', (e) => {
    const code = e.response?.status_code ?? 0
    const auth = code === 401 || code === 403 || code === 407 || e.cause === sipCauses.AUTHENTICATION_ERROR || e.cause === sipCauses.REJECTED
    if (auth) {
      fail('auth_failed', `${code || ''} ${e.cause ?? ''}`.trim())
      ua = null
      agent.stop()  // a wrong password stays wrong: no retry loop against the registrar
      return
    }
    fail('unreachable', String(e.cause ?? code))
  })
  agent.on('newRTCSession', (e: IncomingRTCSessionEvent | OutgoingRTCSessionEvent) => onSession(e))
}

export function stopPhone() {
  generation++
  const agent = ua
  ua = null
  for (const l of lines.values()) { try { l.session.terminate() } catch { /* already ending */ } }
  if (agent) agent.stop()
  stopTone()
  dispatch({ type: 'stopped' })
}

function restart() {
  generation++
  const agent = ua
  ua = null
  agent?.stop()
  dispatch({ type: 'stopped' })
  void startPhone()
}

/** Network changes: refresh the registration, or reconnect when the socket is gone. */
function onNetworkChange() {
  if (!ua) { if (phone.getState().error === 'unreachable' || phone.getState().error === 'cert_untrusted') restart(); return }
  if (ua.isConnected()) ua.register()
  else if (lines.size === 0) restart()
}
if (typeof window !== 'undefined') {
  window.addEventListener('online', onNetworkChange)
  const conn = (navigator as Navigator & { connection?: EventTarget }).connection
  conn?.addEventListener?.('change', onNetworkChange)
}

function peerName(num: string, display: string | undefined): string {
  const ext = liveStore.getState().extensions.get(num)
  return ext?.name || display || ''
}

function newLine(session: RTCSession): Line {
  const audio = document.createElement('audio')
  audio.autoplay = true
  audio.dataset.softphone = 'remote'
  document.body.appendChild(audio)
  if (devices.speaker && 'setSinkId' in audio) void (audio as HTMLAudioElement & { setSinkId(id: string): Promise<void> }).setSinkId(devices.speaker).catch(() => undefined)
  const remote = new MediaStream()
  audio.srcObject = remote
  return { id: `c${++seq}`, session, pc: null, local: null, remote, audio, video: null, remoteVideo: null, timer: 0, prev: { lost: 0, recv: 0 }, meters: { mic: null, remote: null }, recorder: null, declined: false, notice: null }
}

function attachPc(line: Line, pc: RTCPeerConnection) {
  if (line.pc === pc) return
  line.pc = pc
  pc.addEventListener('track', (ev) => {
    if (ev.track.kind === 'audio') {
      line.remote.addTrack(ev.track)
      line.audio.srcObject = line.remote
      void line.audio.play().catch(() => undefined)
    } else {
      line.remoteVideo = new MediaStream([ev.track])
      dispatch({ type: 'remote_video', id: line.id, on: true })
      ev.track.addEventListener('ended', () => dispatch({ type: 'remote_video', id: line.id, on: false }))
    }
  })
  for (const s of pc.getSenders()) hookDtmf(line, s)
}

function hookDtmf(line: Line, s: RTCRtpSender) {
  if (!s.dtmf || (s.dtmf as RTCDTMFSender & { __opdesk?: boolean }).__opdesk) return
  ;(s.dtmf as RTCDTMFSender & { __opdesk?: boolean }).__opdesk = true
  s.dtmf.addEventListener('tonechange', (ev) => { if (ev.tone) dispatch({ type: 'dtmf_out', id: line.id, tone: ev.tone }) })
}

function onSession(e: IncomingRTCSessionEvent | OutgoingRTCSessionEvent) {
  const session = e.session
  const line = newLine(session)
  lines.set(line.id, line)
  const uri = session.remote_identity.uri
  const num = uri.user ?? ''
  const name = peerName(num, session.remote_identity.display_name)
  session.on('peerconnection', (ev) => attachPc(line, ev.peerconnection))
  if (session.connection) attachPc(line, session.connection)
  session.on('progress', () => {
    if (session.direction === 'outgoing') { dispatch({ type: 'progress', id: line.id }); startTone('ringback') }
  })
  session.on('accepted', () => answered(line))
  session.on('confirmed', () => answered(line))
  session.on('ended', () => cleanup(line))
  session.on('failed', () => cleanup(line))
  session.on('hold', (ev) => dispatch({ type: ev.originator === 'local' ? 'hold' : 'remote_hold', id: line.id, held: true }))
  session.on('unhold', (ev) => dispatch({ type: ev.originator === 'local' ? 'hold' : 'remote_hold', id: line.id, held: false }))
  session.on('newDTMF', (ev: { originator: string; dtmf: { tone: string | number } }) => dispatch({ type: ev.originator === 'remote' ? 'dtmf_in' : 'dtmf_out', id: line.id, tone: String(ev.dtmf.tone) }))
  session.on('refer', (ev) => {
    // The other side transfers us: call the target with the same microphone.
    // accept() emits the new outgoing session synchronously; `pending` hands it the stream.
    if (line.local) pending = { stream: line.local, consultFor: null }
    ev.accept(() => undefined, { mediaStream: line.local ?? undefined, pcConfig: { iceServers: cfg?.ice_servers ?? [] } })
    pending = null
  })
  session.on('replaces', (ev) => ev.accept(() => undefined))
  if (e.originator === 'local') {
    line.local = pending?.stream ?? null
    dispatch({ type: 'outgoing', id: line.id, peer: num, peerName: name, at: Date.now(), consultFor: pending?.consultFor ?? null })
    pending = null
    return
  }
  const req = (e as IncomingRTCSessionEvent).request
  dispatch({ type: 'incoming', id: line.id, peer: num, peerName: name, at: Date.now() })
  if (req.hasHeader('replaces')) { void answer(line.id); return }  // attended transfer arriving
  if (phone.getState().dnd) {
    line.declined = true
    session.terminate({ status_code: 486, reason_phrase: 'Do Not Disturb' })
    return
  }
  startTone([...lines.values()].some((l) => l !== line && l.session.isEstablished()) ? 'waiting' : 'ring')
  void callerName(num, name).then((n) => {
    if (n && n !== name) dispatch({ type: 'peer_name', id: line.id, name: n })
    if (lines.has(line.id) && !line.session.isEstablished()) line.notice = notify(line, n || num, num)
  })
}

/** The directory name, else the CRM/contacts lookup (waited for briefly: the phone rings meanwhile). */
async function callerName(num: string, known: string): Promise<string> {
  if (known || !/^\+?[0-9]{3,20}$/.test(num)) return known
  const lookup = api<{ name: string | null }>(`/api/crm/lookup?number=${encodeURIComponent(num)}`).then((r) => r.name ?? '', () => '')
  const timeout = new Promise<string>((res) => setTimeout(() => res(''), 1500))
  return Promise.race([lookup, timeout])
}

function notify(line: Line, title: string, num: string): Notification | null {
  if (!('Notification' in window) || Notification.permission !== 'granted') return null
  try {
    const n = new Notification(i18n.t('softphone.incoming_title', { name: title }), { body: num, tag: `opdesk-call-${line.id}`, requireInteraction: true })
    n.onclick = () => { window.focus(); dispatch({ type: 'open', on: true }); dispatch({ type: 'focus', id: line.id }) }
    return n
  } catch { return null }
}

function answered(line: Line) {
  const s = phone.getState().calls.find((c) => c.id === line.id)
  if (s?.status === 'active') return
  dispatch({ type: 'answered', id: line.id, at: Date.now() })
  line.notice?.close()
  if (!phone.getState().calls.some((c) => c.status === 'ringing_in' || c.status === 'ringing_out')) stopTone()
  else if (toneKind() === 'ringback' && !phone.getState().calls.some((c) => c.status === 'ringing_out')) stopTone()
  if (!line.local && line.pc) {
    const t = line.pc.getSenders().map((x) => x.track).filter((x): x is MediaStreamTrack => !!x && x.kind === 'audio')
    if (t.length) line.local = new MediaStream(t)
  }
  if (line.pc) for (const s of line.pc.getSenders()) hookDtmf(line, s)
  try { if (line.local) line.meters.mic = new LevelMeter(line.local) } catch { /* no WebAudio */ }
  try { if (line.remote.getAudioTracks().length) line.meters.remote = new LevelMeter(line.remote) } catch { /* no WebAudio */ }
  line.timer = window.setInterval(() => void sample(line), 1000)
}

async function sample(line: Line) {
  if (!line.pc) return
  const st = await readStats(line.pc, line.prev)
  const micLevel = line.meters.mic?.level() ?? 0
  const remoteLevel = Math.max(line.meters.remote?.level() ?? 0, st.level)
  phoneMedia.setState({ [line.id]: { audioIn: st.audioIn, audioOut: st.audioOut, videoIn: st.videoIn, remoteLevel, micLevel, energy: st.energy } })
  const q = phone.getState().calls.find((c) => c.id === line.id)?.quality
  if (!q || q.grade !== st.quality.grade || q.rtt !== st.quality.rtt || q.jitter !== st.quality.jitter || q.loss !== st.quality.loss) {
    dispatch({ type: 'quality', id: line.id, quality: st.quality })
  }
}

function cleanup(line: Line) {
  if (!lines.has(line.id)) return
  lines.delete(line.id)
  window.clearInterval(line.timer)
  line.meters.mic?.close(); line.meters.remote?.close()
  line.notice?.close()
  for (const h of lineEndHooks) h(line)
  const inUse = new Set([...lines.values()].flatMap((l) => l.local?.getTracks().map((t) => t.id) ?? []))
  for (const t of line.local?.getTracks() ?? []) if (!inUse.has(t.id)) t.stop()
  for (const t of line.video?.getTracks() ?? []) t.stop()
  line.audio.srcObject = null
  line.audio.remove()
  const was = phone.getState().calls.find((c) => c.id === line.id)
  dispatch({ type: 'ended', id: line.id, at: Date.now(), declined: line.declined })
  phoneMedia.setState((m) => { const n = { ...m }; delete n[line.id]; return n }, true)
  const left = phone.getState().calls
  if (!left.some((c) => c.status === 'ringing_in')) { if (toneKind() !== 'ringback' || !left.some((c) => c.status === 'ringing_out')) stopTone() }
  if (was && was.status === 'active') hangupTone()
}

export function download(blob: Blob) {
  const a = document.createElement('a')
  a.href = URL.createObjectURL(blob)
  a.download = `call-${new Date().toISOString().replace(/[:.]/g, '-')}.webm`
  a.click()
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000)
}

export async function micStream(): Promise<MediaStream | null> {
  try { return await capture('audio', devices.mic) } catch (e) {
    fail(e instanceof MediaFailure ? e.code : 'mic_missing', e instanceof Error ? e.message : '')
    return null
  }
}

export function holdOthers(except: string | null) {
  for (const l of lines.values()) {
    const c = phone.getState().calls.find((x) => x.id === l.id)
    if (l.id !== except && c?.status === 'active' && !c.held && !c.conference) l.session.hold()
  }
}

export const target = (num: string) => (num.startsWith('sip:') ? num : num.includes('@') ? `sip:${num}` : `sip:${num}@${cfg?.domain ?? ''}`)
export const clean = (num: string) => num.replace(/[\s().-]/g, '')

/** Places a call (from the dial pad, the extensions grid or the call log). */
export async function call(number: string, consultFor: string | null = null): Promise<string | null> {
  const num = clean(number)
  if (!/^[A-Za-z0-9*#+_.@:]{1,64}$/.test(num)) { fail('call_failed', number); return null }
  if (!ua || !ua.isRegistered()) { pendingDial = num; dispatch({ type: 'open', on: true }); void startPhone(); return null }
  const stream = await micStream()
  if (!stream) return null
  holdOthers(null)  // a new call (or a consultation) puts the current ones on hold
  pending = { stream, consultFor }
  try {
    ua.call(target(num), { mediaStream: stream, pcConfig: { iceServers: cfg?.ice_servers ?? [] } })
  } catch (e) {
    pending = null
    stream.getTracks().forEach((t) => t.stop())
    fail('call_failed', e instanceof Error ? e.message : String(e))
    return null
  }
  return [...lines.keys()].pop() ?? null
}

/** What other screens call: opens the softphone and dials. */
export function dial(number: string) { dispatch({ type: 'open', on: true }); void call(number) }

export async function answer(id: string) {
  const line = lines.get(id)
  if (!line) return
  const stream = await micStream()
  if (!stream) return
  holdOthers(id)
  line.local = stream
  stopTone()
  line.session.answer({ mediaStream: stream, pcConfig: { iceServers: cfg?.ice_servers ?? [] } })
}

export function decline(id: string) {
  const line = lines.get(id)
  if (!line) return
  line.declined = true
  line.session.terminate({ status_code: 603, reason_phrase: 'Decline' })
}

export function hangup(id: string) { lines.get(id)?.session.terminate() }

export function setDnd(on: boolean) { dispatch({ type: 'dnd', on }); localStorage.setItem('opdesk.softphone.dnd', on ? '1' : '0') }

const missedKey = () => `opdesk.softphone.missed.${cfg?.extension ?? ''}`
function loadMissed() {
  if (localStorage.getItem('opdesk.softphone.dnd') === '1' && !phone.getState().dnd) dispatch({ type: 'dnd', on: true })
  if (!cfg) return
  try { dispatch({ type: 'missed_loaded', missed: JSON.parse(localStorage.getItem(missedKey()) ?? '[]') }) } catch { /* corrupt: start empty */ }
}
phone.subscribe((s, prev) => { if (cfg && s.missed !== prev.missed) localStorage.setItem(missedKey(), JSON.stringify(s.missed)) })
