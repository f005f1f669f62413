/* Media helpers for the softphone: microphone/camera capture with clear error codes, level
 * meters, WebRTC statistics (quality grade, packet counters), the 3-way conference mix and
 * local recording. WebAudio graphs only: no SIP here. The conference mix sends each remote
 * party "my microphone + the other party", so both hear each other through this browser. */
import { audioContext } from './tones'
import { grade, type PhoneError, type Quality } from './machine'

export interface Devices { mic: string; speaker: string; camera: string }
const DKEY = 'opdesk.softphone.devices'
export function savedDevices(): Devices {
  try { return { mic: '', speaker: '', camera: '', ...JSON.parse(localStorage.getItem(DKEY) ?? '{}') } } catch { return { mic: '', speaker: '', camera: '' } }
}
export const saveDevices = (d: Devices) => localStorage.setItem(DKEY, JSON.stringify(d))

export class MediaFailure extends Error { constructor(public code: PhoneError, detail: string) { super(detail) } }

/** getUserMedia with the chosen device; maps DOMExceptions to the UI's error codes. */
export async function capture(kind: 'audio' | 'video', deviceId: string): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia) throw new MediaFailure('insecure_context', 'navigator.mediaDevices is unavailable')
  const c: MediaTrackConstraints | boolean = deviceId ? { deviceId: { exact: deviceId } } : true
  try {
    return await navigator.mediaDevices.getUserMedia(kind === 'audio' ? { audio: c } : { video: c })
  } catch (e) {
    const name = (e as DOMException).name
    if (name === 'NotAllowedError' || name === 'SecurityError') throw new MediaFailure('mic_denied', name)
    if (name === 'NotFoundError' || name === 'OverconstrainedError') {
      if (deviceId) return capture(kind, '')  // the saved device is gone: fall back to the default
      throw new MediaFailure('mic_missing', name)
    }
    throw new MediaFailure('mic_missing', String(e))
  }
}

export async function listDevices(): Promise<MediaDeviceInfo[]> {
  try { return await navigator.mediaDevices.enumerateDevices() } catch { return [] }
}

/** RMS level 0..1 of a stream, sampled on demand (the meter polls it). */
export class LevelMeter {
  private analyser: AnalyserNode
  private src: MediaStreamAudioSourceNode
  private buf: Float32Array<ArrayBuffer>
  constructor(stream: MediaStream) {
    const a = audioContext()
    this.src = a.createMediaStreamSource(stream)
    this.analyser = a.createAnalyser()
    this.analyser.fftSize = 512
    this.buf = new Float32Array(this.analyser.fftSize)
    this.src.connect(this.analyser)
  }
  level(): number {
    this.analyser.getFloatTimeDomainData(this.buf)
    let sum = 0
    for (const v of this.buf) sum += v * v
    return Math.min(1, Math.sqrt(sum / this.buf.length) * 4)
  }
  close() { this.src.disconnect(); this.analyser.disconnect() }
}

export interface CallStats { quality: Quality; audioIn: number; audioOut: number; videoIn: number; level: number; energy: number }
interface Prev { lost: number; recv: number }

/** Reads getStats once: RTT (remote-inbound), jitter and loss since the previous sample. */
export async function readStats(pc: RTCPeerConnection, prev: Prev): Promise<CallStats> {
  const report = await pc.getStats()
  let rtt: number | null = null, jitter: number | null = null, lost = 0, recv = 0, audioOut = 0, videoIn = 0, level = 0, energy = 0
  report.forEach((s: Record<string, unknown>) => {
    if (s.type === 'inbound-rtp' && s.kind === 'audio') {
      jitter = typeof s.jitter === 'number' ? s.jitter * 1000 : jitter
      lost += Number(s.packetsLost ?? 0); recv += Number(s.packetsReceived ?? 0)
      level = Math.max(level, Number(s.audioLevel ?? 0))
      energy += Number(s.totalAudioEnergy ?? 0)  // grows only while sound arrives
    }
    if (s.type === 'inbound-rtp' && s.kind === 'video') videoIn += Number(s.packetsReceived ?? 0)
    if (s.type === 'outbound-rtp' && s.kind === 'audio') audioOut += Number(s.packetsSent ?? 0)
    if (s.type === 'remote-inbound-rtp' && typeof s.roundTripTime === 'number') rtt = s.roundTripTime * 1000
    if (s.type === 'candidate-pair' && s.state === 'succeeded' && rtt === null && typeof s.currentRoundTripTime === 'number') rtt = s.currentRoundTripTime * 1000
  })
  const dl = lost - prev.lost, dr = recv - prev.recv
  const loss = dl + dr > 0 ? Math.max(0, (dl * 100) / (dl + dr)) : 0
  prev.lost = lost; prev.recv = recv
  const r = rtt === null ? null : Math.round(rtt), j = jitter === null ? null : Math.round(jitter)
  return { quality: { rtt: r, jitter: j, loss: Math.round(loss * 10) / 10, grade: grade(r, j, loss) }, audioIn: recv, audioOut, videoIn, level, energy }
}

/** The 3-way mix: for each call, a track carrying the mic plus every other party's audio. */
export class ConferenceMix {
  private nodes: AudioNode[] = []
  readonly tracks = new Map<string, MediaStreamTrack>()
  constructor(mic: MediaStream, remotes: Map<string, MediaStream>) {
    const a = audioContext()
    const micSrc = a.createMediaStreamSource(mic)
    this.nodes.push(micSrc)
    const srcs = new Map<string, MediaStreamAudioSourceNode>()
    for (const [id, st] of remotes) { const s = a.createMediaStreamSource(st); srcs.set(id, s); this.nodes.push(s) }
    for (const id of remotes.keys()) {
      const dest = a.createMediaStreamDestination()
      micSrc.connect(dest)
      for (const [other, s] of srcs) if (other !== id) s.connect(dest)
      this.nodes.push(dest)
      this.tracks.set(id, dest.stream.getAudioTracks()[0])
    }
  }
  close() { for (const n of this.nodes) n.disconnect(); for (const t of this.tracks.values()) t.stop() }
}

/** Local recording of a call (both directions mixed) with MediaRecorder. */
export class LocalRecorder {
  private rec: MediaRecorder
  private chunks: Blob[] = []
  private nodes: AudioNode[] = []
  private done: Promise<Blob>
  constructor(streams: MediaStream[]) {
    const a = audioContext()
    const dest = a.createMediaStreamDestination()
    for (const s of streams) { if (!s.getAudioTracks().length) continue; const n = a.createMediaStreamSource(s); n.connect(dest); this.nodes.push(n) }
    this.nodes.push(dest)
    this.rec = new MediaRecorder(dest.stream)
    this.rec.ondataavailable = (e) => { if (e.data.size) this.chunks.push(e.data) }
    this.done = new Promise((resolve) => { this.rec.onstop = () => resolve(new Blob(this.chunks, { type: this.rec.mimeType || 'audio/webm' })) })
    this.rec.start(1000)
  }
  async stop(): Promise<Blob> {
    if (this.rec.state !== 'inactive') this.rec.stop()
    const b = await this.done
    for (const n of this.nodes) n.disconnect()
    return b
  }
}
