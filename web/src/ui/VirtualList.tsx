/* Minimal windowing: renders only the rows of a fixed-height grid that intersect the viewport. */
import { useEffect, useRef, useState, type ReactNode } from 'react'

interface Props<T> { items: T[]; rowHeight: number; minColWidth: number; render: (item: T) => ReactNode; keyOf: (item: T) => string; label: string; testId?: string }

export function VirtualGrid<T>({ items, rowHeight, minColWidth, render, keyOf, label, testId }: Props<T>) {
  const ref = useRef<HTMLDivElement>(null)
  const [view, setView] = useState({ top: 0, height: 600, width: 800 })
  useEffect(() => {
    const el = ref.current
    if (!el) return
    const upd = () => setView({ top: el.scrollTop, height: el.clientHeight || 600, width: el.clientWidth || 800 })
    upd()
    const ro = typeof ResizeObserver !== 'undefined' ? new ResizeObserver(upd) : null
    ro?.observe(el)
    el.addEventListener('scroll', upd, { passive: true })
    return () => { ro?.disconnect(); el.removeEventListener('scroll', upd) }
  }, [])
  const cols = Math.max(1, Math.floor(view.width / minColWidth))
  const rows = Math.ceil(items.length / cols)
  const first = Math.max(0, Math.floor(view.top / rowHeight) - 2)
  const last = Math.min(rows, Math.ceil((view.top + view.height) / rowHeight) + 2)
  const slice: ReactNode[] = []
  for (let r = first; r < last; r++) {
    for (let c = 0; c < cols; c++) {
      const it = items[r * cols + c]
      if (it === undefined) break
      slice.push(<div key={keyOf(it)} role="listitem" className="vcell"
        style={{ position: 'absolute', top: r * rowHeight, insetInlineStart: `${(c * 100) / cols}%`, width: `${100 / cols}%`, height: rowHeight }}>{render(it)}</div>)
    }
  }
  return (
    <div ref={ref} className="vscroll" role="list" aria-label={label} data-testid={testId}>
      <div style={{ position: 'relative', height: rows * rowHeight }}>{slice}</div>
    </div>
  )
}
