// Shared helpers for the browser scripts: start the real server, launch Debian's Chromium.
import { createRequire } from 'node:module'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(join(repo, 'web', 'package.json'))
export const { chromium } = require('playwright-core')

export const chromeArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream']

export function findBinary() {
  const cands = [process.env.OPDESK_BIN, join(repo, 'build', 'opdesk')]
  const b = join(repo, 'build')
  const built = []
  if (existsSync(b)) for (const d of readdirSync(b)) built.push(join(b, d, 'opdesk'), join(b, d, 'src', 'opdesk'))
  // Explicit choices first, then the most recently built binary under build/.
  const newest = built.filter((p) => existsSync(p)).sort((x, y) => statSync(y).mtimeMs - statSync(x).mtimeMs)
  return [...cands, ...newest].find((p) => p && existsSync(p)) ?? null
}

/** Starts `opdesk serve --demo` on a random port; resolves with {url, password, stop}. */
export async function startServer(extraArgs = []) {
  const bin = findBinary()
  if (!bin) throw new Error(`opdesk binary not found (looked for $OPDESK_BIN, ${join(repo, 'build/opdesk')}, build/*/opdesk, build/*/src/opdesk); build it first`)
  const web = process.env.OPDESK_SERVER_WEB_DIR || join(repo, 'web', 'dist')  // the served web root
  if (!existsSync(join(web, 'index.html'))) throw new Error(`${web} is missing: run \`npm run build\` in web/ first`)
  const dataDir = mkdtempSync(join(tmpdir(), 'opdesk-e2e-'))
  const password = 'E2e-' + randomBytes(12).toString('hex')
  const child = spawn(bin, ['serve', '--demo', '--listen', '127.0.0.1:0', '--data-dir', dataDir, ...extraArgs],
    { env: { ...process.env, OPDESK_ADMIN_PASSWORD: password }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const url = await new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`server did not print "listening on" within 20 s:\n${out}`)), 20000)
    const onData = (d) => {
      out += d
      const m = /listening on (https?:\/\/127\.0\.0\.1:\d+)/.exec(out)
      if (m) { clearTimeout(timer); res(m[1]) }
    }
    child.stdout.on('data', onData); child.stderr.on('data', (d) => { out += d })
    child.on('exit', (code, sig) => { clearTimeout(timer); if (code !== 0) console.log(`server exited (${code ?? sig}); last output:\n${out.slice(-1500)}`); rej(new Error(`server exited with ${code ?? sig}:\n${out.slice(-2000)}`)) })
  })
  const stop = () => new Promise((res) => { if (child.exitCode !== null || child.signalCode !== null) return res(); child.once('exit', res); child.kill('SIGTERM'); setTimeout(() => child.kill('SIGKILL'), 5000) })
  return { url, password, stop, dataDir }
}

export async function launch() {
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'chromium-profile-')), {
    executablePath: '/usr/bin/chromium', headless: true, args: chromeArgs, viewport: { width: 1400, height: 900 },
  })
}

export async function login(page, url, user, password, timeout = 20000) {
  await page.goto(url + '/', { timeout: Math.max(30000, timeout) })
  await page.getByTestId('login-user').fill(user)
  await page.getByTestId('login-password').fill(password)
  await page.getByTestId('login-submit').click()
  await page.locator('[data-testid="conn-state"][data-state="live"], [data-testid="conn-state"][data-state="pbx_down"]').waitFor({ timeout })
}

/** A REST client logged in as the demo admin: {get(path), post(path, body)} returning parsed JSON. */
export async function adminApi(srv) {
  const r = await fetch(srv.url + '/api/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ login: 'admin', password: srv.password }) })
  if (!r.ok) throw new Error(`admin login failed: ${r.status}`)
  const { access_token } = await r.json()
  const call = async (method, path, body) => {
    const res = await fetch(srv.url + path, { method, headers: { Authorization: 'Bearer ' + access_token, 'Content-Type': 'application/json' }, body: body ? JSON.stringify(body) : undefined })
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
    return res.status === 204 ? null : res.json()
  }
  return { get: (p) => call('GET', p), post: (p, b) => call('POST', p, b), token: access_token }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
/** Polls fn every `every` ms until it returns a truthy value (or throws after `ms`). */
export async function until(fn, ms, what, every = 400) {
  const end = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(every)
  }
}
