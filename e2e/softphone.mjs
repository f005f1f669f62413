// Softphone end-to-end (issue #11): a real Kamailio SIP registrar/proxy over WebSocket on
// loopback, the real `opdesk serve --demo`, and three (plus two) headless Chromium instances
// with fake audio/video devices that log into the panel as different users and call each other.
// Media flows browser to browser (ICE host candidates); assertions read what each side sees:
// WebRTC stats (packets, audio energy), SIP-driven UI state (remote hold, received DTMF).
// Usage: (cd web && npm run build) && node e2e/softphone.mjs — screenshots: e2e/artifacts/softphone-*.png
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { chromeArgs, chromium, login, repo, startServer } from './lib.mjs'

const art = join(repo, 'e2e', 'artifacts')
mkdirSync(art, { recursive: true })
const results = []
const contexts = []
let server = null, kam = null
const expect = (cond, msg) => { if (!cond) throw new Error(msg) }
const shot = (page, name) => page.screenshot({ path: join(art, `softphone-${name}.png`) })
let lastPage = null

async function scenario(name, fn) {
  const t0 = Date.now()
  try { await fn(); results.push([name, true]); console.log(`ok   ${name} (${Date.now() - t0} ms)`) }
  catch (e) {
    results.push([name, false]); console.log(`FAIL ${name}: ${e?.message ?? e}`)
    await lastPage?.screenshot({ path: join(art, `softphone-fail-${results.length}.png`) }).catch(() => {})
  }
}

function freePort() {
  return new Promise((res, rej) => { const s = createServer(); s.once('error', rej); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)) }) })
}
function portOpen(port) {
  return new Promise((res) => { const c = connect(port, '127.0.0.1'); c.once('connect', () => { c.destroy(); res(true) }); c.once('error', () => res(false)) })
}

/** Kamailio on a random loopback port with the given {extension: password}; stop() / start(). */
async function startKamailio(creds) {
  const dir = mkdtempSync(join(tmpdir(), 'opdesk-kamailio-'))
  const port = await freePort()
  const lines = Object.entries(creds).map(([u, p]) => `\t$sht(creds=>${u}) = "${p}";`).join('\n')
  const cfg = readFileSync(join(repo, 'e2e', 'kamailio.cfg.tmpl'), 'utf8')
    .replace('@DEBUG@', process.env.KAMAILIO_DEBUG ?? '1').replace('@PORT@', String(port)).replace('@CREDENTIALS@', lines)
  writeFileSync(join(dir, 'kamailio.cfg'), cfg)
  const k = { port, dir, child: null, log: '' }
  k.start = async () => {
    k.child = spawn('kamailio', ['-f', join(dir, 'kamailio.cfg'), '-DD', '-E', '-Y', dir, '-P', join(dir, 'kamailio.pid'), '-w', dir], { stdio: ['ignore', 'pipe', 'pipe'] })
    k.child.stdout.on('data', (d) => { k.log = (k.log + d).slice(-20000) }); k.child.stderr.on('data', (d) => { k.log = (k.log + d).slice(-20000) })
    for (let i = 0; i < 100 && !(await portOpen(port)); i++) {
      if (k.child.exitCode !== null) throw new Error(`kamailio exited:\n${k.log.slice(-3000)}`)
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(await portOpen(port), `kamailio is not listening on ${port}:\n${k.log.slice(-3000)}`)
  }
  k.stop = () => new Promise((res) => {
    const c = k.child
    if (!c || c.exitCode !== null || c.signalCode !== null) return res()
    c.once('exit', () => res()); c.kill('SIGTERM'); setTimeout(() => c.kill('SIGKILL'), 5000)
  })
  await k.start()
  return k
}

async function rest(method, path, token, body) {
  const r = await fetch(server.url + path, { method, headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: 'Bearer ' + token } : {}) }, body: body ? JSON.stringify(body) : undefined })
  const text = await r.text()
  return { status: r.status, json: text ? JSON.parse(text) : null, text }
}

async function launchBrowser(fakeUi = true) {
  const args = [...chromeArgs.filter((a) => fakeUi || a !== '--use-fake-ui-for-media-stream'), '--autoplay-policy=no-user-gesture-required']
  const ctx = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'chromium-profile-')), {
    executablePath: '/usr/bin/chromium', headless: true, args, viewport: { width: 1280, height: 900 },
  })
  contexts.push(ctx)
  const page = ctx.pages()[0] ?? await ctx.newPage()
  page.errors = []
  page.on('pageerror', (e) => page.errors.push(String(e)))
  return page
}

async function phoneFor(user, password) {
  const page = await launchBrowser(user.fakeUi ?? true)
  await login(page, server.url, user.username, password)
  await page.getByTestId('sp-toggle').click()
  await page.getByTestId('sp-panel').waitFor()
  page.who = user.username
  return page
}

const cards = (page, q = '') => page.locator(`li.sp-call${q}`)
const registered = (page) => page.locator('[data-testid="sp-status"][data-state="registered"]').waitFor({ timeout: 20000 })
async function noCalls(page, timeout = 15000) {
  await page.waitForFunction(() => document.querySelectorAll('li.sp-call').length === 0, null, { timeout })
}
async function dialFrom(page, number) {
  if (await page.getByTestId('sp-new-call').count() > 0) await page.getByTestId('sp-new-call').click()  // during a call
  await page.getByTestId('sp-number').fill(number)
  await page.getByTestId('sp-call').click()
}
/** Waits until the active call with `peer` has received more than `min` audio packets. */
async function flowing(page, peer, min = 25) {
  await page.waitForFunction(([p, m]) => [...document.querySelectorAll(`li.sp-call[data-status="active"][data-peer="${p}"]`)].some((e) => Number(e.dataset.rx) > m), [peer, min], { timeout: 20000 })
}
const attr = (page, sel, a) => page.locator(sel).first().getAttribute(a)
async function energyGain(page, peer, ms) {
  const sel = `li.sp-call[data-status="active"][data-peer="${peer}"]`
  const e0 = Number(await attr(page, sel, 'data-energy'))
  await page.waitForTimeout(ms)
  return Number(await attr(page, sel, 'data-energy')) - e0
}
async function answerFrom(page, peer) {
  const c = cards(page, `[data-status="ringing_in"][data-peer="${peer}"]`)
  await c.waitFor({ timeout: 15000 })
  await c.getByTestId('sp-answer').click()
}
async function hangupAll(...pages) {
  for (const p of pages) {
    // Hanging up one leg can end others (transfers, conference): click whatever is still there.
    for (let i = 0; i < 4 && await p.getByTestId('sp-hangup').count() > 0; i++) {
      await p.getByTestId('sp-hangup').first().click({ timeout: 2000 }).catch(() => {})
      await p.waitForTimeout(300)
    }
  }
  for (const p of pages) await noCalls(p)
}
/** A calls B and B answers; both sides see media. */
async function connected(a, aExt, b, bExt) {
  await dialFrom(a, bExt)
  await answerFrom(b, aExt)
  await flowing(a, bExt); await flowing(b, aExt)
}

async function main() {
  const users = [
    { username: 'alice', name: 'Alice Agent', extension: '1101' },
    { username: 'bob', name: 'Bob Agent', extension: '1102' },
    { username: 'carol', name: 'Carol Agent', extension: '1103' },
    { username: 'dave', name: 'Dave Wrongpass', extension: '1104' },
    { username: 'erin', name: 'Erin Nomic', extension: '1105', fakeUi: false },
  ]
  const sip = Object.fromEntries(users.map((u) => [u.extension, 'sip-' + randomBytes(6).toString('hex')]))
  kam = await startKamailio(sip)
  server = await startServer(['--sim-speed', '1'])
  console.log(`server at ${server.url}, kamailio ws://127.0.0.1:${kam.port}`)
  const admin = (await rest('POST', '/api/auth/login', null, { login: 'admin', password: server.password })).json.access_token
  const pw = 'Agent-' + randomBytes(8).toString('hex')
  const tokens = {}

  await scenario('admin provisions SIP credentials write-only; each user reads only their own', async () => {
    expect((await rest('PUT', '/api/settings', admin, { WEBRTC_PBX_SERVER: `ws://127.0.0.1:${kam.port}` })).status === 200, 'saving WEBRTC_PBX_SERVER failed')
    for (const u of users) {
      const r = await rest('POST', '/api/settings/users', admin, { username: u.username, name: u.name, password: pw, extension: u.extension, role: 'agent' })
      expect(r.status === 201, `create ${u.username}: ${r.status} ${r.text}`)
      tokens[u.username] = (await rest('POST', '/api/auth/login', null, { login: u.username, password: pw })).json.access_token
      if (u.username === 'erin') continue  // provisioned through the Admin → Softphone tab below
      const secret = u.username === 'dave' ? 'not-the-right-password' : sip[u.extension]
      const c = await rest('PUT', `/api/webrtc/credentials/${u.extension}`, admin, { password: secret })
      expect(c.status === 200 && !c.text.includes(secret), `provision ${u.extension}: ${c.status} ${c.text}`)
    }
    const a = await rest('GET', '/api/webrtc/config', tokens.alice)
    expect(a.status === 200 && a.json.extension === '1101' && a.json.password === sip['1101'], `alice config: ${a.text}`)
    expect(a.json.server === `ws://127.0.0.1:${kam.port}`, `server url ${a.json.server}`)
    const b = await rest('GET', '/api/webrtc/config', tokens.bob)
    expect(b.json.extension === '1102' && !b.text.includes(sip['1101']), 'bob must not see alice')
    const list = await rest('GET', '/api/webrtc/credentials', admin)
    expect(list.status === 200 && list.json.credentials.length === users.length - 1, `list: ${list.text}`)
    expect(!Object.values(sip).some((s) => list.text.includes(s)), 'the admin list leaks a secret')
    const settings = await rest('GET', '/api/settings', admin)
    expect(!Object.values(sip).some((s) => settings.text.includes(s)), 'GET /api/settings leaks a SIP secret')
    expect((await rest('PUT', '/api/webrtc/credentials/1101', tokens.bob, { password: 'x' })).status === 403, 'an agent could write credentials')
    const noExt = await rest('GET', '/api/webrtc/config', admin)
    expect(noExt.status === 200 && noExt.json.extension === null && noExt.json.reason === 'webrtc.no_extension',
      `admin without extension: ${noExt.text}`)
  })

  await scenario('admin sets an extension\'s SIP password in Admin → Softphone; the list never shows it', async () => {
    const P = await launchBrowser()
    lastPage = P
    await login(P, server.url, 'admin', server.password)
    await P.getByTestId('nav-admin').click()
    await P.getByTestId('admin-tab-softphone').click()
    await P.getByTestId('sp-admin-row-1101').waitFor({ timeout: 10000 })
    await P.getByTestId('sp-admin-ext').fill('1105')
    await P.getByTestId('sp-admin-password').fill(sip['1105'])
    await P.getByTestId('sp-admin-save').click()
    await P.getByTestId('sp-admin-row-1105').waitFor({ timeout: 10000 })
    expect(!(await P.content()).includes(sip['1105']) || await P.getByTestId('sp-admin-password').inputValue() === '', 'the password stayed on the page')
    await shot(P, 'admin')
    const e = await rest('GET', '/api/webrtc/config', tokens.erin)
    expect(e.status === 200 && e.json.password === sip['1105'], `erin config: ${e.status}`)
  })

  const A = await phoneFor(users[0], pw), B = await phoneFor(users[1], pw), C = await phoneFor(users[2], pw)
  await scenario('three browsers register their own extensions over SIP WebSocket', async () => {
    lastPage = A
    await Promise.all([registered(A), registered(B), registered(C)])
    await shot(A, 'registered')
  })

  await scenario('A calls B: B rings, answers, audio flows both ways, timer and quality shown', async () => {
    lastPage = B
    await dialFrom(A, '1102')
    const ring = cards(B, '[data-status="ringing_in"][data-peer="1101"]')
    await ring.waitFor({ timeout: 15000 })
    await cards(A, '[data-status="ringing_out"]').waitFor({ timeout: 10000 })
    await shot(B, 'incoming')
    await ring.getByTestId('sp-answer').click()
    await flowing(A, '1102'); await flowing(B, '1101')
    expect(await energyGain(B, '1101', 2500) > 0, 'B hears nothing from A')
    expect(await energyGain(A, '1102', 2500) > 0, 'A hears nothing from B')
    await B.getByTestId('sp-timer').waitFor()
    await B.getByTestId('sp-quality').waitFor({ timeout: 10000 })
    await shot(B, 'in-call')
  })

  await scenario('hold and resume: the other side sees the re-INVITE direction change', async () => {
    lastPage = B
    await A.locator('li.sp-call').getByTestId('sp-hold').click()
    await cards(B, '[data-remote-held="true"]').waitFor({ timeout: 10000 })
    await cards(A, '[data-held="true"]').waitFor()
    await shot(A, 'hold')
    await A.locator('li.sp-call').getByTestId('sp-hold').click()
    await cards(B, '[data-remote-held="false"]').waitFor({ timeout: 10000 })
    await flowing(B, '1101', Number(await attr(B, 'li.sp-call', 'data-rx')) + 25)
  })

  await scenario('mute silences A for B; unmute brings the sound back', async () => {
    lastPage = B
    await A.locator('li.sp-call').getByTestId('sp-mute').click()
    await cards(A, '[data-muted="true"]').waitFor()
    await B.waitForTimeout(1500)
    const muted = await energyGain(B, '1101', 3000)
    await A.locator('li.sp-call').getByTestId('sp-mute').click()
    await B.waitForTimeout(1500)
    const open = await energyGain(B, '1101', 3000)
    expect(muted < open / 20, `muted energy ${muted} is not far below unmuted ${open}`)
    expect(open > 0, 'no sound after unmute')
  })

  await scenario('DTMF: SIP INFO digits are received by the other side; RFC 4733 tones go out on RTP', async () => {
    lastPage = A
    await B.getByTestId('sp-settings-toggle').click()
    await B.getByTestId('sp-dtmf-mode').selectOption('info')
    await B.locator('li.sp-call').getByTestId('sp-keypad').click()
    for (const k of ['1', '2', 'hash']) await B.getByTestId(`sp-dtmf-${k}`).click()
    await A.waitForFunction(() => document.querySelector('li.sp-call')?.dataset.dtmfIn === '12#', null, { timeout: 10000 })
    await B.getByTestId('sp-dtmf-mode').selectOption('rfc4733')
    await B.getByTestId('sp-dtmf-5').click()
    await B.waitForFunction(() => document.querySelector('li.sp-call')?.dataset.dtmfOut.endsWith('5'), null, { timeout: 10000 })
    await B.getByTestId('sp-settings-toggle').click()
    await shot(A, 'dtmf')
  })

  await scenario('video on: B receives A\'s video track; A sees the local preview; video off', async () => {
    lastPage = B
    await A.locator('li.sp-call').getByTestId('sp-video').click()
    await A.getByTestId('sp-local-video').waitFor({ timeout: 10000 })
    await B.getByTestId('sp-remote-video').waitFor({ timeout: 15000 })
    await B.waitForFunction(() => Number(document.querySelector('li.sp-call')?.dataset.videoRx) > 10, null, { timeout: 15000 })
    await shot(B, 'video')
    await A.locator('li.sp-call').getByTestId('sp-video').click()
    await A.getByTestId('sp-local-video').waitFor({ state: 'detached', timeout: 10000 })
  })

  await scenario('record: a call that is not on Asterisk is recorded in the browser and saved as a file', async () => {
    lastPage = A
    await A.locator('li.sp-call').getByTestId('sp-record').click()
    await cards(A, '[data-recording="local"]').waitFor({ timeout: 5000 })
    await A.getByTestId('sp-recording').waitFor()
    await A.waitForTimeout(2500)
    const download = A.waitForEvent('download', { timeout: 10000 })
    await A.locator('li.sp-call').getByTestId('sp-record').click()
    const d = await download
    const path = await d.path()
    const size = path ? readFileSync(path).length : 0
    expect(/\.webm$/.test(d.suggestedFilename()) && size > 1000, `recording ${d.suggestedFilename()} has ${size} bytes`)
    await cards(A, '[data-recording="off"]').waitFor()
  })

  await scenario('blind transfer: A sends B to C; B and C talk, A is free', async () => {
    lastPage = C
    await A.locator('li.sp-call').getByTestId('sp-transfer').click()
    await A.getByTestId('sp-transfer-number').fill('1103')
    await A.getByTestId('sp-blind').click()
    await answerFrom(C, '1102')
    await flowing(C, '1102'); await flowing(B, '1103')
    await noCalls(A)
    await shot(C, 'blind-transfer')
    await hangupAll(C, B)
  })

  await scenario('attended transfer: A consults C, then completes with REFER/Replaces; B and C talk', async () => {
    lastPage = A
    await connected(A, '1101', B, '1102')
    await A.locator('li.sp-call').getByTestId('sp-transfer').click()
    await A.getByTestId('sp-transfer-number').fill('1103')
    await A.getByTestId('sp-consult').click()
    await answerFrom(C, '1101')
    await cards(A, '[data-held="true"][data-peer="1102"]').waitFor({ timeout: 10000 })
    await flowing(A, '1103')
    await shot(A, 'consult')
    await cards(A, '[data-peer="1103"]').getByTestId('sp-complete').click()
    await noCalls(A, 20000)
    await flowing(B, '1103'); await flowing(C, '1102')
    await B.waitForFunction(() => document.querySelectorAll('li.sp-call').length === 1, null, { timeout: 10000 })
    await C.waitForFunction(() => document.querySelectorAll('li.sp-call').length === 1, null, { timeout: 10000 })
    await shot(C, 'attended-transfer')
    await hangupAll(B, C)
  })

  await scenario('attended transfer cancelled: the consultation ends and A resumes B', async () => {
    lastPage = A
    await connected(A, '1101', B, '1102')
    await A.locator('li.sp-call').getByTestId('sp-transfer').click()
    await A.getByTestId('sp-transfer-number').fill('1103')
    await A.getByTestId('sp-consult').click()
    await answerFrom(C, '1101')
    await cards(A, '[data-peer="1103"][data-status="active"]').getByTestId('sp-cancel-consult').click()
    await noCalls(C)
    await cards(A, '[data-peer="1102"][data-held="false"]').waitFor({ timeout: 10000 })
    await cards(B, '[data-remote-held="false"]').waitFor({ timeout: 10000 })
    await hangupAll(A, B)
  })

  await scenario('3-way conference mixed in A\'s browser: B hears C even while A is muted', async () => {
    lastPage = A
    await connected(A, '1101', B, '1102')
    await dialFrom(A, '1103')  // a "new call" during a call: B goes on hold
    await answerFrom(C, '1101')
    await flowing(A, '1103')
    await cards(A, '[data-peer="1103"]').getByTestId('sp-conference').click()
    await A.waitForFunction(() => [...document.querySelectorAll('li.sp-call')].filter((e) => e.dataset.conference === 'true' && e.dataset.held === 'false').length === 2, null, { timeout: 10000 })
    await A.locator('li.sp-call').first().getByTestId('sp-mute').click()
    await A.waitForTimeout(1500)
    expect(await energyGain(B, '1101', 3000) > 0, 'B hears nothing: C is not mixed in')
    expect(await energyGain(C, '1101', 3000) > 0, 'C hears nothing: B is not mixed in')
    await shot(A, 'conference')
    await hangupAll(A, B, C)
  })

  await scenario('call waiting: a second call rings during a call; answering it holds the first', async () => {
    lastPage = A
    await connected(A, '1101', B, '1102')
    await dialFrom(C, '1101')
    await cards(A, '[data-status="ringing_in"][data-peer="1103"]').waitFor({ timeout: 15000 })
    expect(await cards(A, '[data-status="active"][data-peer="1102"]').count() === 1, 'the first call is no longer active')
    await shot(A, 'call-waiting')
    await answerFrom(A, '1103')
    await cards(A, '[data-peer="1102"][data-held="true"]').waitFor({ timeout: 10000 })
    await cards(B, '[data-remote-held="true"]').waitFor({ timeout: 10000 })
    await flowing(A, '1103'); await flowing(C, '1101')
    await hangupAll(A, B, C)
  })

  await scenario('decline ends the caller\'s call; an unanswered call lands in the missed list; DND rejects', async () => {
    lastPage = B
    await dialFrom(A, '1102')
    await cards(B, '[data-status="ringing_in"]').getByTestId('sp-decline').click()
    await noCalls(A); await noCalls(B)
    expect(await B.getByTestId('sp-missed').count() === 0, 'a declined call counted as missed')
    await dialFrom(A, '1102')
    await cards(B, '[data-status="ringing_in"]').waitFor()
    await A.getByTestId('sp-hangup').click()
    await noCalls(B)
    await B.locator('[data-testid="sp-missed"] li[data-peer="1101"][data-dnd="false"]').waitFor()
    await B.getByTestId('sp-dnd').check()
    await dialFrom(A, '1102')
    await noCalls(A)
    await B.locator('[data-testid="sp-missed"] li[data-peer="1101"][data-dnd="true"]').waitFor({ timeout: 10000 })
    expect(await B.getByTestId('sp-missed-count').textContent() === '2', 'the missed counter is not 2')
    await shot(B, 'missed')
    await B.getByTestId('sp-dnd').uncheck()
  })

  await scenario('wrong SIP password: the softphone says registration was refused', async () => {
    const D = await phoneFor(users[3], pw)
    lastPage = D
    await D.locator('[data-testid="sp-error"][data-error="auth_failed"]').waitFor({ timeout: 20000 })
    await shot(D, 'auth-failed')
  })

  await scenario('no microphone permission: calling shows a clear message', async () => {
    const E = await phoneFor(users[4], pw)
    lastPage = E
    await registered(E)
    await dialFrom(E, '1101')
    await E.locator('[data-testid="sp-error"][data-error="mic_denied"]').waitFor({ timeout: 15000 })
    await shot(E, 'mic-denied')
  })

  await scenario('PBX down: the softphone says it is unreachable, retries, and registers again', async () => {
    lastPage = A
    await kam.stop()
    await A.locator('[data-testid="sp-error"][data-error="unreachable"]').waitFor({ timeout: 20000 })
    await A.getByTestId('sp-retrying').waitFor()
    await shot(A, 'unreachable')
    await kam.start()
    await A.locator('[data-testid="sp-status"][data-state="registered"]').waitFor({ timeout: 60000 })
    await dialFrom(A, '1103')
    await answerFrom(C, '1101')
    await flowing(C, '1101')
    await hangupAll(A, C)
  })

  await scenario('no uncaught page errors in the softphone pages', async () => {
    const errs = [A, B, C].flatMap((p) => p.errors.map((e) => `${p.who}: ${e}`))
    expect(errs.length === 0, errs.join('\n'))
  })
}

try { await main() } catch (e) { results.push(['setup', false]); console.log(`FAIL setup: ${e?.stack ?? e}`); if (kam) console.log(kam.log.slice(-3000)) }
finally {
  for (const c of contexts) await c.close().catch(() => {})
  await server?.stop(); await kam?.stop()
}
const passed = results.filter((r) => r[1]).length, failed = results.length - passed
console.log(`softphone e2e: ${passed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
