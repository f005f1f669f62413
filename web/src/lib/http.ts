/* REST helpers: bearer token from sessionStorage, JSON errors mapped to ApiError. */
import type { User } from '../live/protocol'

const KEY = 'opdesk.token'
export const getToken = () => sessionStorage.getItem(KEY)
export const setToken = (t: string | null) => (t ? sessionStorage.setItem(KEY, t) : sessionStorage.removeItem(KEY))

export class ApiError extends Error {
  constructor(public status: number, public code: string, message: string, public retryAfter: number | null = null) { super(message) }
}

async function toError(res: Response): Promise<ApiError> {
  let code = `http.${res.status}`, message = res.statusText
  try { const j = await res.json(); if (j?.error) { code = j.error.code ?? code; message = j.error.message ?? message } } catch { /* not json */ }
  const ra = res.headers.get('Retry-After')
  return new ApiError(res.status, code, message, ra != null && !isNaN(Number(ra)) ? Number(ra) : null)
}

export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers)
  const tok = getToken()
  if (tok) headers.set('Authorization', `Bearer ${tok}`)
  if (init.body && !headers.has('Content-Type')) headers.set('Content-Type', 'application/json')
  let res: Response
  try { res = await fetch(path, { ...init, headers }) } catch { throw new ApiError(0, 'network.unreachable', 'unreachable') }
  if (!res.ok) throw await toError(res)
  if (res.status === 204) return undefined as T
  return (await res.json()) as T
}

export interface LoginAnswer { access_token: string; token_type: string; expires_at: number; user: User }
export async function login(loginName: string, password: string): Promise<LoginAnswer> {
  const r = await api<LoginAnswer>('/api/auth/login', { method: 'POST', body: JSON.stringify({ login: loginName, password }) })
  setToken(r.access_token)
  return r
}

export const qs = (o: Record<string, string | number | boolean | undefined | null>) =>
  new URLSearchParams(Object.entries(o).filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) => [k, String(v)])).toString()
