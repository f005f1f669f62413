/* i18n setup: all strings live in locales/<lng>.json; Arabic switches the document to RTL. */
import i18n from 'i18next'
import { initReactI18next } from 'react-i18next'
import en from './locales/en.json'
import ar from './locales/ar.json'
import es from './locales/es.json'
import pt from './locales/pt.json'

export const languages = { en: 'English', ar: 'العربية', es: 'Español', pt: 'Português' } as const
export type Lang = keyof typeof languages
export const resources = { en: { translation: en }, ar: { translation: ar }, es: { translation: es }, pt: { translation: pt } }
const LKEY = 'opdesk.lang'

export function applyDir(lng: string) {
  document.documentElement.lang = lng
  document.documentElement.dir = lng === 'ar' ? 'rtl' : 'ltr'
}
function initial(): Lang {
  const saved = localStorage.getItem(LKEY)
  if (saved && saved in languages) return saved as Lang
  const nav = (navigator.language || 'en').slice(0, 2)
  return (nav in languages ? nav : 'en') as Lang
}
void i18n.use(initReactI18next).init({ resources, lng: initial(), fallbackLng: 'en', interpolation: { escapeValue: false } })
applyDir(i18n.language)
i18n.on('languageChanged', (l) => { applyDir(l); localStorage.setItem(LKEY, l) })
export default i18n
