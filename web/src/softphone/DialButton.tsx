/* DialButton: "call this number from the browser", shown next to numbers in the extensions grid
 * and the call log only while the user's softphone is registered (otherwise the panel's
 * click-to-call through the PBX is the way). */
import { useTranslation } from 'react-i18next'
import { PhoneCall } from 'lucide-react'
import { dial, usePhone } from './engine'

export function DialButton({ number, testId }: { number: string | null | undefined; testId?: string }) {
  const { t } = useTranslation()
  const ready = usePhone((s) => s.reg === 'registered' && !s.dnd)
  const own = usePhone((s) => s.extension)
  if (!ready || !number || number === own) return null
  return (
    <button type="button" className="icon-btn" data-testid={testId ?? `sp-dial-${number}`}
      aria-label={`${t('softphone.call_from_browser')} ${number}`} title={t('softphone.call_from_browser')}
      onClick={() => dial(number)}><PhoneCall size={14} aria-hidden /></button>
  )
}
