/* One shared 1 s clock; a Timer re-renders only itself every second. */
import { useSyncExternalStore } from 'react'
import { liveStore } from '../live/store'
import { fmtDuration } from '../lib/time'

let now = Date.now()
const subs = new Set<() => void>()
let handle: ReturnType<typeof setInterval> | null = null
function subscribe(cb: () => void) {
  subs.add(cb)
  if (!handle) { now = Date.now(); handle = setInterval(() => { now = Date.now(); subs.forEach((f) => f()) }, 1000) } // fresh clock when the first timer appears
  return () => { subs.delete(cb); if (subs.size === 0 && handle) { clearInterval(handle); handle = null } }
}
export const useNow = () => useSyncExternalStore(subscribe, () => now)

/** Shows ms elapsed computed by fn(offset, localNow); `hover` builds a title that ticks too. */
export function Timer({ compute, title, hover, testId, className }: {
  compute: (offset: number, localNow: number) => number; title?: string
  hover?: (offset: number, localNow: number) => string; testId?: string; className?: string
}) {
  const n = useNow()
  const offset = liveStore.getState().offset
  return <span className={className ? `timer ${className}` : 'timer'} title={hover ? hover(offset, n) : title} data-testid={testId}>{fmtDuration(compute(offset, n))}</span>
}
