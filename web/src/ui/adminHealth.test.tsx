import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import '../i18n'
import { AdminHealth, sortChecks, type HealthAnswer, type HealthCheck } from './AdminHealth'

const checks: HealthCheck[] = [
  { id: 'ami_login', title: 'AMI login', status: 'ok', detail: 'logged in as opdesk', fix: '' },
  { id: 'timestampevents', title: 'timestampevents', status: 'warn', detail: 'none with a Timestamp header', fix: 'set timestampevents = yes' },
  { id: 'recordings', title: 'Recordings folder readable', status: 'fail', detail: '/x does not exist', fix: 'create /x' },
  { id: 'database_asteriskcdrdb', title: 'Database reachable: asteriskcdrdb', status: 'ok', detail: 'answered', fix: '' },
]
const answer: HealthAnswer = { checks, summary: { ok: 2, warn: 1, fail: 1 } }
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })

function mount(reply: () => Response) {
  const fetch = vi.fn(async () => reply())
  vi.stubGlobal('fetch', fetch)
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } })
  render(<QueryClientProvider client={qc}><AdminHealth /></QueryClientProvider>)
  return fetch
}

describe('admin health page (issue #12)', () => {
  afterEach(() => { cleanup(); vi.unstubAllGlobals() })
  it('orders failures first, then warnings, keeping the server order inside each group', () => {
    expect(sortChecks(checks).map((c) => c.id)).toEqual(['recordings', 'timestampevents', 'ami_login', 'database_asteriskcdrdb'])
  })
  it('runs the checks on open and shows each finding with its fix, translated by id', async () => {
    const fetch = mount(() => json(200, answer))
    expect(await screen.findByTestId('health-recordings')).toBeTruthy()
    expect(fetch).toHaveBeenCalledWith('/api/health/checks', expect.anything())
    expect(screen.getByTestId('health-summary').textContent).toBe('2 ok, 1 warnings, 1 failures')
    expect(screen.getByTestId('health-recordings').textContent).toContain('Recordings folder readable')
    expect(screen.getByTestId('health-recordings-fix').textContent).toContain('create /x')
    expect(screen.getByTestId('health-timestampevents').textContent).toContain('Timestamped events')
    expect(screen.queryByTestId('health-ami_login-fix')).toBeNull()
    // No translation for a database schema's check: the server's title is shown.
    expect(screen.getByTestId('health-database_asteriskcdrdb').textContent).toContain('Database reachable: asteriskcdrdb')
    const items = screen.getAllByRole('listitem').map((li) => li.getAttribute('data-testid'))
    expect(items[0]).toBe('health-recordings')
  })
  it('runs again on demand and shows a refusal as an error', async () => {
    let n = 0
    const fetch = mount(() => (++n === 1 ? json(200, answer) : json(429, { error: { code: 'health.checks.busy', message: 'a health check is already running' } })))
    await screen.findByTestId('health-recordings')
    fireEvent.click(screen.getByTestId('health-run'))
    await waitFor(() => expect(fetch).toHaveBeenCalledTimes(2))
    expect((await screen.findByTestId('health-error')).textContent).toContain('a health check is already running')
  })
})
