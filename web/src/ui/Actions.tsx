/* Per-extension / per-call actions, shown only when the user's role, monitor modes and scope allow. */
import { useTranslation } from 'react-i18next'
import { Ear, MessageSquareText, Megaphone, PhoneOff, PhoneForwarded, ArrowRightLeft, Hand, ParkingSquare, PhoneIncoming, Phone, BellOff, Circle } from 'lucide-react'
import type { Call, Extension, User } from '../live/protocol'
import { canCall, canControl, canControlOwn, canPickup, monitorModes } from '../lib/perms'
import { runAction } from './session'

const icons = { listen: Ear, whisper: MessageSquareText, barge: Megaphone }

function Btn({ action, onClick, Icon }: { action: string; onClick: () => void; Icon: typeof Ear }) {
  const { t } = useTranslation()
  return <button type="button" className="icon-btn" data-testid={`action-${action}`} title={t(`action.${action}`)} aria-label={t(`action.${action}`)}
    onClick={(e) => { e.stopPropagation(); onClick() }}><Icon size={15} aria-hidden /></button>
}

export function ExtensionActions({ ext, call, user }: { ext: Extension; call: Call | null; user: User | null }) {
  const { t } = useTranslation()
  const n = ext.extension
  const modes = call ? monitorModes(user, n) : []
  const ctrl = canControl(user, n)
  const own = canControlOwn(user, n)
  const ringing = ext.state === 'ringing'
  const askDest = () => window.prompt(t('action.destination'))?.trim()
  return (
    <div className="actions" role="group" aria-label={ext.name}>
      {modes.map((m) => <Btn key={m} action={m} Icon={icons[m]} onClick={() => void runAction(m, user?.extension ? { target: n, supervisor: user.extension } : { target: n })} />)}
      {call && own && <Btn action="hangup" Icon={PhoneOff} onClick={() => void runAction('hangup', { target: n })} />}
      {call && own && <Btn action="transfer" Icon={PhoneForwarded} onClick={() => { const d = askDest(); if (d) void runAction('transfer', { target: n, destination: d }) }} />}
      {call && own && <Btn action="attended_transfer" Icon={ArrowRightLeft} onClick={() => { const d = askDest(); if (d) void runAction('attended_transfer', { target: n, destination: d }) }} />}
      {call && ctrl && user?.extension && user.extension !== n && <Btn action="take_over" Icon={Hand} onClick={() => void runAction('take_over', { target: n })} />}
      {call && own && <Btn action="park" Icon={ParkingSquare} onClick={() => void runAction('park', { target: n })} />}
      {call && own && <Btn action="record" Icon={Circle} onClick={() => void runAction(call.recording ? 'record_stop' : 'record_start', { target: n })} />}
      {ringing && canPickup(user) && user?.extension !== n && <Btn action="pickup" Icon={PhoneIncoming} onClick={() => void runAction('pickup', { target: n })} />}
      {!call && canCall(user) && user?.extension !== n && <Btn action="originate" Icon={Phone} onClick={() => void runAction('originate', { from: user?.extension, number: n })} />}
      {(ctrl || user?.extension === n) && <Btn action="dnd" Icon={BellOff} onClick={() => void runAction('dnd', { extension: n, enabled: !ext.dnd })} />}
    </div>
  )
}
