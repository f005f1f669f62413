/* Theme: follows the system until the user picks one; stored in localStorage; applied as <html data-theme>. */
import { useSyncExternalStore } from 'react'
type Theme = 'dark' | 'light'
const KEY = 'opdesk.theme'
const subs = new Set<() => void>()
const mq = typeof window !== 'undefined' && window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null
function current(): Theme {
  const s = localStorage.getItem(KEY)
  if (s === 'dark' || s === 'light') return s
  return mq?.matches ? 'dark' : 'light'
}
export function applyTheme() { document.documentElement.dataset.theme = current(); subs.forEach((f) => f()) }
export function setTheme(t: Theme) { localStorage.setItem(KEY, t); applyTheme() }
mq?.addEventListener?.('change', applyTheme)
export const useTheme = () => useSyncExternalStore((cb) => { subs.add(cb); return () => subs.delete(cb) }, current)
