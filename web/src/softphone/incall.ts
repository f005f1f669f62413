/* In-call controls of the softphone (issue #11): hold, mute, DTMF, blind and attended transfer,
 * the local 3-way conference, recording and video. Each acts on one Line of the engine and lets
 * JsSIP events (hold/unhold, refer NOTIFY, track) drive the state, except mute, video and
 * recording, whose state is local. Attended transfer = REFER to the held party with Replaces
 * naming the consultation dialog (RFC 3891); the consultation ends by the target's BYE. */
import { liveStore } from '../live/store'
import { runAction } from '../ui/session'
import { capture, ConferenceMix, LocalRecorder, MediaFailure, type Devices } from './media'
import { keyTone } from './tones'
import { allLines, call, clean, config, currentDevices, dispatch, download, dtmfMode, fail, hangup, holdOthers, lineEndHooks, lineOf, micStream, phone, storeDevices, target, type Line } from './engine'

let mix: { ids: string[]; m: ConferenceMix } | null = null

lineEndHooks.push((line) => {
  const r = line.recorder
  line.recorder = null
  if (r) void r.stop().then(download)
  if (mix?.ids.includes(line.id)) endConference()
})

export function toggleHold(id: string) {
  const l = lineOf(id); const c = phone.getState().calls.find((x) => x.id === id)
  if (!l || !c) return
  if (c.held) { holdOthers(id); l.session.unhold() } else l.session.hold()
}

export function toggleMute(id: string) {
  const c = phone.getState().calls.find((x) => x.id === id)
  if (!c) return
  const ids = c.conference ? phone.getState().calls.filter((x) => x.conference).map((x) => x.id) : [id]
  for (const i of ids) {
    for (const t of lineOf(i)?.local?.getAudioTracks() ?? []) t.enabled = c.muted
    dispatch({ type: 'mute', id: i, muted: !c.muted })
  }
}

export function sendDtmf(id: string, digit: string) {
  const l = lineOf(id)
  if (!l) return
  keyTone(digit)
  const m = dtmfMode() === 'server' ? config()?.dtmf ?? 'rfc4733' : dtmfMode()
  l.session.sendDTMF(digit, { transportType: (m === 'info' ? 'INFO' : 'RFC2833') as never, duration: 160, interToneGap: 80 })
}

export function blindTransfer(id: string, number: string) {
  const l = lineOf(id)
  if (!l) return
  l.session.refer(target(clean(number)), {
    eventHandlers: {
      accepted: () => l.session.terminate(),
      failed: () => fail('transfer_failed', number),
      requestFailed: () => fail('transfer_failed', number),
    },
  } as never)
}

/** Attended transfer, step 1: hold the call and dial the consultation. */
export async function consult(id: string, number: string) {
  if (!lineOf(id)) return
  await call(number, id)
}

/** Step 2: REFER the held party to the consulted one, with Replaces of the consultation dialog. */
export function completeTransfer(consultId: string) {
  const c = phone.getState().calls.find((x) => x.id === consultId)
  const consultLine = lineOf(consultId), orig = c?.consultFor ? lineOf(c.consultFor) : undefined
  if (!c || !consultLine || !orig) return
  orig.session.refer(consultLine.session.remote_identity.uri, {
    replaces: consultLine.session,
    eventHandlers: {
      accepted: () => { orig.session.terminate(); setTimeout(() => { if (lineOf(consultId)) consultLine.session.terminate() }, 3000) },
      failed: () => fail('transfer_failed', c.peer),
      requestFailed: () => fail('transfer_failed', c.peer),
    },
  } as never)
}

/** Step 2 (alternative): drop the consultation and resume the original call. */
export function cancelConsult(consultId: string) {
  const c = phone.getState().calls.find((x) => x.id === consultId)
  const orig = c?.consultFor ? lineOf(c.consultFor) : undefined
  hangup(consultId)
  if (orig) setTimeout(() => orig.session.unhold(), 300)
}

/** 3-way conference: unhold both calls and mix locally. */
export function conference(ids: string[]) {
  const ls = ids.map((i) => lineOf(i)).filter((l): l is Line => !!l && !!l.pc && !!l.local)
  if (ls.length < 2 || mix) return
  for (const l of ls) l.session.unhold()
  const remotes = new Map(ls.map((l) => [l.id, l.remote] as [string, MediaStream]))
  const m = new ConferenceMix(ls[0].local!, remotes)
  for (const l of ls) {
    const s = l.pc!.getSenders().find((x) => x.track?.kind === 'audio')
    void s?.replaceTrack(m.tracks.get(l.id) ?? null)
  }
  mix = { ids: ls.map((l) => l.id), m }
  dispatch({ type: 'conference', ids: mix.ids, on: true })
}

export function endConference() {
  if (!mix) return
  const { ids, m } = mix
  mix = null
  for (const id of ids) {
    const l = lineOf(id)
    const s = l?.pc?.getSenders().find((x) => x.track?.kind === 'audio')
    const mic = l?.local?.getAudioTracks()[0]
    if (s && mic) void s.replaceTrack(mic)
  }
  m.close()
  dispatch({ type: 'conference', ids, on: false })
}

/** Server MixMonitor when this extension has a channel on the connected Asterisk, else local. */
export async function toggleRecord(id: string) {
  const l = lineOf(id); const c = phone.getState().calls.find((x) => x.id === id)
  if (!l || !c) return
  const ext = config()?.extension ?? ''
  if (c.recording === 'server') { await runAction('record_stop', { target: ext }); dispatch({ type: 'recording', id, mode: 'off' }); return }
  if (c.recording === 'local') { const r = l.recorder; l.recorder = null; dispatch({ type: 'recording', id, mode: 'off' }); if (r) download(await r.stop()); return }
  const live = liveStore.getState()
  const onAsterisk = live.pbx.connected && [...live.calls.values()].some((x) => x.ended_at === null && x.parties.some((p) => p.extension === ext))
  if (onAsterisk) {
    const r = await runAction('record_start', { target: ext })
    if (r.ok) { dispatch({ type: 'recording', id, mode: 'server' }); return }
  }
  l.recorder = new LocalRecorder([l.local ?? new MediaStream(), l.remote])
  dispatch({ type: 'recording', id, mode: 'local' })
}

export async function toggleVideo(id: string) {
  const l = lineOf(id); const c = phone.getState().calls.find((x) => x.id === id)
  if (!l || !c || !l.pc) return
  if (c.video) {
    for (const s of l.pc.getSenders()) if (s.track?.kind === 'video') l.pc.removeTrack(s)
    l.video?.getTracks().forEach((t) => t.stop())
    l.video = null
    l.session.renegotiate()
    dispatch({ type: 'video', id, on: false })
    return
  }
  let v: MediaStream
  try { v = await capture('video', currentDevices().camera) } catch (e) { fail(e instanceof MediaFailure ? e.code : 'mic_missing', String(e)); return }
  l.video = v
  for (const t of v.getVideoTracks()) l.pc.addTrack(t, v)
  l.session.renegotiate()
  dispatch({ type: 'video', id, on: true })
}

/** Device choice: saved, and applied to calls in progress (mic and speaker). */
export async function setDevices(d: Devices) {
  const micChanged = d.mic !== currentDevices().mic
  storeDevices(d)
  for (const l of allLines()) {
    if ('setSinkId' in l.audio) void (l.audio as HTMLAudioElement & { setSinkId(id: string): Promise<void> }).setSinkId(d.speaker).catch(() => undefined)
  }
  if (!micChanged || mix) return
  for (const l of allLines()) {
    if (!l.pc || !l.local) continue
    const st = await micStream()
    const track = st?.getAudioTracks()[0]
    const s = l.pc.getSenders().find((x) => x.track?.kind === 'audio')
    if (!track || !s) continue
    await s.replaceTrack(track)
    l.local.getTracks().forEach((t) => t.stop())
    l.local = st
  }
}

