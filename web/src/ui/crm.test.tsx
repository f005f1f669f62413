import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import type { ReactNode } from 'react'
import i18n from '../i18n'
import { AdminCrm, authFields, settingsBody, type CrmSettings } from './AdminCrm'
import { lookupWorthy, useCallerName } from './useCallerName'

afterEach(() => { cleanup(); vi.unstubAllGlobals(); void i18n.changeLanguage('en') })

const settings: CrmSettings = {
  enabled: true, server_url: 'https://crm.example.com', endpoint_path: '/api/calls', auth_type: 'api_key', timeout: 30,
  verify_ssl: true, allow_private: false, api_key: '***', api_key_header: 'X-API-Key', username: '', password: '',
  bearer_token: '', oauth2_client_id: '', oauth2_client_secret: '', oauth2_token_url: '', oauth2_scope: '',
  signing_secret: '***', sync_method: 'POST', sync_duration_format: 'hms', sync_dir_inbound: true, sync_dir_outbound: true,
  sync_dir_internal: true, push_ringing: false, push_answered: false, sync_fields: [], recording_base_url: '',
  lookup_enabled: false, lookup_url: '', lookup_name_template: '[name]', retention_days: 30, field_catalog: ['call_id', 'caller'],
}
const deliveries = {
  items: [
    { id: 7, call_id: '1700.1', event: 'ended', status: 'failed', attempts: 1, status_code: 422, latency_ms: 12, error: 'HTTP 422', response_excerpt: 'bad', updated_at: 1 },
    { id: 6, call_id: '1700.0', event: 'ended', status: 'delivered', attempts: 2, status_code: 200, latency_ms: 30, error: null, response_excerpt: '{}', updated_at: 1 },
  ],
  next_cursor: null,
}
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })

/** A server double answering the CRM routes the page uses; records every call. */
function server() {
  const calls: { method: string; url: string; body: unknown }[] = []
  const f = vi.fn(async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET'
    calls.push({ method, url, body: init?.body ? JSON.parse(String(init.body)) : null })
    if (url === '/api/settings/crm' && method === 'GET') return json(200, settings)
    if (url === '/api/settings/crm/test') return json(200, { success: false, status_code: 401, body: '{"error":"bad key"}', latency_ms: 42, error: null, url: '' })
    if (url.startsWith('/api/crm/deliveries?')) return json(200, deliveries)
    if (url === '/api/crm/deliveries/resend') return json(202, { requested: 1, resent: 1 })
    return json(404, { error: { code: 'x', message: 'not found' } })
  })
  vi.stubGlobal('fetch', f)
  return calls
}
const wrap = (ui: ReactNode) => <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>{ui}</QueryClientProvider>

describe('admin CRM page', () => {
  it('shows only the credential fields of the chosen auth mode', async () => {
    server()
    render(wrap(<AdminCrm />))
    await screen.findByTestId('crm-form')
    expect(screen.getByTestId('crm-api_key')).toBeTruthy()
    expect(screen.queryByTestId('crm-oauth2_token_url')).toBeNull()
    fireEvent.change(screen.getByTestId('crm-auth_type'), { target: { value: 'oauth2' } })
    for (const k of authFields.oauth2) expect(screen.getByTestId(`crm-${k}`)).toBeTruthy()
    expect(screen.queryByTestId('crm-api_key')).toBeNull()
  })
  it('the Test button sends the form and shows the real answer', async () => {
    const calls = server()
    render(wrap(<AdminCrm />))
    await screen.findByTestId('crm-form')
    fireEvent.change(screen.getByTestId('crm-server_url'), { target: { value: 'https://other.example.com' } })
    fireEvent.click(screen.getByTestId('crm-test'))
    const result = await screen.findByTestId('crm-test-result')
    expect(result.textContent).toContain('HTTP status 401, 42 ms')
    expect(screen.getByTestId('crm-test-body').textContent).toBe('{"error":"bad key"}')
    const sent = calls.find((c) => c.url === '/api/settings/crm/test')!.body as Record<string, unknown>
    expect(sent.server_url).toBe('https://other.example.com')
    expect(sent.api_key).toBe('***') // untouched secrets go back as *** (server keeps them)
    expect(sent).not.toHaveProperty('field_catalog')
  })
  it('filters the delivery log and resends the selected rows', async () => {
    const calls = server()
    render(wrap(<AdminCrm />))
    await screen.findByTestId('crm-row-7')
    fireEvent.change(screen.getByTestId('crm-log-status'), { target: { value: 'failed' } })
    await waitFor(() => expect(calls.some((c) => c.url.includes('status=failed'))).toBe(true))
    fireEvent.click(screen.getByLabelText('Select delivery 7'))
    fireEvent.click(screen.getByTestId('crm-resend'))
    await waitFor(() => expect(calls.find((c) => c.url === '/api/crm/deliveries/resend')?.body).toEqual({ ids: [7] }))
  })
  it('builds the save body without the read-only catalogue', () => {
    expect(settingsBody(settings)).not.toHaveProperty('field_catalog')
    expect(settingsBody(settings).server_url).toBe('https://crm.example.com')
  })
})

describe('caller name hook', () => {
  function Name({ n }: { n: string }) { return <span data-testid="name">{useCallerName(n) ?? '-'}</span> }
  it('looks up long numbers and shows the name', async () => {
    const f = vi.fn(async (_url: string) => json(200, { phone: '+4930123456', name: 'Ada Lovelace', source: 'crm', cached: false, enabled: true }))
    vi.stubGlobal('fetch', f)
    render(wrap(<Name n="+49 30 123456" />))
    await waitFor(() => expect(screen.getByTestId('name').textContent).toBe('Ada Lovelace'))
    expect(String(f.mock.calls[0][0])).toBe('/api/crm/lookup?number=%2B49+30+123456')
  })
  it('never looks up extensions', () => {
    const f = vi.fn()
    vi.stubGlobal('fetch', f)
    render(wrap(<Name n="201" />))
    expect(screen.getByTestId('name').textContent).toBe('-')
    expect(f).not.toHaveBeenCalled()
    expect(lookupWorthy('201')).toBe(false)
    expect(lookupWorthy('+1 555 0100')).toBe(true)
  })
})
