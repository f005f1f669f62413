import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, render, screen } from '@testing-library/react'
import '../i18n'
import { Header, ReconnectBanner } from './Header'
import { liveStore, resetLive } from '../live/store'
import { session } from './session'

const show = () => render(<><Header view="live" setView={() => {}} /><ReconnectBanner /></>)

describe('header connection state', () => {
  afterEach(() => { cleanup(); resetLive() })
  it('shows live, the user and the role', () => {
    session.setState({ user: { id: 1, username: 'ann', name: 'Ann', role: 'supervisor', extension: '1001', monitor_modes: [] } })
    liveStore.setState({ conn: 'live', hasSnapshot: true, pbx: { connected: true } })
    show()
    expect(screen.getByTestId('conn-state').dataset.state).toBe('live')
    expect(screen.getByTestId('current-user').textContent).toMatch(/Ann.*1001.*Supervisor/)
    expect(screen.queryByTestId('reconnect-banner')).toBeNull()
  })
  it('while reconnecting keeps the last state on screen with a banner and a countdown', () => {
    liveStore.setState({ conn: 'reconnecting', hasSnapshot: true, retryAt: Date.now() + 4000 })
    show()
    expect(screen.getByTestId('conn-state').textContent).toMatch(/Reconnecting in [34] s/)
    expect(screen.getByTestId('reconnect-banner')).toBeTruthy()
  })
  it('says when the PBX is disconnected although the panel is live', () => {
    liveStore.setState({ conn: 'live', hasSnapshot: true, pbx: { connected: false } })
    show()
    expect(screen.getByTestId('conn-state').dataset.state).toBe('pbx_down')
    expect(screen.getByTestId('pbx-banner')).toBeTruthy()
  })
})

describe('header navigation by role', () => {
  afterEach(() => { cleanup(); resetLive() })
  const navFor = (role: string) => {
    session.setState({ user: { id: 2, username: 'u', name: 'U', role, extension: '1002', monitor_modes: [] } })
    liveStore.setState({ conn: 'live', hasSnapshot: true, pbx: { connected: true } })
    show()
    return screen.getAllByRole('button').map((b) => b.dataset.testid).filter((id) => id?.startsWith('nav-'))
  }
  it('gives supervisors the quality report of their scope but not the admin pages', () => {
    expect(navFor('supervisor')).toEqual(['nav-live', 'nav-calllog', 'nav-quality'])
  })
  it('gives agents neither', () => {
    expect(navFor('agent')).toEqual(['nav-live', 'nav-calllog'])
  })
  it('gives admins both', () => {
    expect(navFor('admin')).toEqual(['nav-live', 'nav-calllog', 'nav-quality', 'nav-admin'])
  })
})
