/* Softphone state machine (issue #11): a pure reducer over registration, calls, DND and the
 * missed-call list. The SIP engine (engine.ts) turns JsSIP events into these events and keeps
 * the media; this file knows nothing of SIP, WebRTC or React, so Vitest drives it directly.
 * Invariants: an event for an unknown call id, or one that does not fit the call's status
 * (answering a call that is already active, holding a ringing call), returns the same state
 * object; `focus` always names an existing call or is null; the missed list is capped. */

export type RegState = 'off' | 'loading' | 'connecting' | 'registering' | 'registered' | 'failed'
/** Stable error codes the UI turns into messages (softphone.err.<code>). */
export type PhoneError =
  | 'no_extension' | 'not_provisioned' | 'not_configured' | 'config_failed'
  | 'auth_failed' | 'unreachable' | 'cert_untrusted' | 'insecure_context'
  | 'mic_denied' | 'mic_missing' | 'call_failed' | 'transfer_failed'
export type CallStatus = 'ringing_in' | 'dialing' | 'ringing_out' | 'active'
export type RecordMode = 'off' | 'server' | 'local'

export interface Quality { rtt: number | null; jitter: number | null; loss: number; grade: 'good' | 'fair' | 'poor' }
export interface PhoneCall {
  id: string; direction: 'in' | 'out'; peer: string; peerName: string; status: CallStatus
  startedAt: number; answeredAt: number | null
  held: boolean; remoteHeld: boolean; muted: boolean; video: boolean; remoteVideo: boolean
  recording: RecordMode; dtmfIn: string; dtmfOut: string
  /** Attended transfer: this call is a consultation for `consultFor`. */
  consultFor: string | null
  conference: boolean
  quality: Quality | null
}
export interface Missed { id: string; peer: string; peerName: string; at: number; dnd: boolean }
export interface PhoneState {
  reg: RegState; error: PhoneError | null; detail: string; retryAt: number | null
  extension: string; server: string
  calls: PhoneCall[]; focus: string | null
  dnd: boolean; missed: Missed[]; open: boolean
}

export const kMaxMissed = 50  // the list is for the operator to call back, not an archive
export const kMaxDtmf = 32    // digits shown per call
/** Errors of one call (or of the microphone) that leave the registration as it is. */
export const kCallErrors: ReadonlySet<PhoneError> = new Set<PhoneError>(['mic_denied', 'mic_missing', 'call_failed', 'transfer_failed'])

export type PhoneEvent =
  | { type: 'config_loading' }
  | { type: 'config_ok'; extension: string; server: string }
  | { type: 'connecting' }
  | { type: 'registering' }
  | { type: 'registered' }
  | { type: 'unregistered' }
  | { type: 'failed'; error: PhoneError; detail?: string; retryAt?: number | null }
  | { type: 'clear_error' }
  | { type: 'incoming'; id: string; peer: string; peerName: string; at: number }
  | { type: 'outgoing'; id: string; peer: string; peerName?: string; at: number; consultFor?: string | null }
  | { type: 'progress'; id: string }
  | { type: 'peer_name'; id: string; name: string }
  | { type: 'answered'; id: string; at: number }
  | { type: 'ended'; id: string; at: number; answeredElsewhere?: boolean; declined?: boolean }
  | { type: 'hold'; id: string; held: boolean }
  | { type: 'remote_hold'; id: string; held: boolean }
  | { type: 'mute'; id: string; muted: boolean }
  | { type: 'video'; id: string; on: boolean }
  | { type: 'remote_video'; id: string; on: boolean }
  | { type: 'recording'; id: string; mode: RecordMode }
  | { type: 'dtmf_in'; id: string; tone: string }
  | { type: 'dtmf_out'; id: string; tone: string }
  | { type: 'quality'; id: string; quality: Quality }
  | { type: 'conference'; ids: string[]; on: boolean }
  | { type: 'focus'; id: string }
  | { type: 'dnd'; on: boolean }
  | { type: 'open'; on: boolean }
  | { type: 'clear_missed' }
  | { type: 'missed_loaded'; missed: Missed[] }
  | { type: 'stopped' }

export const initialPhone = (): PhoneState => ({
  reg: 'off', error: null, detail: '', retryAt: null, extension: '', server: '',
  calls: [], focus: null, dnd: false, missed: [], open: false,
})

const newCall = (id: string, direction: 'in' | 'out', peer: string, peerName: string, at: number, status: CallStatus): PhoneCall => ({
  id, direction, peer, peerName, status, startedAt: at, answeredAt: null, held: false, remoteHeld: false,
  muted: false, video: false, remoteVideo: false, recording: 'off', dtmfIn: '', dtmfOut: '',
  consultFor: null, conference: false, quality: null,
})

function patch(s: PhoneState, id: string, ok: (c: PhoneCall) => boolean, f: (c: PhoneCall) => Partial<PhoneCall>): PhoneState {
  const i = s.calls.findIndex((c) => c.id === id)
  if (i < 0 || !ok(s.calls[i])) return s
  const calls = s.calls.slice()
  calls[i] = { ...calls[i], ...f(calls[i]) }
  return { ...s, calls }
}

const live = (c: PhoneCall) => c.status === 'active'
const any = () => true

/** Grade from WebRTC stats: RTT in ms, jitter in ms, loss in percent (ITU-ish thresholds). */
export function grade(rtt: number | null, jitter: number | null, loss: number): Quality['grade'] {
  if (loss > 5 || (rtt ?? 0) > 400 || (jitter ?? 0) > 50) return 'poor'
  if (loss > 1 || (rtt ?? 0) > 200 || (jitter ?? 0) > 30) return 'fair'
  return 'good'
}

function ended(s: PhoneState, e: Extract<PhoneEvent, { type: 'ended' }>): PhoneState {
  const c = s.calls.find((x) => x.id === e.id)
  if (!c) return s
  const calls = s.calls.filter((x) => x.id !== e.id).map((x) => (x.consultFor === e.id ? { ...x, consultFor: null } : x))
  // A conference of one is a plain call again.
  const confLeft = calls.filter((x) => x.conference)
  const fixed = confLeft.length === 1 ? calls.map((x) => (x.conference ? { ...x, conference: false } : x)) : calls
  const missedNow = c.direction === 'in' && c.answeredAt === null && !e.declined && !e.answeredElsewhere
  const missed = missedNow ? [{ id: c.id, peer: c.peer, peerName: c.peerName, at: e.at, dnd: false }, ...s.missed].slice(0, kMaxMissed) : s.missed
  const focus = s.focus === e.id ? (fixed.find(live) ?? fixed[0])?.id ?? null : s.focus
  return { ...s, calls: fixed, missed, focus }
}

export function reduce(s: PhoneState, e: PhoneEvent): PhoneState {
  switch (e.type) {
    case 'config_loading': return { ...s, reg: 'loading', error: null, detail: '' }
    case 'config_ok': return { ...s, extension: e.extension, server: e.server }
    case 'connecting': return s.reg === 'connecting' ? s : { ...s, reg: 'connecting' }
    case 'registering': return { ...s, reg: 'registering' }
    case 'registered': return { ...s, reg: 'registered', error: null, detail: '', retryAt: null }
    case 'unregistered': return { ...s, reg: 'off' }
    case 'failed': return { ...s, reg: kCallErrors.has(e.error) ? s.reg : 'failed', error: e.error, detail: e.detail ?? '', retryAt: e.retryAt ?? null }
    case 'clear_error': return s.error === null ? s : { ...s, error: null, detail: '' }
    case 'incoming': {
      if (s.calls.some((c) => c.id === e.id)) return s
      if (s.dnd) {
        const m = { id: e.id, peer: e.peer, peerName: e.peerName, at: e.at, dnd: true }
        return { ...s, missed: [m, ...s.missed].slice(0, kMaxMissed) }
      }
      const calls = [...s.calls, newCall(e.id, 'in', e.peer, e.peerName, e.at, 'ringing_in')]
      // Call waiting: a second call rings beside the active one without taking the focus.
      const focus = s.focus && s.calls.some(live) ? s.focus : e.id
      return { ...s, calls, focus, open: true }
    }
    case 'outgoing': {
      if (s.calls.some((c) => c.id === e.id)) return s
      const c = { ...newCall(e.id, 'out', e.peer, e.peerName ?? '', e.at, 'dialing'), consultFor: e.consultFor ?? null }
      return { ...s, calls: [...s.calls, c], focus: e.id, open: true }
    }
    case 'peer_name': return patch(s, e.id, (c) => c.peerName !== e.name, () => ({ peerName: e.name }))
    case 'progress': return patch(s, e.id, (c) => c.status === 'dialing', () => ({ status: 'ringing_out' }))
    case 'answered': {
      const n = patch(s, e.id, (c) => c.status !== 'active', () => ({ status: 'active', answeredAt: e.at }))
      return n === s ? s : { ...n, focus: e.id }
    }
    case 'ended': return ended(s, e)
    case 'hold': return patch(s, e.id, live, () => ({ held: e.held }))
    case 'remote_hold': return patch(s, e.id, live, () => ({ remoteHeld: e.held }))
    case 'mute': return patch(s, e.id, live, () => ({ muted: e.muted }))
    case 'video': return patch(s, e.id, live, () => ({ video: e.on }))
    case 'remote_video': return patch(s, e.id, any, () => ({ remoteVideo: e.on }))
    case 'recording': return patch(s, e.id, (c) => live(c) || e.mode === 'off', () => ({ recording: e.mode }))
    case 'dtmf_in': return patch(s, e.id, live, (c) => ({ dtmfIn: (c.dtmfIn + e.tone).slice(-kMaxDtmf) }))
    case 'dtmf_out': return patch(s, e.id, live, (c) => ({ dtmfOut: (c.dtmfOut + e.tone).slice(-kMaxDtmf) }))
    case 'quality': return patch(s, e.id, any, () => ({ quality: e.quality }))
    case 'conference': {
      const set = new Set(e.ids)
      if (e.on && (e.ids.length < 2 || !e.ids.every((id) => s.calls.some((c) => c.id === id && live(c))))) return s
      return { ...s, calls: s.calls.map((c) => (set.has(c.id) ? { ...c, conference: e.on, held: e.on ? false : c.held, consultFor: e.on ? null : c.consultFor } : c)) }
    }
    case 'focus': return s.calls.some((c) => c.id === e.id) ? { ...s, focus: e.id } : s
    case 'dnd': return { ...s, dnd: e.on }
    case 'open': return s.open === e.on ? s : { ...s, open: e.on }
    case 'clear_missed': return { ...s, missed: [] }
    case 'missed_loaded': return { ...s, missed: e.missed.slice(0, kMaxMissed) }
    case 'stopped': return { ...initialPhone(), dnd: s.dnd, missed: s.missed, open: s.open }
  }
}

/** The call the keypad, hold and transfer buttons act on. */
export const focused = (s: PhoneState): PhoneCall | null => s.calls.find((c) => c.id === s.focus) ?? null
export const ringing = (s: PhoneState): PhoneCall[] => s.calls.filter((c) => c.status === 'ringing_in')
