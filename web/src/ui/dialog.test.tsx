import { afterEach, describe, expect, it, vi } from 'vitest'
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import '../i18n'
import { DialogHost, ask, dialogStore } from './Dialog'
import { askTransfer } from './Actions'
import * as session from './session'

afterEach(() => { cleanup(); dialogStore.setState({ pending: null }); vi.restoreAllMocks() })

describe('dialogs replace window.prompt', () => {
  it('resolves with the trimmed field values on submit and closes', async () => {
    render(<DialogHost />)
    let p!: Promise<Record<string, string> | null>
    act(() => { p = ask({ title: 'Pause Alice', fields: [{ name: 'reason', label: 'Reason' }] }) })
    const dlg = screen.getByRole('dialog', { name: 'Pause Alice' })
    expect(dlg.getAttribute('aria-modal')).toBe('true')
    expect(document.activeElement).toBe(screen.getByTestId('dialog-field-reason')) // focus moved in
    fireEvent.change(screen.getByTestId('dialog-field-reason'), { target: { value: '  lunch ' } })
    fireEvent.click(screen.getByTestId('dialog-ok'))
    expect(await p).toEqual({ reason: 'lunch' })
    expect(screen.queryByRole('dialog')).toBeNull()
  })
  it('resolves null on Escape and gives focus back to the opener', async () => {
    render(<><button data-testid="opener">open</button><DialogHost /></>)
    const opener = screen.getByTestId('opener'); opener.focus()
    let p!: Promise<Record<string, string> | null>
    act(() => { p = ask({ title: 'T', fields: [{ name: 'a', label: 'A' }] }) })
    fireEvent.keyDown(screen.getByRole('dialog'), { key: 'Escape' })
    expect(await p).toBeNull()
    expect(document.activeElement).toBe(opener)
  })
  it('keeps Tab inside the dialog', () => {
    render(<DialogHost />)
    act(() => { void ask({ title: 'T', fields: [{ name: 'a', label: 'A' }] }) })
    const ok = screen.getByTestId('dialog-ok'); ok.focus()
    fireEvent.keyDown(ok, { key: 'Tab' })
    expect(document.activeElement).toBe(screen.getByTestId('dialog-field-a'))
  })
  it('a transfer asks for the destination and sends a blind transfer of the target', async () => {
    const run = vi.spyOn(session, 'runAction').mockResolvedValue({ ok: true })
    render(<DialogHost />)
    let done!: Promise<void>
    act(() => { done = askTransfer('1001', false) })
    fireEvent.change(screen.getByTestId('dialog-field-destination'), { target: { value: '1005' } })
    fireEvent.submit(screen.getByTestId('transfer-dialog'))
    await done
    expect(run).toHaveBeenCalledWith('transfer', { target: '1001', destination: '1005' })
  })
  it('a cancelled attended transfer sends nothing', async () => {
    const run = vi.spyOn(session, 'runAction').mockResolvedValue({ ok: true })
    render(<DialogHost />)
    let done!: Promise<void>
    act(() => { done = askTransfer('1001', true) })
    fireEvent.click(screen.getByTestId('dialog-cancel'))
    await done
    expect(run).not.toHaveBeenCalled()
  })
})
