// End-to-end: the real `opdesk serve --demo` + the built web UI in Debian's Chromium (playwright-core).
// Usage: (cd web && npm run build) && node e2e/run.mjs   — screenshots go to e2e/artifacts/.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { launch, login, repo, startServer } from './lib.mjs'

const art = join(repo, 'e2e', 'artifacts')
mkdirSync(art, { recursive: true })
const results = []
let server, ctx, ctx2
const expect = (cond, msg) => { if (!cond) throw new Error(msg) }

async function scenario(name, fn) {
  const t0 = Date.now()
  try { await fn(); results.push([name, true]); console.log(`ok   ${name} (${Date.now() - t0} ms)`) }
  catch (e) { results.push([name, false]); console.log(`FAIL ${name}: ${e?.message ?? e}`) }
}
const tiles = (page) => page.locator('article[data-testid^="ext-"]')

async function main() {
  server = await startServer()
  console.log(`server at ${server.url}`)
  ctx = await launch()
  const page = ctx.pages()[0] ?? await ctx.newPage()
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
    const timer = page.getByTestId(`talk-${id}`)
    // Wait for the call to be answered and its talk timer to move.
    let first = null
    for (let i = 0; i < 40; i++) {
      if (await timer.count() === 0) break
      const txt = await timer.textContent()
      if (first === null && txt !== '00:00') first = txt
      else if (first !== null && txt !== first) break
      await page.waitForTimeout(500)
    }
    const second = await page.locator('li[data-testid^="call-"] .timer').first().textContent()
    expect(first !== null || second !== '00:00', 'no call timer ever moved')
    await page.screenshot({ path: join(art, 'live.png') })
  })

  await scenario('listening to a call answers ok and shows the spied-by indicator', async () => {
    await page.getByTestId('ext-filter-state').selectOption('in_call')
    const btn = page.locator('article[data-testid^="ext-"][data-state="in_call"] [data-testid="action-listen"]').first()
    await btn.waitFor({ timeout: 30000 })
    await btn.click()
    const toast = page.locator('[data-testid="toast-ok"], [data-testid="toast-error"]').first()
    await toast.waitFor({ timeout: 10000 })
    expect(await toast.getAttribute('data-testid') === 'toast-ok', `listen failed: ${await toast.textContent()}`)
    await page.locator('[data-testid^="spied-"]').first().waitFor({ timeout: 10000 })
    await page.getByTestId('ext-filter-state').selectOption('')
    await page.screenshot({ path: join(art, 'listen.png') })
  })

  let scope = []
  await scenario('admin creates a scoped supervisor who sees only that scope and no forbidden buttons', async () => {
    await page.getByTestId('nav-admin').click()
    await page.getByTestId('user-new').click()
    const all = await page.locator('[data-testid^="pick-ext-"] input[type=checkbox], input[data-testid^="pick-ext-"][type=checkbox]').evaluateAll((els) => els.map((e) => e.dataset.testid.replace('pick-ext-', '')))
    expect(all.length >= 4, `picker lists only ${all.length} extensions`)
    const own = all[0]; scope = all.slice(1, 4)
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
