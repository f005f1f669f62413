// Compatibility end-to-end (#25): the upstream product's own, unmodified web client
// (../shared/upstream-client/dist, served by OpDesk through the configurable web root) against
// the real `opdesk serve --demo` (server + built-in simulator) in Debian's Chromium.
// Page by page it checks what an operator of the old product sees, and for the whole run it
// records every request the page makes: each must answer < 400 (or a 501 on the routes OpDesk
// documents as deliberately not done), and the console must stay free of errors (fonts aside:
// the sandbox has no internet). Ends with "upstream e2e: N passed, M failed".
// Usage: node e2e/upstream.mjs   (OPDESK_BIN = the binary; screenshots in e2e/artifacts/up-*.png)
import { existsSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { adminApi, launch, repo, sleep, startServer, until } from './lib.mjs'

const dist = resolve(repo, '..', 'shared', 'upstream-client', 'dist')
if (!existsSync(join(dist, 'index.html'))) {
  console.log(`upstream e2e: skipped (no upstream client at ${dist})`)
  process.exit(0)
}
const art = join(repo, 'e2e', 'artifacts')
mkdirSync(art, { recursive: true })
const results = []
let current = null, shot = 0
const expect = (cond, msg) => { if (!cond) throw new Error(msg) }
async function scenario(name, fn) {
  const t0 = Date.now()
  try { await fn(); results.push([name, true]); console.log(`ok   ${name} (${Date.now() - t0} ms)`) }
  catch (e) {
    results.push([name, false]); console.log(`FAIL ${name}: ${e?.message ?? e}`)
    await current?.screenshot({ path: join(art, `up-fail-${++shot}.png`) }).catch(() => {})
  }
}

// Upstream routes that configure what OpDesk deliberately leaves to the PBX: a 501 with a
// JSON error naming the reason is their documented answer (README "Migrating").
const documented501 = /^\/api\/((qos|recording|sip-tls|mobile-wake)\/(enable|disable)|settings\/extensions\/[^/]+\/webrtc|logs\/siptrace|device-tokens|push\/web-resubscribe|analytics\/(agent-adherence(\/export)?|export))$/
// Resolves once the page got an answer for `path` since `mark`.
const answered = (mark, path) => until(() => requests.slice(mark).some((r) => r.path.split('?')[0] === path), 15000, `GET ${path}`)
const isFont = (url) => /fonts\.(googleapis|gstatic)\.com/.test(url)

// Every request of the page, answered or failed, since `mark` (an index into the log).
const requests = []
const consoleErrors = []
function watch(page, origin) {
  page.on('response', (r) => {
    const url = r.url()
    if (!url.startsWith(origin)) return
    requests.push({ method: r.request().method(), path: url.slice(origin.length).replace(/token=[^&]+/, 'token=…'), status: r.status(), page: page.url() })
  })
  page.on('requestfailed', (r) => {
    const url = r.url()
    if (isFont(url) || !url.startsWith(origin)) return
    // Navigating away (or pausing an <audio>) aborts what is in flight: the client's doing, not
    // the server's (a server fault shows as a reset, an empty response or a refused connection).
    if (r.failure()?.errorText === 'net::ERR_ABORTED') return
    requests.push({ method: r.method(), path: url.slice(origin.length), status: 0, error: r.failure()?.errorText, page: page.url() })
  })
  page.on('console', (m) => {
    if (m.type() !== 'error') return
    const text = m.text()
    const where = m.location()?.url ?? ''
    if (isFont(text) || isFont(where)) return
    // The browser's own line for a response already judged by the request checks.
    if (/^Failed to load resource: the server responded with a status of/.test(text)) return
    consoleErrors.push(`${text} (${page.url()})`)
  })
  page.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e?.message ?? e}`))
}
const bad = (r) => r.status === 0 || (r.status >= 400 && !(r.status === 501 && documented501.test(r.path.split('?')[0])))
function requestsOk(since, what) {
  const failed = requests.slice(since).filter((r) => bad(r))
  const list = [...new Set(failed.map((r) => `${r.method} ${r.path.split('?')[0]} → ${r.status || r.error}`))]
  expect(list.length === 0, `${what}: failed requests: ${list.join('; ')}`)
}

// The upstream client keeps the page in the URL path (/extensions, /settings?tab=qos, ...).
async function open(page, url, path, ready) {
  const mark = requests.length
  await page.goto(url + path)
  await page.locator('.sidebar-connection.connected').waitFor({ timeout: 20000 })
  if (ready) await ready(mark)
  await sleep(1500)  // the page's own fetches settle
  await page.screenshot({ path: join(art, `up-${path.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '') || 'home'}.png`) })
  return mark
}

// The simulated office calls at random; when a check needs a call now, the admin places one.
async function placeCall(admin) {
  const st = await admin.get('/api/state')
  const idle = st.extensions.filter((e) => e.state === 'idle' && e.registered).map((e) => e.extension)
  if (idle.length < 2) return false
  await admin.post('/api/actions/originate', { from: idle[0], number: idle[idle.length - 1] }).catch(() => {})
  return true
}

async function main() {
  process.env.OPDESK_SERVER_WEB_DIR = dist  // the configurable web root (server.web_dir)
  const server = await startServer(['--sim-speed', process.env.E2E_SIM_SPEED ?? '4'])
  console.log(`server at ${server.url}, web root ${dist}`)
  const admin = await adminApi(server)
  const ctx = await launch()
  const page = ctx.pages()[0] ?? await ctx.newPage()
  current = page
  watch(page, server.url)
  // v1 frames as the page receives them: the cadence and the state the server renders.
  const frames = []
  page.on('websocket', (ws) => ws.on('framereceived', (f) => {
    try { const m = JSON.parse(f.payload); frames.push({ at: Date.now(), type: m.type, data: m.data }) } catch { /* binary */ }
  }))
  const url = server.url

  try {
    await scenario('the upstream client is served from the configured web root and logs in as admin', async () => {
      await page.goto(url + '/')
      await page.locator('input[autocomplete="username"]').fill('admin')
      await page.locator('input[autocomplete="current-password"]').fill(server.password)
      await page.locator('button[type="submit"]').click()
      await page.locator('.sidebar-connection.connected').waitFor({ timeout: 20000 })
      const init = await until(() => frames.find((f) => f.type === 'initial_state'), 10000, 'initial_state on the socket')
      expect(Object.keys(init.data.extensions).length > 0, 'initial_state has no extensions')
    })

    await scenario('the socket speaks the upstream protocol at its cadence (a full state about every 500 ms)', async () => {
      const from = Date.now()
      await sleep(4000)
      const ups = frames.filter((f) => f.type === 'state_update' && f.at >= from)
      expect(ups.length >= 6, `only ${ups.length} state_update frames in 4 s`)
      let gap = 0
      for (let i = 1; i < ups.length; i++) gap = Math.max(gap, ups[i].at - ups[i - 1].at)
      expect(gap < 1200, `a ${gap} ms gap between state_update frames`)
      expect(!frames.some((f) => f.type === 'snapshot' || f.type === 'delta'), 'the upstream client got OpDesk-protocol frames')
    })

    await scenario('extensions page: every extension with its live state', async () => {
      const mark = await open(page, url, '/extensions', () => page.locator('.extension-card').first().waitFor({ timeout: 15000 }))
      const st = await admin.get('/api/state')
      const cards = page.locator('.extension-card')
      expect(await cards.count() === st.extensions.length, `${await cards.count()} cards for ${st.extensions.length} extensions`)
      const classes = await cards.evaluateAll((els) => els.map((e) => e.className))
      expect(classes.every((c) => /status-[a-z_]+/.test(c)), 'a card without a status class')
      expect(classes.some((c) => !/status-(idle|unavailable)\b/.test(c)) || classes.some((c) => /status-idle/.test(c)), 'no live states shown')
      requestsOk(mark, 'extensions')
    })

    await scenario('active calls page: calls whose durations move', async () => {
      const mark = await open(page, url, '/calls')
      const dur = page.locator('.call-duration')
      await dur.first().waitFor({ timeout: 15000 }).catch(async () => { await placeCall(admin); await dur.first().waitFor({ timeout: 30000 }) })
      const row = dur.first().locator('xpath=ancestor::tr[1]')
      const who = (await row.locator('td').first().textContent()).trim()
      const first = await row.locator('.call-duration').first().textContent()
      const moved = await until(async () => {
        const r = page.locator('tr', { hasText: who }).first()
        if (!(await r.count())) return null
        const now = await r.locator('.call-duration').first().textContent().catch(() => null)
        return now && now !== first ? now : null
      }, 6000, `the duration of ${who}'s call to move from ${first}`).catch(() => null)
      if (!moved) {
        // That call may have ended: any call's duration must still move within 3 s.
        const a = await dur.allTextContents()
        await sleep(2500)
        const b = await dur.allTextContents()
        expect(b.length > 0 && JSON.stringify(a) !== JSON.stringify(b), `durations did not move (${a} → ${b})`)
      }
      requestsOk(mark, 'active calls')
    })

    await scenario('queues page: queues with waiting callers and their wait times', async () => {
      const mark = await open(page, url, '/queues', () => page.locator('.queue-card').first().waitFor({ timeout: 15000 }))
      const st = await admin.get('/api/state')
      expect(await page.locator('.queue-card').count() === st.queues.length, 'not every queue has a card')
      // The simulated office sends callers to queues; wait for one to be waiting.
      await until(async () => (await page.locator('.queue-card .queue-waiting:not(.empty)').count()) > 0, 90000, 'a waiting caller in a queue')
      const waits = await page.locator('.queue-card').evaluateAll((els) => els.map((e) => e.textContent))
      expect(waits.some((t) => /\d\d:\d\d/.test(t)), 'no MM:SS wait time shown for the waiting callers')
      requestsOk(mark, 'queues')
    })

    await scenario('a queue member is paused from the UI and the PBX state follows', async () => {
      const mark = requests.length
      const btn = page.locator('.queue-member-actions button:not(.btn-barge):not(.btn-listen)').first()
      await btn.waitFor({ timeout: 10000 })
      const member = btn.locator('xpath=ancestor::*[contains(@class,"queue-member")][1]')
      const iface = (await member.locator('.queue-member-interface').textContent({ timeout: 2000 }).catch(() => '')).trim()
      await btn.click()
      const paused = await until(async () => {
        const st = await admin.get('/api/state')
        for (const q of st.queues) for (const m of q.members) if ((!iface || m.interface.includes(iface) || iface.includes(m.interface)) && m.paused) return `${q.name}/${m.interface}`
        return null
      }, 10000, `member ${iface} paused on the PBX`)
      await until(async () => (await page.locator('.queue-member-actions button.btn-listen').count()) > 0, 5000, 'the member shown paused')
      console.log(`     paused ${paused} from the upstream UI`)
      requestsOk(mark, 'queue pause')
    })

    await scenario('call history page: rows from the call log', async () => {
      await until(async () => {
        const r = await fetch(`${url}/api/call-log?limit=5`, { headers: { Authorization: 'Bearer ' + admin.token } })
        const j = await r.json().catch(() => ({}))
        return Array.isArray(j.calls) && j.calls.length > 0
      }, 60000, 'a finished call in GET /api/call-log (upstream shape {calls:[…]})')
      // The next scenario plays a recording: wait for an answered, recorded call (an unanswered
      // one leaves an empty recording, as FreePBX does).
      await until(async () => (await admin.get('/api/calls/history?has_recording=true&outcome=answered&limit=1')).items.length > 0,
        90000, 'an answered call with a recording in the log')
      const mark = await open(page, url, '/call-log')
      await until(async () => (await page.locator('table tbody tr').count()) > 0, 15000, 'rows in the call history')
      requestsOk(mark, 'call history')
    })

    await scenario('a recording plays from the call history', async () => {
      const mark = requests.length
      await until(async () => (await page.locator('audio').count()) > 0, 20000, 'a recording player in the call history')
      const ok = await page.locator('audio').evaluateAll((els) => Promise.all(els.slice(0, 60).map((a) => new Promise((res) => {
        if (a.readyState >= 1) return res(a.duration)
        a.addEventListener('loadedmetadata', () => res(a.duration), { once: true })
        a.addEventListener('error', () => res(-1), { once: true })
        a.preload = 'metadata'; a.load()
        setTimeout(() => res(a.duration || 0), 8000)
      }))))
      expect(ok.some((d) => d > 0), `no recording loaded (durations ${ok.join(', ')})`)
      const play = await page.locator('audio').first().evaluate((a) => a.play().then(() => true, (e) => String(e)))
      expect(play === true || /user|interact|NotAllowed/.test(String(play)), `play() failed: ${play}`)
      requestsOk(mark, 'recording')
    })

    for (const [name, path, ready] of [
      ['users page', '/users', () => page.getByText('admin', { exact: true }).first().waitFor({ timeout: 15000 })],
      ['groups page', '/groups', (mark) => answered(mark, '/api/settings/groups')],
      ['contacts page', '/contacts', (mark) => answered(mark, '/api/contacts')],
      ['CRM settings page', '/settings?tab=integrations', () => page.locator('form.crmx, .crmx-loading').first().waitFor({ timeout: 15000 })],
      ['QoS settings page', '/settings?tab=qos', () => page.locator('.up-root').first().waitFor({ timeout: 15000 })],
    ]) {
      await scenario(`${name}: loads without a failed request`, async () => {
        const mark = await open(page, url, path, ready)
        expect(requests.slice(mark).some((r) => r.path.startsWith('/api/')), `${path} made no API request`)
        requestsOk(mark, name)
      })
    }

    await scenario('every request of the whole run answered < 400 (or a documented 501)', async () => {
      const n501 = requests.filter((r) => r.status === 501)
      if (n501.length) console.log(`     documented 501s: ${[...new Set(n501.map((r) => r.path.split('?')[0]))].join(', ')}`)
      console.log(`     ${requests.length} requests recorded`)
      requestsOk(0, 'whole run')
    })

    await scenario('no console errors (fonts aside)', async () => {
      expect(consoleErrors.length === 0, [...new Set(consoleErrors)].slice(0, 10).join('\n'))
    })
  } finally {
    await ctx.close().catch(() => {})
    await server.stop()
  }
}

main().catch((e) => { console.log(`FAIL setup: ${e?.stack ?? e}`); results.push(['setup', false]) }).finally(() => {
  const p = results.filter((r) => r[1]).length
  console.log(`upstream e2e: ${p} passed, ${results.length - p} failed`)
  process.exit(results.length - p > 0 ? 1 : 0)
})
