/* Per-extension / per-call actions, shown only when the user's role, monitor modes and scope allow
 * (lib/perms.ts mirrors the server's rules; the server still decides, and every click shows the
 * server's real answer as a toast). Frequent actions are buttons; the rest sit in an
 * accessible "more" menu (role=menu, arrow keys, Escape). Destinations are asked in a dialog. */
import { useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react'
import { DialButton } from '../softphone/DialButton'
import { useTranslation } from 'react-i18next'
import { Ear, MessageSquareText, Megaphone, PhoneOff, PhoneForwarded, ArrowRightLeft, Hand, ParkingSquare, PhoneIncoming, Phone, BellOff, Bell, Circle, Square, MoreHorizontal } from 'lucide-react'
import type { Call, Extension, User } from '../live/protocol'
import { canCall, canControl, canControlOwn, canPickup, monitorModes } from '../lib/perms'
import { runAction } from './session'
import { ask } from './Dialog'
import i18n from '../i18n'

const icons = { listen: Ear, whisper: MessageSquareText, barge: Megaphone }
type Icon = typeof Ear
interface Item { action: string; label: string; Icon: Icon; run: () => void }

function Btn({ it }: { it: Item }) {
  return <button type="button" className="icon-btn" data-testid={`action-${it.action}`} title={it.label} aria-label={it.label}
    onClick={(e) => { e.stopPropagation(); it.run() }}><it.Icon size={15} aria-hidden /></button>
}

/** A menu button: opens a list of menu items, positioned fixed so a tile's overflow cannot clip it. */
export function Menu({ label, items, testId, children }: { label: string; items: Item[]; testId: string; children?: ReactNode }) {
  const [open, setOpen] = useState(false)
  const [pos, setPos] = useState({ top: 0, left: 0 })
  const btn = useRef<HTMLButtonElement>(null)
  const list = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (!open) return
    list.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus()
    const away = (e: MouseEvent) => { if (!list.current?.contains(e.target as Node) && !btn.current?.contains(e.target as Node)) setOpen(false) }
    document.addEventListener('mousedown', away)
    return () => document.removeEventListener('mousedown', away)
  }, [open])
  const toggle = () => {
    const r = btn.current?.getBoundingClientRect()
    if (r) setPos({ top: r.bottom + 2, left: Math.min(r.left, window.innerWidth - 220) })
    setOpen(!open)
  }
  const onKey = (e: KeyboardEvent) => {
    const els = [...(list.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])]
    const i = els.indexOf(document.activeElement as HTMLElement)
    if (e.key === 'Escape') { e.preventDefault(); setOpen(false); btn.current?.focus() }
    else if (e.key === 'ArrowDown') { e.preventDefault(); els[(i + 1) % els.length]?.focus() }
    else if (e.key === 'ArrowUp') { e.preventDefault(); els[(i - 1 + els.length) % els.length]?.focus() }
    else if (e.key === 'Tab') setOpen(false)
  }
  if (items.length === 0) return null
  return (
    <>
      <button ref={btn} type="button" className="icon-btn" aria-haspopup="menu" aria-expanded={open} aria-label={label} title={label}
        data-testid={testId} onClick={(e) => { e.stopPropagation(); toggle() }}>{children ?? <MoreHorizontal size={15} aria-hidden />}</button>
      {open && <div ref={list} role="menu" className="menu" aria-label={label} style={{ top: pos.top, left: pos.left }} onKeyDown={onKey}>
        {items.map((it) => <button key={it.action} type="button" role="menuitem" tabIndex={-1} data-testid={`action-${it.action}`}
          onClick={(e) => { e.stopPropagation(); setOpen(false); it.run() }}><it.Icon size={15} aria-hidden /> {it.label}</button>)}
      </div>}
    </>
  )
}

export async function askTransfer(target: string, attended: boolean) {
  const t = i18n.t.bind(i18n)
  const a = await ask({ title: t(attended ? 'action.attended_transfer' : 'action.transfer') + ` — ${target}`, testId: 'transfer-dialog',
    fields: [{ name: 'destination', label: t('action.destination'), type: 'extension', required: true }], submit: t(attended ? 'action.attended_transfer' : 'action.transfer') })
  if (a?.destination) await runAction(attended ? 'attended_transfer' : 'transfer', { target, destination: a.destination })
}

export async function askOriginate(from: string) {
  const t = i18n.t.bind(i18n)
  const a = await ask({ title: t('action.call_number'), testId: 'call-dialog', fields: [{ name: 'number', label: t('action.number'), type: 'extension', required: true }], submit: t('action.originate') })
  if (a?.number) await runAction('originate', { from, number: a.number })
}

/** The actions this user may take on this extension (and its current call), split into
 * buttons and menu items. Pure apart from the closures; exported for the permission tests. */
export function actionItems(ext: Extension, call: Call | null, user: User | null, t: (k: string) => string): { buttons: Item[]; menu: Item[] } {
  const n = ext.extension
  const me = user?.extension ?? null
  const own = canControlOwn(user, n)
  const ctrl = canControl(user, n)
  const buttons: Item[] = [], menu: Item[] = []
  const item = (action: string, Icon: Icon, run: () => void, label = t(`action.${action}`)): Item => ({ action, label, Icon, run })
  if (call) {
    for (const m of monitorModes(user, n)) buttons.push(item(m, icons[m], () => void runAction(m, me ? { target: n, supervisor: me } : { target: n })))
    if (own) {
      buttons.push(item('hangup', PhoneOff, () => void runAction('hangup', { target: n })))
      buttons.push(item('transfer', PhoneForwarded, () => void askTransfer(n, false)))
      menu.push(item('attended_transfer', ArrowRightLeft, () => void askTransfer(n, true)))
      menu.push(item('park', ParkingSquare, () => void runAction('park', { target: n })))
      const rec = call.recording_active ?? !!call.recording
      menu.push(item('record', rec ? Square : Circle, () => void runAction(rec ? 'record_stop' : 'record_start', { target: n }), t(rec ? 'action.record_stop' : 'action.record_start')))
    }
    if (ctrl && me && me !== n) menu.push(item('take_over', Hand, () => void runAction('take_over', { target: n })))
  }
  if (ext.state === 'ringing' && canPickup(user) && me !== n) buttons.push(item('pickup', PhoneIncoming, () => void runAction('pickup', { target: n })))
  if (!call && canCall(user) && me !== n && ext.state !== 'unavailable') buttons.push(item('originate', Phone, () => void runAction('originate', { from: me, number: n })))
  if (ctrl || me === n) menu.push(item('dnd', ext.dnd ? Bell : BellOff, () => void runAction('dnd', { extension: n, enabled: !ext.dnd }), t(ext.dnd ? 'action.dnd_off' : 'action.dnd_on')))
  return { buttons, menu }
}

export function ExtensionActions({ ext, call, user }: { ext: Extension; call: Call | null; user: User | null }) {
  const { t } = useTranslation()
  const { buttons, menu } = actionItems(ext, call, user, t)
  if (buttons.length === 0 && menu.length === 0) return null
  return (
    <div className="actions" role="group" aria-label={t('action.for', { who: ext.name || ext.extension })}>
      {buttons.map((it) => <Btn key={it.action} it={it} />)}
      {!call && ext.state !== 'unavailable' && <DialButton number={ext.extension} />}
      <Menu label={t('action.more')} items={menu} testId={`more-${ext.extension}`} />
    </div>
  )
}
