import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanup, fireEvent, render, screen } from '@testing-library/react'
import i18n from '../i18n'
import { Login } from './Login'
import { getToken, setToken } from '../lib/http'

function fill() {
  fireEvent.change(screen.getByTestId('login-user'), { target: { value: 'alice' } })
  fireEvent.change(screen.getByTestId('login-password'), { target: { value: 'pw' } })
  fireEvent.click(screen.getByTestId('login-submit'))
}
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } })

describe('login errors', () => {
  afterEach(() => { cleanup(); vi.unstubAllGlobals(); setToken(null); void i18n.changeLanguage('en') })
  it('says wrong credentials on 401', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json(401, { error: { code: 'auth.credentials.invalid', message: 'bad' } })))
    render(<Login onLogin={() => {}} />); fill()
    expect((await screen.findByTestId('login-error')).textContent).toBe('Wrong username or password.')
  })
  it('shows the lockout time left from Retry-After on 429', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json(429, { error: { code: 'auth.rate_limited', message: 'slow down' } }, { 'Retry-After': '42' })))
    render(<Login onLogin={() => {}} />); fill()
    expect((await screen.findByTestId('login-error')).textContent).toContain('42')
  })
  it('says the server is unreachable when fetch fails', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => { throw new TypeError('Failed to fetch') }))
    render(<Login onLogin={() => {}} />); fill()
    expect((await screen.findByTestId('login-error')).textContent).toMatch(/cannot be reached/)
  })
  it('stores the token in sessionStorage and posts {login,password}', async () => {
    const f = vi.fn(async (_u: string, _init?: RequestInit) => json(200, { access_token: 'jwt1', token_type: 'bearer', expires_at: 0, user: { id: 1, username: 'alice', role: 'agent', monitor_modes: [] } }))
    vi.stubGlobal('fetch', f)
    const done = vi.fn()
    render(<Login onLogin={done} />); fill()
    await vi.waitFor(() => expect(done).toHaveBeenCalled())
    expect(getToken()).toBe('jwt1')
    expect(f.mock.calls[0][0]).toBe('/api/auth/login')
    expect(JSON.parse(String(f.mock.calls[0][1]?.body))).toEqual({ login: 'alice', password: 'pw' })
  })
  it('shows the message in Arabic with the document in RTL', async () => {
    await i18n.changeLanguage('ar')
    expect(document.documentElement.dir).toBe('rtl')
    vi.stubGlobal('fetch', vi.fn(async () => json(401, {})))
    render(<Login onLogin={() => {}} />); fill()
    expect((await screen.findByTestId('login-error')).textContent).toBe('اسم المستخدم أو كلمة المرور غير صحيحة.')
  })
})
