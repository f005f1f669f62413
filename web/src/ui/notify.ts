/* Browser notifications and WebAudio beeps for calls ringing my extension or waiting too long in my queues. */
import i18n from '../i18n'
import { liveStore } from '../live/store'
import { fmtDuration, sinceMs } from '../lib/time'

const SKEY = 'opdesk.sounds'
export const soundsOn = () => localStorage.getItem(SKEY) === '1'
export const setSounds = (on: boolean) => localStorage.setItem(SKEY, on ? '1' : '0')
export async function requestNotify() { if ('Notification' in window && Notification.permission === 'default') await Notification.requestPermission() }

let ctx: AudioContext | null = null
function beep() {
  if (!soundsOn()) return
  try {
    ctx ??= new AudioContext()
    const o = ctx.createOscillator(), g = ctx.createGain()
    o.frequency.value = 880; g.gain.value = 0.08
    o.connect(g).connect(ctx.destination); o.start(); o.stop(ctx.currentTime + 0.18)
  } catch { /* audio not available */ }
}
function notify(text: string, tag: string) {
  beep()
  if ('Notification' in window && Notification.permission === 'granted') new Notification('OpDesk', { body: text, tag })
}

const seen = new Set<string>()
export function startNotifier(): () => void {
  const unsub = liveStore.subscribe((s, p) => {
    const me = s.user?.extension
    if (!me || s.extensions === p.extensions) return
    const ext = s.extensions.get(me)
    if (ext?.state === 'ringing' && p.extensions.get(me)?.state !== 'ringing') {
      const call = ext.calls[0] ? s.calls.get(ext.calls[0]) : undefined
      const who = call?.parties.find((x) => x.extension !== me)
      notify(i18n.t('notify.ringing', { who: who?.name || who?.number || '?' }), `ring-${me}`)
    }
  })
  const timer = setInterval(() => {
    const s = liveStore.getState(); const me = s.user?.extension
    if (!me) return
    for (const q of s.queues.values()) {
      if (!q.members.some((m) => m.extension === me)) continue
      const limit = (q.service_level || 60) * 1000
      for (const e of q.entries) {
        const w = sinceMs(e.since, s.offset)
        const key = `${q.name}:${e.uniqueid || e.channel}`
        if (w >= limit && !seen.has(key)) { seen.add(key); notify(i18n.t('notify.waiting', { time: fmtDuration(w), queue: q.name }), key) }
      }
    }
    if (seen.size > 5000) seen.clear()
  }, 2000)
  return () => { unsub(); clearInterval(timer) }
}
