// UI benchmark (not a test): initial JS/CSS gzipped size, then Chromium with a large simulated office:
// long tasks per second and JS heap while the simulator streams events.
// Usage: (cd web && npm run build) && node e2e/bench-ui.mjs [--extensions 5000] [--speed 20] [--seconds 20]
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { launch, login, repo, startServer } from './lib.mjs'

const arg = (n, d) => { const i = process.argv.indexOf(`--${n}`); return i > 0 ? process.argv[i + 1] : d }
const dist = join(repo, 'web', 'dist')
const html = readFileSync(join(dist, 'index.html'), 'utf8')
const initial = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1])
let total = 0
for (const f of initial) { const n = gzipSync(readFileSync(join(dist, f)), { level: 9 }).length; total += n; console.log(`${f}: ${(n / 1024).toFixed(1)} KB gz`) }
console.log(`initial JS+CSS: ${(total / 1024).toFixed(1)} KB gzipped (goal <= 200 KB) — ${total <= 200 * 1024 ? 'ok' : 'OVER'}`)

const server = await startServer(['--sim-extensions', arg('extensions', '5000'), '--sim-speed', arg('speed', '20')])
const ctx = await launch()
try {
  const page = ctx.pages()[0] ?? await ctx.newPage()
  await page.addInitScript(() => {
    window.__long = []
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push(e.duration) }).observe({ type: 'longtask', buffered: true })
  })
  await login(page, server.url, 'admin', server.password)
  await page.locator('article[data-testid^="ext-"]').first().waitFor({ timeout: 30000 })
  const seconds = Number(arg('seconds', '20'))
  await page.evaluate(() => { window.__long = [] })
  const t0 = Date.now()
  for (let i = 0; i < seconds; i++) { await page.mouse.wheel(0, 400); await page.waitForTimeout(1000) }
  const el = (Date.now() - t0) / 1000
  const r = await page.evaluate(() => ({ long: window.__long, heap: performance.memory?.usedJSHeapSize ?? 0, exts: document.querySelector('#ext-title small')?.textContent }))
  const sum = r.long.reduce((a, b) => a + b, 0)
  console.log(`${r.exts}; over ${el.toFixed(1)} s: ${(r.long.length / el).toFixed(2)} long tasks/s, ${(sum / el).toFixed(0)} ms/s blocked, JS heap ${(r.heap / 1048576).toFixed(1)} MB`)
} finally { await ctx.close(); await server.stop() }
