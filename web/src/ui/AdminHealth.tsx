/* Admin "Health" page (issue #12): the same checks as `opdesk doctor`, run by the server on
 * GET /api/health/checks (admin only; each run opens its own short AMI session, so it runs on
 * open and on demand, never on a timer). Failures first, then warnings, then what is fine;
 * every finding that is not ok shows its fix. Check titles are translated by check id, with the
 * server's English title as the fallback (database checks are named after their schema). */
import { useMemo } from 'react'
import { useTranslation } from 'react-i18next'
import { useQuery } from '@tanstack/react-query'
import { api } from '../lib/http'

export type CheckStatus = 'ok' | 'warn' | 'fail'
export interface HealthCheck { id: string; title: string; status: CheckStatus; detail: string; fix: string }
export interface HealthAnswer { checks: HealthCheck[]; summary: { ok: number; warn: number; fail: number } }

const rank: Record<CheckStatus, number> = { fail: 0, warn: 1, ok: 2 }

/** Failures first, then warnings, then ok; the server's order inside each group. */
export function sortChecks(checks: HealthCheck[]): HealthCheck[] {
  return checks.map((c, i) => ({ c, i })).sort((a, b) => rank[a.c.status] - rank[b.c.status] || a.i - b.i).map((x) => x.c)
}

export function AdminHealth() {
  const { t } = useTranslation()
  const q = useQuery({
    queryKey: ['health-checks'],
    queryFn: () => api<HealthAnswer>('/api/health/checks'),
    staleTime: Infinity, refetchOnWindowFocus: false, retry: false,
  })
  const checks = useMemo(() => sortChecks(q.data?.checks ?? []), [q.data])
  const s = q.data?.summary
  return (
    <div className="admin-health">
      <p className="muted">{t('health.hint')}</p>
      <div className="health-bar">
        <button type="button" data-testid="health-run" disabled={q.isFetching} onClick={() => void q.refetch()}>
          {q.isFetching ? t('health.running') : t('health.run')}
        </button>
        {s && <span data-testid="health-summary" className={s.fail ? 'badge bad' : 'badge ok'}>{t('health.summary', { ok: s.ok, warn: s.warn, fail: s.fail })}</span>}
      </div>
      {q.error && <p className="banner bad" data-testid="health-error">{t('admin.error', { message: (q.error as Error).message })}</p>}
      <ul className="health-list">
        {checks.map((c) => (
          <li key={c.id} data-testid={`health-${c.id}`} className={`health-item health-${c.status}`}>
            <span className={`health-status health-status-${c.status}`}>{t(`health.status.${c.status}`)}</span>
            <strong>{t(`health.check.${c.id}`, { defaultValue: c.title })}</strong>
            <span className="health-detail">{c.detail}</span>
            {c.status !== 'ok' && c.fix && <div className="health-fix" data-testid={`health-${c.id}-fix`}>{t('health.fix')}: <code>{c.fix}</code></div>}
          </li>
        ))}
      </ul>
    </div>
  )
}
