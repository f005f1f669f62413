/* useCallerName: the name of a caller's number from GET /api/crm/lookup (local contacts, then
 * the CRM), for ringing calls and the call log. TanStack Query caches per number for 10 minutes
 * (the server caches CRM answers for CRM_LOOKUP_TTL_HOURS); short internal numbers (≤ 5 digits,
 * extensions) and empty input are never looked up. Returns null while unknown. */
import { useQuery } from '@tanstack/react-query'
import { api, qs } from '../lib/http'

export interface LookupAnswer { phone: string; name: string | null; source: 'contacts' | 'crm' | 'none'; cached: boolean; enabled: boolean }

/** Numbers worth a lookup: at least 6 digits (extensions are named by the panel itself). */
export const lookupWorthy = (number: string | null | undefined) => (number ?? '').replace(/\D/g, '').length > 5

export const callerNameKey = (number: string) => ['caller-name', number.replace(/\D/g, '')] as const

export function useCallerName(number: string | null | undefined): string | null {
  const n = number ?? ''
  const q = useQuery({
    queryKey: callerNameKey(n),
    queryFn: () => api<LookupAnswer>(`/api/crm/lookup?${qs({ number: n })}`),
    enabled: lookupWorthy(n),
    staleTime: 10 * 60_000,
    gcTime: 30 * 60_000,
    retry: false,
  })
  return q.data?.name ?? null
}
