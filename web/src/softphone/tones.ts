/* Call progress tones generated with WebAudio (no audio files): ring tone for incoming calls,
 * a softer call-waiting beep during a call, ringback while an outgoing call rings, a short
 * hang-up sound and DTMF key feedback. One shared AudioContext, created on first use (browsers
 * allow it once the user has interacted with the page, e.g. by signing in). */

let ctx: AudioContext | null = null
export function audioContext(): AudioContext {
  if (!ctx) ctx = new AudioContext()
  if (ctx.state === 'suspended') void ctx.resume()
  return ctx
}

// Browsers keep an AudioContext suspended until the page sees a gesture: after a reload the
// first click or key press unlocks it, so a later incoming call can ring.
if (typeof document !== 'undefined') {
  const unlock = () => { if (!ctx || ctx.state === 'suspended') { try { audioContext() } catch { /* no WebAudio */ } } }
  document.addEventListener('pointerdown', unlock, { capture: true })
  document.addEventListener('keydown', unlock, { capture: true })
}

interface Pattern { freqs: number[]; on: number; off: number; gain: number }
const kRing: Pattern = { freqs: [440, 480], on: 1.2, off: 2.4, gain: 0.18 }       // soft two-tone ring
const kWaiting: Pattern = { freqs: [440], on: 0.25, off: 4.0, gain: 0.08 }         // call waiting
const kRingback: Pattern = { freqs: [440, 480], on: 2.0, off: 4.0, gain: 0.08 }    // North American ringback
const kDtmf: Record<string, [number, number]> = {
  '1': [697, 1209], '2': [697, 1336], '3': [697, 1477], A: [697, 1633],
  '4': [770, 1209], '5': [770, 1336], '6': [770, 1477], B: [770, 1633],
  '7': [852, 1209], '8': [852, 1336], '9': [852, 1477], C: [852, 1633],
  '*': [941, 1209], '0': [941, 1336], '#': [941, 1477], D: [941, 1633],
}

function burst(freqs: number[], start: number, dur: number, gain: number, out: AudioNode) {
  const a = audioContext()
  const g = a.createGain()
  g.gain.setValueAtTime(0, start)
  g.gain.linearRampToValueAtTime(gain, start + 0.02)
  g.gain.setValueAtTime(gain, start + Math.max(0.03, dur - 0.02))
  g.gain.linearRampToValueAtTime(0, start + dur)
  g.connect(out)
  for (const f of freqs) {
    const o = a.createOscillator()
    o.frequency.value = f
    o.connect(g)
    o.start(start)
    o.stop(start + dur)
  }
}

export type ToneKind = 'ring' | 'waiting' | 'ringback'
let loop: { kind: ToneKind; timer: number; out: GainNode } | null = null

/** Starts a repeating tone (replacing any other); stopTone() ends it. */
export function startTone(kind: ToneKind) {
  if (loop?.kind === kind) return
  stopTone()
  let a: AudioContext
  try { a = audioContext() } catch { return }  // no WebAudio: calls still work, silently
  const p = kind === 'ring' ? kRing : kind === 'waiting' ? kWaiting : kRingback
  const out = a.createGain()
  out.connect(a.destination)
  const play = () => burst(p.freqs, a.currentTime + 0.01, p.on, p.gain, out)
  play()
  loop = { kind, out, timer: window.setInterval(play, (p.on + p.off) * 1000) }
}

export function stopTone() {
  if (!loop) return
  window.clearInterval(loop.timer)
  loop.out.disconnect()
  loop = null
}

export const toneKind = () => loop?.kind ?? null

/** Three short descending beeps when a call ends. */
export function hangupTone() {
  try {
    const a = audioContext()
    const t = a.currentTime + 0.01
    burst([480, 620], t, 0.15, 0.12, a.destination)
    burst([480, 620], t + 0.25, 0.15, 0.1, a.destination)
    burst([400], t + 0.5, 0.25, 0.08, a.destination)
  } catch { /* no WebAudio */ }
}

/** Local feedback for a keypad press (the digit itself goes out as RFC 4733 or SIP INFO). */
export function keyTone(digit: string) {
  const f = kDtmf[digit.toUpperCase()]
  if (!f) return
  try { const a = audioContext(); burst(f, a.currentTime + 0.01, 0.12, 0.06, a.destination) } catch { /* no WebAudio */ }
}

export const isDtmf = (d: string) => d.length === 1 && d.toUpperCase() in kDtmf
