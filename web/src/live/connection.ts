/* Connection manager: keeps the socket alive, resumes from (epoch, seq), applies frames to the
 * store through apply.ts, numbers actions, and reconnects with backoff capped at 5 s.
 * A resync signal from apply() closes the socket and reconnects WITHOUT resume (fresh snapshot). */
import { applyDeltas, fromSnapshot } from './apply'
import { parseServerMessages, type ActionError, type Delta, type ServerMsg } from './protocol'
import { AuthInvalid, openSocket, wsUrl, type Resume } from './socket'
import { liveStore } from './store'

export interface ActionOutcome { ok: boolean; data?: unknown; error?: ActionError }
export const backoffMs = (attempt: number) => Math.min(5000, 250 * 2 ** attempt)
// Deltas arriving within this window are applied as one store update: at 1,000 events/s the UI
// renders ~20 times a second instead of once per frame, and copies each map once per batch.
export const BATCH_MS = 50

export class Connection {
  private ws: WebSocket | null = null
  private nextId = 1
  private pending = new Map<number, (r: ActionOutcome) => void>()
  private attempt = 0
  private resume: Resume | null = null
  private stopped = false
  private timer: ReturnType<typeof setTimeout> | null = null
  private pingTimer: ReturnType<typeof setInterval> | null = null
  private batch: Delta[] = []
  private batchTimer: ReturnType<typeof setTimeout> | null = null
  public onNotice: (m: Extract<ServerMsg, { type: 'notice' }>) => void = () => {}

  constructor(private token: string, private onAuthInvalid: () => void, private url = wsUrl(), private batchMs = BATCH_MS) {}

  start() { this.stopped = false; void this.connect() }
  stop() {
    this.stopped = true
    if (this.batchTimer) clearTimeout(this.batchTimer)
    this.batch = []
    if (this.timer) clearTimeout(this.timer)
    if (this.pingTimer) clearInterval(this.pingTimer)
    this.ws?.close(1000)
    this.ws = null
  }

  private async connect() {
    if (this.stopped) return
    liveStore.setState({ conn: this.attempt === 0 && !liveStore.getState().hasSnapshot ? 'connecting' : 'reconnecting', retryAt: null })
    try {
      const { ws, user } = await openSocket(this.url, this.token, this.resume, (raw) => this.handle(raw))
      if (this.stopped) { ws.close(1000); return }
      this.ws = ws; this.attempt = 0; this.nextId = 1
      liveStore.setState({ user, conn: 'live' })
      ws.onclose = () => this.lost()
      this.pingTimer = setInterval(() => this.send({ type: 'ping' }), 25000)
    } catch (e) {
      if (e instanceof AuthInvalid) { this.stopped = true; this.onAuthInvalid(); return }
      this.schedule()
    }
  }

  private lost() {
    this.flush() // what arrived before the close is still valid; resume from after it
    if (this.pingTimer) clearInterval(this.pingTimer)
    this.ws = null
    for (const [, done] of this.pending) done({ ok: false, error: { code: 'connection.lost', message: 'Connection lost' } })
    this.pending.clear()
    this.schedule()
  }

  private schedule() {
    if (this.stopped) return
    const wait = backoffMs(this.attempt++)
    liveStore.setState({ conn: 'reconnecting', retryAt: Date.now() + wait })
    this.timer = setTimeout(() => void this.connect(), wait)
  }

  /** Applies the deltas batched so far (also called before anything that must see them). */
  flush() {
    if (this.batchTimer) { clearTimeout(this.batchTimer); this.batchTimer = null }
    if (this.batch.length === 0) return
    const ds = this.batch; this.batch = []
    const r = applyDeltas(liveStore.getState(), ds, Date.now())
    if (r.resync) { this.resync(r.reason); return }
    if (r.state !== liveStore.getState()) liveStore.setState(r.state)
    this.resume = { epoch: r.state.epoch, seq: r.state.seq }
  }

  private resync(reason: string) {
    this.batch = []
    liveStore.setState({ lastResync: reason })
    this.resume = null
    this.attempt = 0
    this.ws?.close(4000, 'resync') // onclose → lost() → reconnect without resume
  }

  handle(raw: string) {
    let msgs: ServerMsg[]
    try { msgs = parseServerMessages(raw) } catch { return }
    for (const m of msgs) {
      if (m.type !== 'delta') this.flush()
      if (m.type === 'snapshot') {
        const st = fromSnapshot({ ...m.state, epoch: m.epoch, seq: m.seq, server_time: m.server_time }, Date.now())
        liveStore.setState({ ...st, hasSnapshot: true })
        this.resume = { epoch: m.epoch, seq: m.seq }
      } else if (m.type === 'delta') {
        this.batch.push(m)
        if (this.batchMs <= 0) this.flush()
        else if (!this.batchTimer) this.batchTimer = setTimeout(() => this.flush(), this.batchMs)
      } else if (m.type === 'action_result') {
        const done = this.pending.get(m.id)
        if (done) { this.pending.delete(m.id); done({ ok: m.ok, data: m.data, error: m.error }) }
      } else if (m.type === 'notice') this.onNotice(m)
      else if (m.type === 'pong') liveStore.setState({ offset: m.server_time - Date.now() })
    }
  }

  private send(obj: unknown): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false
    this.ws.send(JSON.stringify(obj)); return true
  }

  action(action: string, params: Record<string, unknown>): Promise<ActionOutcome> {
    const id = this.nextId++
    return new Promise((resolve) => {
      if (!this.send({ type: 'action', id, action, ...params })) {
        resolve({ ok: false, error: { code: 'connection.lost', message: 'Not connected' } }); return
      }
      this.pending.set(id, resolve)
    })
  }
}
