// UI benchmark (not a test; run by `make bench` through scripts/run-benches):
//  1. the gzipped size of the initial JS + CSS that index.html loads (goal <= 200 KB; lazy chunks
//     such as the softphone's SIP stack are listed apart);
//  2. in Chromium, the frame budget of the live panel while the simulator streams events:
//     long tasks per second, main-thread ms blocked per second, frames per second and JS heap,
//     for a baseline office (24 extensions) and a large one (5,000 extensions by default),
//     measured in the same run and printed with their ratio. The events/s the server really
//     received from the simulator are printed next to each phase.
// Usage: (cd web && npm run build) && node e2e/bench-ui.mjs [--extensions 5000] [--speed 4] [--seconds 20]
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { adminApi, launch, login, repo, startServer } from './lib.mjs'

const arg = (n, d) => { const i = process.argv.indexOf(`--${n}`); return i > 0 ? process.argv[i + 1] : d }
const kb = (n) => `${(n / 1024).toFixed(1)} KB`

function bundleSize() {
  const dist = join(repo, 'web', 'dist')
  const html = readFileSync(join(dist, 'index.html'), 'utf8')
  const initial = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1])
  const gz = (f) => gzipSync(readFileSync(join(dist, f)), { level: 9 }).length
  let total = 0
  for (const f of initial) { const n = gz(f); total += n; console.log(`  initial ${f}: ${kb(n)} gz`) }
  for (const f of readdirSync(join(dist, 'assets')).map((x) => `assets/${x}`).filter((x) => /\.(js|css)$/.test(x) && !initial.includes(x))) {
    console.log(`  lazy    ${f}: ${kb(gz(f))} gz`)
  }
  console.log(`initial JS+CSS: ${kb(total)} gzipped (goal <= 200 KB) — ${total <= 200 * 1024 ? 'ok' : 'OVER'}`)
}

/** One phase: a fresh server + browser; returns the per-second figures. */
async function phase(label, extensions, speed, seconds) {
  const server = await startServer(['--sim-extensions', String(extensions), '--sim-speed', String(speed)])
  const ctx = await launch()
  try {
    const admin = await adminApi(server)
    const page = ctx.pages()[0] ?? await ctx.newPage()
    await page.addInitScript(() => {
      window.__long = []; window.__frames = 0
      new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push(e.duration) }).observe({ type: 'longtask', buffered: true })
      const tick = () => { window.__frames++; requestAnimationFrame(tick) }; requestAnimationFrame(tick)
    })
    await login(page, server.url, 'admin', server.password, 120000) // a debug server takes a while to load 5,000 phones
    await page.locator('article[data-testid^="ext-"]').first().waitFor({ timeout: 60000 })
    await page.waitForTimeout(2000) // let the initial snapshot settle
    const ev0 = (await admin.get('/api/status')).pbx?.events ?? 0
    await page.evaluate(() => { window.__long = []; window.__frames = 0 })
    const t0 = Date.now()
    for (let i = 0; i < seconds; i++) { await page.mouse.move(300, 300); await page.mouse.wheel(0, i % 4 === 3 ? -900 : 300); await page.waitForTimeout(1000) }
    const el = (Date.now() - t0) / 1000
    const st = await admin.get('/api/status')
    const r = await page.evaluate(() => ({ long: window.__long, frames: window.__frames, heap: performance.memory?.usedJSHeapSize ?? 0, exts: document.querySelector('[data-testid="ext-count"]')?.textContent }))
    const out = { long: r.long.length / el, blocked: r.long.reduce((a, b) => a + b, 0) / el, fps: r.frames / el, heap: r.heap / 1048576, events: ((st.pbx?.events ?? 0) - ev0) / el }
    console.log(`${label}: ${r.exts}, ${out.events.toFixed(0)} AMI events/s for ${el.toFixed(1)} s (${st.active_calls} calls now, ${st.pbx?.reconnects ?? 0} AMI reconnects): ` +
      `${out.long.toFixed(2)} long tasks/s, ${out.blocked.toFixed(0)} ms/s blocked, ${out.fps.toFixed(0)} frames/s, JS heap ${out.heap.toFixed(1)} MB`)
    return out
  } finally { await ctx.close(); await server.stop() }
}

bundleSize()
const seconds = Number(arg('seconds', '20'))
const base = await phase('baseline (24 extensions)', 24, 4, Math.min(seconds, 10))
const big = await phase(`large (${arg('extensions', '5000')} extensions)`, Number(arg('extensions', '5000')), Number(arg('speed', '4')), seconds)
const ratio = (a, b) => (b > 0 ? (a / b).toFixed(2) : `${a.toFixed(0)} (baseline 0)`)
console.log(`large vs baseline: ms blocked/s x${ratio(big.blocked, base.blocked)}, frames/s x${ratio(big.fps, base.fps)}, heap x${ratio(big.heap, base.heap)}`)
