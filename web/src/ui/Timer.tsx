/* One shared 1 s clock; a Timer re-renders only itself every second. */
import { useSyncExternalStore } from 'react'
import { liveStore } from '../live/store'
import { fmtDuration } from '../lib/time'

let now = Date.now()
const subs = new Set<() => void>()
let handle: ReturnType<typeof setInterval> | null = null
function subscribe(cb: () => void) {
  subs.add(cb)
  if (!handle) handle = setInterval(() => { now = Date.now(); subs.forEach((f) => f()) }, 1000)
  return () => { subs.delete(cb); if (subs.size === 0 && handle) { clearInterval(handle); handle = null } }
}
export const useNow = () => useSyncExternalStore(subscribe, () => now)

/** Shows ms elapsed computed by fn(offset, localNow). */
export function Timer({ compute, title, testId }: { compute: (offset: number, localNow: number) => number; title?: string; testId?: string }) {
  const n = useNow()
  const offset = liveStore.getState().offset
  return <span className="timer" title={title} data-testid={testId}>{fmtDuration(compute(offset, n))}</span>
}
