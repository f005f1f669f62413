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
