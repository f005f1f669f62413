/* Accessible modal form dialogs that replace window.prompt: `ask({...})` resolves with the field
 * values, or null when cancelled (Escape, the Cancel button or a click on the backdrop).
 * One dialog at a time lives in a small vanilla store; <DialogHost/> renders it once near the app
 * root. Invariants: focus moves into the dialog when it opens, Tab stays inside it, and focus
 * returns to the element that opened it when it closes. */
import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { createStore } from 'zustand/vanilla'
import { useStore } from 'zustand'
import { liveStore } from '../live/store'

export interface Field {
  name: string; label: string; type?: 'text' | 'number' | 'select' | 'extension'
  options?: { value: string; label: string }[]; required?: boolean; initial?: string; min?: number; max?: number
}
export interface AskOptions { title: string; fields: Field[]; submit?: string; testId?: string }
export type Answer = Record<string, string>
interface Pending { id: number; opts: AskOptions; resolve: (a: Answer | null) => void; opener: Element | null }
let nextId = 0

export const dialogStore = createStore<{ pending: Pending | null }>(() => ({ pending: null }))

export function ask(opts: AskOptions): Promise<Answer | null> {
  dialogStore.getState().pending?.resolve(null) // a new dialog cancels the old one
  return new Promise((resolve) => {
    dialogStore.setState({ pending: { id: ++nextId, opts, resolve, opener: typeof document !== 'undefined' ? document.activeElement : null } })
  })
}
function close(answer: Answer | null) {
  const p = dialogStore.getState().pending
  if (!p) return
  dialogStore.setState({ pending: null })
  p.resolve(answer)
  if (p.opener instanceof HTMLElement && p.opener.isConnected) p.opener.focus()
}

/** Extension choices for a destination field: "1001 — Alice", from the live store (capped). */
function extensionChoices(filter: string): { value: string; label: string }[] {
  const f = filter.trim().toLowerCase()
  const out: { value: string; label: string }[] = []
  for (const e of liveStore.getState().extensions.values()) {
    if (f && !e.extension.includes(f) && !(e.name || '').toLowerCase().includes(f)) continue
    out.push({ value: e.extension, label: e.name ? `${e.extension} — ${e.name}` : e.extension })
    if (out.length >= 50) break // a datalist longer than this helps nobody
  }
  return out
}

function FieldInput({ f, value, onChange, first, idBase }: { f: Field; value: string; onChange: (v: string) => void; first: boolean; idBase: string }) {
  const id = `${idBase}-${f.name}`
  const common = { id, name: f.name, 'data-testid': `dialog-field-${f.name}`, required: f.required, autoFocus: first }
  if (f.type === 'select') {
    return <select {...common} value={value} onChange={(e) => onChange(e.target.value)}>
      {(f.options ?? []).map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}</select>
  }
  if (f.type === 'extension') {
    const list = `${id}-list`
    return <>
      <input {...common} list={list} value={value} autoComplete="off" inputMode="tel" onChange={(e) => onChange(e.target.value)} />
      <datalist id={list}>{extensionChoices(value).map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}</datalist>
    </>
  }
  return <input {...common} type={f.type === 'number' ? 'number' : 'text'} min={f.min} max={f.max} value={value} onChange={(e) => onChange(e.target.value)} />
}

function DialogBox({ p }: { p: Pending }) {
  const { t } = useTranslation()
  const box = useRef<HTMLFormElement>(null)
  const [vals, setVals] = useState<Answer>(() => Object.fromEntries(p.opts.fields.map((f) => [f.name, f.initial ?? (f.type === 'select' ? f.options?.[0]?.value ?? '' : '')])))
  const idBase = useRef(`dlg-${Math.random().toString(36).slice(2, 8)}`).current
  useEffect(() => { if (!box.current?.contains(document.activeElement)) box.current?.querySelector<HTMLElement>('input,select,button')?.focus() }, [])
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') { e.preventDefault(); close(null); return }
    if (e.key !== 'Tab' || !box.current) return
    const els = [...box.current.querySelectorAll<HTMLElement>('input,select,button,[tabindex]:not([tabindex="-1"])')].filter((x) => !x.hasAttribute('disabled'))
    if (els.length === 0) return
    const [a, z] = [els[0], els[els.length - 1]]
    if (e.shiftKey && document.activeElement === a) { e.preventDefault(); z.focus() } else if (!e.shiftKey && document.activeElement === z) { e.preventDefault(); a.focus() }
  }
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const out: Answer = {}
    for (const f of p.opts.fields) out[f.name] = (vals[f.name] ?? '').trim()
    close(out)
  }
  return (
    <div className="dialog-backdrop" onMouseDown={(e) => { if (e.target === e.currentTarget) close(null) }}>
      <form ref={box} className="card dialog" role="dialog" aria-modal="true" aria-labelledby={`${idBase}-title`} onKeyDown={onKey} onSubmit={submit}
        data-testid={p.opts.testId ?? 'dialog'}>
        <h2 id={`${idBase}-title`}>{p.opts.title}</h2>
        {p.opts.fields.map((f, i) => (
          <label key={f.name} htmlFor={`${idBase}-${f.name}`}>{f.label}
            <FieldInput f={f} value={vals[f.name] ?? ''} first={i === 0} idBase={idBase} onChange={(v) => setVals((s) => ({ ...s, [f.name]: v }))} />
          </label>))}
        <div className="dialog-buttons">
          <button type="button" onClick={() => close(null)} data-testid="dialog-cancel">{t('admin.cancel')}</button>
          <button type="submit" className="primary" data-testid="dialog-ok">{p.opts.submit ?? t('dialog.ok')}</button>
        </div>
      </form>
    </div>
  )
}

export function DialogHost() {
  const p = useStore(dialogStore, (s) => s.pending)
  return p ? <DialogBox key={p.id} p={p} /> : null
}
