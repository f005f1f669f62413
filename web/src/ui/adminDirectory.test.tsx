import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import '../i18n'
import { AdminDirectory, filterEntries, overrideBody, type DirectoryEntry } from './AdminDirectory'

const entries: DirectoryEntry[] = [
  { number: '1001', kind: 'extension', name: 'Alice Smith', tech: 'PJSIP', group: 'Sales', order: 1, hidden: false, sources: ['ami', 'pbxdb'] },
  { number: '1002', kind: 'extension', name: 'Front Door', tech: 'PJSIP', group: '', order: 0, hidden: true, sources: ['ami', 'override'] },
  { number: '5001', kind: 'queue', name: 'Support Line', tech: '', group: '', order: 0, hidden: false, sources: ['pbxdb'] },
]
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })

function mount() {
  const calls: { url: string; method: string; body: unknown }[] = []
  vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET'
    calls.push({ url, method, body: init?.body ? JSON.parse(String(init.body)) : null })
    if (method === 'GET') return json(200, { entries, status: { mode: 'freepbx', db_configured: true, db_ok: false, message: 'PBX database unavailable (refused); using AMI data', warnings: [] } })
    return json(200, { ok: true })
  }))
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } })
  render(<QueryClientProvider client={qc}><AdminDirectory /></QueryClientProvider>)
  return calls
}

describe('admin directory page (issue #7)', () => {
  afterEach(() => { cleanup(); vi.unstubAllGlobals() })
  it('search matches number, name and group, case-insensitively', () => {
    expect(filterEntries(entries, 'sales').map((e) => e.number)).toEqual(['1001'])
    expect(filterEntries(entries, 'LINE').map((e) => e.number)).toEqual(['5001'])
    expect(filterEntries(entries, '100').map((e) => e.number)).toEqual(['1001', '1002'])
    expect(filterEntries(entries, '  ')).toHaveLength(3)
  })
  it('a row becomes a PUT body without empty fields and with a whole-number order', () => {
    expect(overrideBody({ label: ' Reception ', group: '', order: '3.7', hidden: false })).toEqual({ hidden: false, label: 'Reception', order: 3 })
    expect(overrideBody({ label: '', group: 'Ops', order: 'x', hidden: true })).toEqual({ hidden: true, group: 'Ops' })
  })
  it('lists entries, shows the database error and filters as the admin types', async () => {
    mount()
    expect(await screen.findByTestId('dir-1001')).toBeTruthy()
    expect(screen.getByTestId('directory-status').textContent).toContain('PBX database unavailable')
    expect((screen.getByTestId('dir-1002-hidden') as HTMLInputElement).checked).toBe(true)
    fireEvent.change(screen.getByTestId('directory-search'), { target: { value: 'support' } })
    expect(screen.queryByTestId('dir-1001')).toBeNull()
    expect(screen.getByTestId('dir-5001')).toBeTruthy()
  })
  it('hiding saves at once and rename/group/order save the whole row', async () => {
    const calls = mount()
    await screen.findByTestId('dir-1001')
    fireEvent.click(screen.getByTestId('dir-1001-hidden'))
    await waitFor(() => expect(calls.some((c) => c.method === 'PUT')).toBe(true))
    expect(calls.find((c) => c.method === 'PUT')).toEqual({ url: '/api/directory/1001', method: 'PUT', body: { hidden: true, group: 'Sales', order: 1 } })
    fireEvent.change(screen.getByTestId('dir-5001-label'), { target: { value: 'Helpdesk' } })
    fireEvent.change(screen.getByTestId('dir-5001-order'), { target: { value: '4' } })
    fireEvent.click(screen.getByTestId('dir-5001-save'))
    await waitFor(() => expect(calls.filter((c) => c.method === 'PUT')).toHaveLength(2))
    expect(calls.filter((c) => c.method === 'PUT')[1]).toEqual({ url: '/api/directory/5001', method: 'PUT', body: { hidden: false, label: 'Helpdesk', order: 4 } })
    fireEvent.click(screen.getByTestId('dir-1002-reset'))
    await waitFor(() => expect(calls.some((c) => c.method === 'DELETE' && c.url === '/api/directory/1002')).toBe(true))
  })
})
