import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import './i18n'
import './index.css'
import { applyTheme } from './ui/theme'
import { App } from './App'
import { ApiError } from './lib/http'
import { logout } from './ui/session'

applyTheme()
const client = new QueryClient({
  defaultOptions: {
    queries: { staleTime: 10_000, retry: (n, e) => !(e instanceof ApiError && e.status >= 400 && e.status < 500) && n < 2 },
  },
})
client.getQueryCache().subscribe((ev) => {
  const e = ev.query.state.error
  if (e instanceof ApiError && e.status === 401) logout()
})
createRoot(document.getElementById('root')!).render(<StrictMode><QueryClientProvider client={client}><App /></QueryClientProvider></StrictMode>)
