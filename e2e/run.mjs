// End-to-end: the real `opdesk serve --demo` (server + built-in Asterisk simulator) and the built
// web UI in Debian's Chromium (playwright-core). Each scenario drives the UI like a person and
// checks the result on the server side (REST state, audit log) where the UI alone could lie.
// Usage: (cd web && npm run build) && node e2e/run.mjs   — screenshots go to e2e/artifacts/*.png.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { adminApi, launch, login, repo, sleep, startServer, until } from './lib.mjs'

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
const snap = (page, name) => page.screenshot({ path: join(art, `${name}.png`) })
/** Starts recording toasts added from now on (toasts expire, so counting them would race). */
const armToasts = (page) => page.evaluate(() => {
  window.__toasts = []
  window.__toastObs?.disconnect()
  window.__toastObs = new MutationObserver((ms) => { for (const m of ms) for (const n of m.addedNodes) {
    if (n.nodeType === 1 && /^toast-(ok|error)$/.test(n.dataset?.testid ?? '')) window.__toasts.push({ ok: n.dataset.testid === 'toast-ok', text: n.textContent })
  } })
  window.__toastObs.observe(document.body, { childList: true, subtree: true })
})
/** The first toast since armToasts() that answers the user's own action: {ok, text}. Call-quality
 *  alerts (the simulated office has poor calls at random) arrive as toasts too and are skipped. */
async function nextToast(page) {
  // Functions, not strings: the page's CSP forbids eval.
  await page.waitForFunction(() => (window.__toasts ?? []).some((t) => !/ poor: .*loss/.test(t.text)), null, { timeout: 15000 })
  return page.evaluate(() => window.__toasts.find((t) => !/ poor: .*loss/.test(t.text)))
}

// The simulated office calls at random: when a scenario needs a call now, the admin places one
// (click-to-call between two idle phones, optionally among `among`; the simulated callee answers).
async function placeCall(admin, among = null, avoid = []) {
  const st = await admin.get('/api/state')
  const idle = st.extensions.filter((e) => e.state === 'idle' && e.registered && (!among || among.includes(e.extension)) && !avoid.includes(e.extension)).map((e) => e.extension)
  if (idle.length < 2) return false
  await admin.post('/api/actions/originate', { from: idle[0], number: idle[idle.length - 1] }).catch(() => {})
  return true
}

async function main() {
  server = await startServer(['--sim-speed', process.env.E2E_SIM_SPEED ?? '4'])
  console.log(`server at ${server.url}`)
  const admin = await adminApi(server)
  ctx = await launch()
  const page = ctx.pages()[0] ?? await ctx.newPage()
  current = page
  const failures = []
  page.on('pageerror', (e) => failures.push(String(e)))

  await scenario('admin logs in and sees a simulated call whose timer runs', async () => {
    await page.goto(server.url + '/')
    await page.getByTestId('login-submit').waitFor()
    await snap(page, 'login')
    await login(page, server.url, 'admin', server.password)
    expect((await page.getByTestId('current-user').textContent()).includes('Admin'), 'the header does not show the role')
    const call = page.locator('li[data-testid^="call-"]').first()
    await call.waitFor({ timeout: 15000 }).catch(async () => { await placeCall(admin); await call.waitFor({ timeout: 30000 }) })
    const id = (await call.getAttribute('data-testid')).slice(5)
    const timer = page.getByTestId(`dur-${id}`)
    const t1 = await timer.textContent()
    await page.waitForTimeout(2500)
    if (await timer.count() > 0) expect(await timer.textContent() !== t1, `call ${id} timer stayed at ${t1}`)
    await snap(page, 'live')
  })

  let scope = []
  let sup = null, supExt = null
  await scenario('admin creates a scoped supervisor who sees only that scope and no forbidden buttons', async () => {
    await page.getByTestId('nav-admin').click()
    await page.getByTestId('user-new').click()
    const all = await page.locator('input[data-testid^="pick-ext-"][type=checkbox]').evaluateAll((els) => els.map((e) => e.dataset.testid.replace('pick-ext-', '')))
    expect(all.length >= 4, `picker lists only ${all.length} extensions`)
    // Scope: the extensions in a call right now (so the supervisor has something to listen to) + a few more.
    const st = await admin.get('/api/state')
    const talking = st.extensions.filter((e) => e.state === 'in_call').map((e) => e.extension)
    supExt = all.find((e) => !talking.includes(e))
    scope = [...new Set([...talking.filter((e) => all.includes(e)).slice(0, 6), ...all.filter((e) => e !== supExt).slice(0, 3)])]
    await page.getByTestId('user-username').fill('sup1')
    await page.getByTestId('user-name').fill('Supervisor One')
    await page.getByTestId('user-password').fill('Sup-' + server.password)
    await page.getByTestId('user-role').selectOption('supervisor')
    await page.getByTestId('user-extension').fill(supExt)
    await page.getByTestId('user-mode-listen').check()
    await page.getByTestId('pick-ext-filter').fill(scope[0])
    await page.getByTestId('pick-ext-filter').fill('')
    for (const e of scope) await page.getByTestId(`pick-ext-${e}`).check()
    await snap(page, 'admin-user-form')
    await page.getByTestId('user-save').click()
    await page.getByTestId('user-row-sup1').waitFor({ timeout: 10000 })
    const created = (await admin.get('/api/settings/users')).users.find((u) => u.username === 'sup1')
    expect(created?.role === 'supervisor', 'sup1 was not stored as a supervisor')
    expect(JSON.stringify([...created.allowed_extensions].sort()) === JSON.stringify([...scope].sort()), `stored scope ${created.allowed_extensions} != ${scope}`)
    await snap(page, 'admin-users')
    scope = [supExt, ...scope]

    ctx2 = await launch()
    const p2 = ctx2.pages()[0] ?? await ctx2.newPage()
    p2.on('pageerror', (e) => failures.push(String(e)))
    await login(p2, server.url, 'sup1', 'Sup-' + server.password)
    await tiles(p2).first().waitFor({ timeout: 20000 })
    const seen = await tiles(p2).evaluateAll((els) => els.map((e) => e.dataset.testid.slice(4)))
    const outside = seen.filter((s) => !scope.includes(s))
    expect(outside.length === 0, `supervisor sees extensions outside the scope: ${outside.join(',')}`)
    expect(await p2.getByTestId('nav-admin').count() === 0, 'supervisor sees the Admin tab')
    expect(await p2.locator('[data-testid="action-barge"], [data-testid="action-whisper"]').count() === 0, 'supervisor sees barge/whisper')
    await snap(p2, 'supervisor')
    sup = p2
  })

  await scenario('the supervisor listens to a call in scope and the simulator gets the ChanSpy originate for that channel', async () => {
    expect(sup, 'no supervisor session')
    current = sup
    await sup.getByTestId('ext-filter-state').selectOption('in_call')
    // A simulated call may end between the click and the originate; then try another call.
    let verified = null, lastErr = ''
    for (let attempt = 0; attempt < 4 && !verified; attempt++) {
      const tile = sup.locator('article[data-testid^="ext-"][data-state="in_call"]:has([data-testid="action-listen"])').first()
      await tile.waitFor({ timeout: 15000 }).catch(async () => { await placeCall(admin, scope, [supExt]); await tile.waitFor({ timeout: 45000 }) })
      const target = (await tile.getAttribute('data-testid')).slice(4)
      await armToasts(sup)
      await tile.getByTestId('action-listen').click()
      const toast = await nextToast(sup)
      if (!toast.ok) { lastErr = toast.text; continue }
      // The simulator answers the originate on the supervisor's phone and reports ChanSpyStart with
      // the spied channel; the server audits it as supervision.start (target = spyee channel).
      verified = await until(async () => {
        const { items } = await admin.get('/api/audit?action=supervision.start&limit=50')
        return items.find((a) => a.target.startsWith(`PJSIP/${target}-`) && String(a.detail?.spyer_channel ?? '').startsWith(`PJSIP/${supExt}-`))
      }, 20000, 'supervision.start in the audit log').catch((e) => { lastErr = e.message; return null })
      if (verified) {
        const acts = (await admin.get('/api/audit?action=action.listen&limit=20')).items
        expect(acts.some((a) => a.target === target && a.result === 'ok' && a.user === 'sup1'), 'no ok action.listen audited for sup1')
      }
    }
    expect(verified, `no verified ChanSpy after four attempts (${lastErr})`)
    await sup.locator('[data-testid^="spied-"]').first().waitFor({ timeout: 10000 }).catch(() => {})
    await snap(sup, 'listen')
    current = page
  })

  await scenario('dragging a call onto an idle extension blind-transfers it', async () => {
    await page.getByTestId('nav-live').click()
    // Tall enough for the whole 24-extension grid: a drag that has to scroll to its target is
    // not what a person does (and HTML5 drag-and-drop loses the drop).
    await page.setViewportSize({ width: 1400, height: 1500 })
    let done = null, lastErr = ''
    for (let attempt = 0; attempt < 6 && !done; attempt++) {
      // An internal call between two phones (the simulator redirects those; trunk legs vary).
      // The simulated office places few of them, so when none is up the admin places one
      // (click-to-call between two idle phones; the simulated callee answers).
      let placedAt = 0
      const from = await until(async () => {
        const st = await admin.get('/api/state')
        const c = st.calls.find((x) => x.direction === 'internal' && x.state === 'up' && x.parties.filter((p) => p.extension).length === 2)
        if (c) return c.parties[0].extension
        if (Date.now() - placedAt > 15000 && await placeCall(admin, null, [supExt])) placedAt = Date.now()
        return null
      }, 60000, 'an internal call')
      const src = page.getByTestId(`ext-${from}`)
      const dst = page.locator('article[data-testid^="ext-"][data-state="idle"]').first()
      const to = (await dst.getAttribute('data-testid')).slice(4)
      await armToasts(page)
      // Grab the tile by its header (a drag that starts on a button does not move the tile).
      await src.dragTo(dst, { sourcePosition: { x: 12, y: 12 }, targetPosition: { x: 40, y: 30 } })
      const toast = await nextToast(page)
      if (!toast.ok) { lastErr = toast.text; continue }
      done = await until(async () => {
        const { items } = await admin.get('/api/audit?action=action.transfer&limit=20')
        return items.find((a) => a.target === from && a.result === 'ok' && a.detail?.params?.destination === to)
      }, 10000, 'action.transfer in the audit log')
    }
    await page.setViewportSize({ width: 1400, height: 900 })
    expect(done, `no successful drag transfer (${lastErr})`)
    await snap(page, 'after-transfer')
  })

  await scenario('the supervisor opens the quality report and sees exactly the rows of its scope', async () => {
    expect(sup, 'no supervisor session')
    current = sup
    const day = new Date().toLocaleDateString('en-CA')  // YYYY-MM-DD in the browser's (same) zone
    await sup.getByTestId('nav-quality').click()
    await sup.getByTestId('qos-daily').waitFor({ timeout: 10000 })
    expect(await sup.getByTestId('qos-daily-date').inputValue() === day, 'the report does not open on today')
    // The admin's report of the same day, cut to the supervisor's scope, is what it must show.
    // Quality rows appear as simulated calls end: wait for one outside the scope (so exclusion
    // is tested) and, within the same bound, preferably one inside it.
    const report = async () => (await admin.get(`/api/qos/daily?date=${day}`)).rows.map((r) => r.extension)
    let all = []
    const t0 = Date.now()
    while (Date.now() - t0 < 90000) {
      all = await report()
      const outside = all.some((e) => !scope.includes(e)), inside = all.some((e) => scope.includes(e))
      if (outside && (inside || Date.now() - t0 > 60000)) break
      await sup.waitForTimeout(2000)
    }
    expect(all.some((e) => !scope.includes(e)), `no quality rows outside the supervisor's scope after 90 s (rows: ${all})`)
    // Leave and come back: the page fetches the report again on mount.
    await sup.getByTestId('nav-live').click()
    await sup.getByTestId('nav-quality').click()
    await sup.getByTestId('qos-daily').waitFor({ timeout: 10000 })
    const want = all.filter((e) => scope.includes(e)).sort()
    const shown = await until(async () => {
      const got = await sup.locator('tr[data-testid^="qos-daily-"]').evaluateAll((els) => els.map((e) => e.dataset.testid.slice(10)))
      return want.every((e) => got.includes(e)) ? got.sort() : null
    }, 10000, 'the scoped quality rows')
    expect(shown.every((e) => scope.includes(e)), `quality rows outside the scope: ${shown.filter((e) => !scope.includes(e))}`)
    await snap(sup, 'quality')
    await sup.getByTestId('nav-live').click()
    current = page
  })

  await scenario('transfer and queue pause use accessible dialogs; a pause reason reaches the PBX and shows', async () => {
    const more = page.locator('article[data-testid^="ext-"][data-state="in_call"] [data-testid="action-transfer"]').first()
    if (await more.count() > 0) {
      await more.click()
      const dlg = page.getByRole('dialog')
      await dlg.waitFor()
      expect(await dlg.getAttribute('aria-modal') === 'true', 'transfer dialog is not modal')
      await snap(page, 'transfer-dialog')
      await page.keyboard.press('Escape')
      expect(await page.getByRole('dialog').count() === 0, 'Escape did not close the dialog')
    }
    const member = page.locator('li[data-testid^="member-"]:has([data-testid="member-pause"])').first()
    await member.waitFor({ timeout: 20000 })
    const mid = await member.getAttribute('data-testid')
    await armToasts(page)
    await member.getByTestId('member-pause').click()
    await page.getByTestId('dialog-field-reason').fill('e2e lunch')
    await snap(page, 'pause-dialog')
    await page.getByTestId('dialog-ok').click()
    const toast = await nextToast(page)
    expect(toast.ok, `pause failed: ${toast.text}`)
    await page.locator(`li[data-testid="${mid}"] .badge.warn`, { hasText: 'e2e lunch' }).waitFor({ timeout: 15000 })
    await page.locator(`li[data-testid="${mid}"] [data-testid="member-unpause"]`).click()
    await page.locator(`li[data-testid="${mid}"] [data-testid="member-pause"]`).waitFor({ timeout: 15000 })
  })

  await scenario('call log filters to calls with a recording, plays one and exports CSV', async () => {
    // Calls reach the log when they end: wait for an answered one with a recording (the UI must
    // then find it; a busy or unanswered call may leave an empty recording, as FreePBX does).
    await until(async () => (await admin.get('/api/calls/history?has_recording=true&outcome=answered&limit=1')).items.length > 0, 90000, 'a recorded call in the log')
    await page.getByTestId('nav-calllog').click()
    await page.getByTestId('log-outcome').selectOption('answered')
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
    await page.locator('tr[data-testid^="log-"] button[aria-expanded]').first().click()
    await snap(page, 'calllog')
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 15000 }), page.getByTestId('log-csv').click()])
    const path = await dl.path()
    const { readFileSync } = await import('node:fs')
    const csv = readFileSync(path, 'utf8')
    expect(csv.split('\n').length > 1, 'CSV export is empty')
  })

  await scenario('admin creates an API key (shown once), sees settings with the PBX status, and the audit log', async () => {
    await page.getByTestId('nav-admin').click()
    await page.getByTestId('admin-tab-keys').click()
    await page.getByTestId('key-name').fill('e2e-key')
    await page.getByTestId('key-scope-cdr:read').check()
    await page.getByTestId('key-create').click()
    const key = await page.getByTestId('api-key-once').textContent({ timeout: 10000 })
    expect(key.startsWith('opd_'), `unexpected key ${key}`)
    const r = await fetch(server.url + '/api/call-log?limit=1', { headers: { 'X-API-Key': key } })
    expect(r.status === 200, `the new key cannot read the call log (${r.status})`)
    await page.getByTestId('key-row-e2e-key').waitFor()
    await snap(page, 'admin-keys')
    await page.getByTestId('admin-tab-settings').click()
    await page.locator('[data-testid="pbx-status"][data-connected="true"]').waitFor({ timeout: 10000 })
    await snap(page, 'admin-settings')
    await page.getByTestId('admin-tab-audit').click()
    await page.getByTestId('audit-row').first().waitFor({ timeout: 10000 })
    await snap(page, 'admin-audit')
  })

  await scenario('Arabic switches the page to RTL and the dark theme applies', async () => {
    await page.getByTestId('nav-live').click()
    await page.getByTestId('lang-select').selectOption('ar')
    expect(await page.evaluate(() => document.documentElement.dir) === 'rtl', 'html dir is not rtl')
    expect(await page.evaluate(() => document.documentElement.lang) === 'ar', 'html lang is not ar')
    if (await page.evaluate(() => document.documentElement.dataset.theme) !== 'dark') await page.getByTestId('theme-toggle').click()
    expect(await page.evaluate(() => document.documentElement.dataset.theme) === 'dark', 'theme is not dark')
    await tiles(page).first().waitFor()
    const side = await page.evaluate(() => {
      const grid = document.querySelector('[data-testid="ext-grid"]').getBoundingClientRect()
      const calls = document.querySelector('[data-testid="calls-panel"]').getBoundingClientRect()
      return { grid: grid.left, calls: calls.left }
    })
    expect(side.calls < side.grid, 'in RTL the side panel should be on the left of the grid')
    await snap(page, 'live-ar-dark')
    await page.getByTestId('lang-select').selectOption('en')
  })

  await scenario('a phone-sized screen shows the panel in one column, usable by keyboard', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    await page.waitForTimeout(500)
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    expect(overflow <= 1, `page scrolls sideways by ${overflow}px on a phone`)
    await page.getByTestId('ext-search').focus()
    await page.keyboard.press('Tab')
    const focused = await page.evaluate(() => document.activeElement?.getAttribute('aria-label') || document.activeElement?.tagName)
    expect(focused, 'Tab moved focus nowhere')
    await snap(page, 'phone')
    await page.setViewportSize({ width: 1400, height: 900 })
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
