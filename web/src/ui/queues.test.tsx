import { afterEach, describe, expect, it, vi } from 'vitest'
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import '../i18n'
import { Queues } from './Queues'
import { DialogHost, dialogStore } from './Dialog'
import { liveStore, resetLive } from '../live/store'
import * as session from './session'
import type { Queue, User } from '../live/protocol'

const queue = (name: string): Queue => ({ name, strategy: 'ringall', calls: 1, completed: 3, abandoned: 1, holdtime: 0, talktime: 0, service_level: 60, service_level_perf: 90,
  members: [{ interface: 'PJSIP/1001', name: 'Ann', extension: '1001', status: 1, status_text: 'not_in_use', paused: true, reason: 'lunch', penalty: 0, calls_taken: 4, last_call: 0, in_call: false, dynamic: true },
    { interface: 'PJSIP/1002', name: 'Bob', extension: '1002', status: 2, status_text: 'in_use', paused: false, reason: '', penalty: 2, calls_taken: 7, last_call: 0, in_call: true, dynamic: true }],
  entries: [{ position: 1, caller: '555', caller_name: 'Eve', channel: 'c', uniqueid: 'u', call_id: 'x', since: Date.now() }] })
const user = (role: string, queues: string[] | null): User => ({ id: 1, username: role, role, extension: '2000', monitor_modes: [], allowed_agent_extensions: null, allowed_queue_names: queues })
function show(u: User) {
  resetLive()
  liveStore.setState({ user: u, hasSnapshot: true, queues: new Map([['support', queue('support')], ['sales', queue('sales')]]) })
  return render(<><Queues /><DialogHost /></>)
}

describe('queue panel', () => {
  afterEach(() => { cleanup(); dialogStore.setState({ pending: null }); vi.restoreAllMocks() })
  it('shows waiting callers with position, members with status, pause reason and calls taken', () => {
    show(user('agent', []))
    const card = screen.getByTestId('queue-support')
    expect(card.textContent).toContain('#1'); expect(card.textContent).toContain('Eve')
    expect(screen.getAllByTestId('member-support-1001')[0].textContent).toMatch(/Available.*Paused: lunch.*4 taken/)
  })
  it('an agent gets no queue management buttons', () => {
    show(user('agent', []))
    expect(screen.queryByTestId('member-pause')).toBeNull(); expect(screen.queryByTestId('member-unpause')).toBeNull()
    expect(screen.queryByTestId('queue-add-support')).toBeNull()
  })
  it('a supervisor manages only the queues in scope', () => {
    show(user('supervisor', ['sales']))
    expect(screen.queryByTestId('queue-add-sales')).not.toBeNull()
    expect(screen.queryByTestId('queue-add-support')).toBeNull()
  })
  it('pausing asks for a reason in a dialog and sends it with the member', async () => {
    const run = vi.spyOn(session, 'runAction').mockResolvedValue({ ok: true })
    show(user('admin', null))
    fireEvent.click(screen.getByTestId('member-sales-1002').querySelector('[data-testid="member-pause"]')!)
    fireEvent.change(screen.getByTestId('dialog-field-reason'), { target: { value: 'training' } })
    await act(async () => { fireEvent.click(screen.getByTestId('dialog-ok')) })
    expect(run).toHaveBeenCalledWith('queue_pause', { queue: 'sales', extension: '1002', reason: 'training' })
  })
})
