// End-to-end: the real `opdesk serve --demo` + the built web UI in Debian's Chromium (playwright-core).
// Usage: (cd web && npm run build) && node e2e/run.mjs   — screenshots go to e2e/artifacts/.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { launch, login, repo, startServer } from './lib.mjs'

const art = join(repo, 'e2e', 'artifacts')
mkdirSync(art, { recursive: true })
const results = []
let server, ctx, ctx2, current = null, shot = 0
const expect = (cond, msg) => { if (!cond) throw new Error(msg) }

async function scenario(name, fn) {
  const t0 = Date.now()
  try { await fn(); results.push([name, true]); console.log(`ok   ${name} (${Date.now() - t0} ms)`) }
  catch (e) {
    results.push([name, false]); console.log(`FAIL ${name}: ${e?.message ?? e}`)
    await current?.screenshot({ path: join(art, `fail-${++shot}.png`) }).catch(() => {})
  }
}
const tiles = (page) => page.locator('article[data-testid^="ext-"]')

async function inCallExtensions(srv) {
  const r = await fetch(srv.url + '/api/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ login: 'admin', password: srv.password }) })
  const { access_token } = await r.json()
  const st = await (await fetch(srv.url + '/api/state', { headers: { Authorization: 'Bearer ' + access_token } })).json()
  return st.extensions.filter((e) => e.state === 'in_call').map((e) => e.extension)
}

async function main() {
  server = await startServer(['--sim-speed', process.env.E2E_SIM_SPEED ?? '4'])
  console.log(`server at ${server.url}`)
  ctx = await launch()
  const page = ctx.pages()[0] ?? await ctx.newPage()
  current = page
  const failures = []
  page.on('pageerror', (e) => failures.push(String(e)))

  await scenario('admin logs in and sees a simulated call whose timer runs', async () => {
    await page.goto(server.url + '/')
    await page.getByTestId('login-submit').waitFor()
    await page.screenshot({ path: join(art, 'login.png') })
    await login(page, server.url, 'admin', server.password)
    const call = page.locator('li[data-testid^="call-"]').first()
    await call.waitFor({ timeout: 30000 })
    const id = (await call.getAttribute('data-testid')).slice(5)
    const timer = page.getByTestId(`dur-${id}`)
    const t1 = await timer.textContent()
    await page.waitForTimeout(2500)
    if (await timer.count() > 0) expect(await timer.textContent() !== t1, `call ${id} timer stayed at ${t1}`)
    await page.screenshot({ path: join(art, 'live.png') })
  })

  let scope = []
  let sup = null
  await scenario('admin creates a scoped supervisor who sees only that scope and no forbidden buttons', async () => {
    await page.getByTestId('nav-admin').click()
    await page.getByTestId('user-new').click()
    const all = await page.locator('[data-testid^="pick-ext-"] input[type=checkbox], input[data-testid^="pick-ext-"][type=checkbox]').evaluateAll((els) => els.map((e) => e.dataset.testid.replace('pick-ext-', '')))
    expect(all.length >= 4, `picker lists only ${all.length} extensions`)
    // Scope: the extensions in a call right now (so the supervisor has something to listen to) + a few more.
    const talking = await inCallExtensions(server)
    const own = all.find((e) => !talking.includes(e))
    scope = [...new Set([...talking.filter((e) => all.includes(e)).slice(0, 6), ...all.filter((e) => e !== own).slice(0, 3)])]
    await page.getByTestId('user-username').fill('sup1')
    await page.getByTestId('user-name').fill('Supervisor One')
    await page.getByTestId('user-password').fill('Sup-' + server.password)
    await page.getByTestId('user-role').selectOption('supervisor')
    await page.getByTestId('user-extension').fill(own)
    await page.getByTestId('user-mode-listen').check()
    for (const e of scope) await page.getByTestId(`pick-ext-${e}`).check()
    await page.screenshot({ path: join(art, 'admin.png') })
    await page.getByTestId('user-save').click()
    await page.getByTestId('user-row-sup1').waitFor({ timeout: 10000 })
    scope = [own, ...scope]

    ctx2 = await launch()
    const p2 = ctx2.pages()[0] ?? await ctx2.newPage()
    await login(p2, server.url, 'sup1', 'Sup-' + server.password)
    await tiles(p2).first().waitFor({ timeout: 20000 })
    const seen = await tiles(p2).evaluateAll((els) => els.map((e) => e.dataset.testid.slice(4)))
    const outside = seen.filter((s) => !scope.includes(s))
    expect(outside.length === 0, `supervisor sees extensions outside the scope: ${outside.join(',')}`)
    expect(await p2.getByTestId('nav-admin').count() === 0, 'supervisor sees the Admin tab')
    expect(await p2.locator('[data-testid="action-barge"], [data-testid="action-whisper"]').count() === 0, 'supervisor sees barge/whisper')
    await p2.screenshot({ path: join(art, 'supervisor.png') })
    sup = p2
  })

  await scenario('the supervisor listens to a call in scope: action_result ok and the spied-by indicator appears', async () => {
    expect(sup, 'no supervisor session')
    current = sup
    await sup.getByTestId('ext-filter-state').selectOption('in_call')
    // A simulated call may end before the supervisor's phone answers the ChanSpy originate;
    // then the indicator never appears for that call, so try again on another one.
    let spied = false
    for (let attempt = 0; attempt < 3 && !spied; attempt++) {
      const btn = sup.locator('article[data-testid^="ext-"][data-state="in_call"] [data-testid="action-listen"]').first()
      try { await btn.waitFor({ timeout: 60000 }) } catch (e) {
        const rs = await sup.getByTestId('conn-state').getAttribute('data-resync').catch(() => null)
        throw new Error(`${e.message.split('\n')[0]} (last resync reason: ${rs})`)
      }
      await btn.click()
      const toast = sup.locator('[data-testid="toast-ok"], [data-testid="toast-error"]').last()
      await toast.waitFor({ timeout: 15000 })
      if (await toast.getAttribute('data-testid') !== 'toast-ok') continue  // the call ended meanwhile
      try {
        await sup.locator('[data-testid^="spied-"]').first().waitFor({ timeout: 20000 })
        spied = true
      } catch { /* the spied call ended first: next attempt */ }
    }
    expect(spied, 'no spied-by indicator after three listen attempts')
    await sup.screenshot({ path: join(art, 'listen.png') })
    current = page
  })

  await scenario('call log filters to calls with a recording and plays one', async () => {
    await page.getByTestId('nav-calllog').click()
    await page.getByTestId('log-has-recording').check()
    await page.getByTestId('log-apply').click()
    const audio = page.getByTestId('rec-audio').first()
    await audio.waitFor({ timeout: 20000 })
    const dur = await audio.evaluate((a) => new Promise((res) => {
      if (a.readyState >= 1) return res(a.duration)
      a.addEventListener('loadedmetadata', () => res(a.duration), { once: true })
      a.addEventListener('error', () => res(-1), { once: true })
      a.load(); setTimeout(() => res(a.duration || 0), 10000)
    }))
    expect(dur > 0, `recording did not load (duration ${dur})`)
    await page.screenshot({ path: join(art, 'calllog.png') })
  })

  await scenario('Arabic switches the page to RTL and the dark theme applies', async () => {
    await page.getByTestId('nav-live').click()
    await page.getByTestId('lang-select').selectOption('ar')
    expect(await page.evaluate(() => document.documentElement.dir) === 'rtl', 'html dir is not rtl')
    expect(await page.evaluate(() => document.documentElement.lang) === 'ar', 'html lang is not ar')
    if (await page.evaluate(() => document.documentElement.dataset.theme) !== 'dark') await page.getByTestId('theme-toggle').click()
    expect(await page.evaluate(() => document.documentElement.dataset.theme) === 'dark', 'theme is not dark')
    await page.screenshot({ path: join(art, 'live-ar-dark.png') })
  })

  await scenario('no uncaught page errors', async () => { expect(failures.length === 0, failures.join('\n')) })
}

try { await main() } catch (e) { results.push(['setup', false]); console.log(`FAIL setup: ${e?.message ?? e}`) }
finally {
  await ctx2?.close().catch(() => {}); await ctx?.close().catch(() => {}); await server?.stop()
}
const passed = results.filter((r) => r[1]).length, failed = results.length - passed
console.log(`e2e: ${passed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
