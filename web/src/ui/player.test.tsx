import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, fireEvent, render, screen } from '@testing-library/react'
import '../i18n'
import { Player } from './CallLog'

const audio = () => screen.getByTestId('rec-audio') as HTMLAudioElement
const withDuration = (a: HTMLAudioElement, d: number) => Object.defineProperty(a, 'duration', { value: d, configurable: true })

describe('recording player', () => {
  afterEach(cleanup)
  it('says nothing while a recording with audio loads', () => {
    render(<Player url="/api/recordings/a.wav?sig=x" />)
    withDuration(audio(), 12.5)
    fireEvent.loadedMetadata(audio())
    expect(screen.queryByTestId('rec-problem')).toBeNull()
  })
  it('says a recording without audio is empty', () => {
    render(<Player url="/api/recordings/busy.wav?sig=x" />)
    withDuration(audio(), 0)
    fireEvent.loadedMetadata(audio())
    expect(screen.getByTestId('rec-problem').textContent).toBe('Empty recording (no audio)')
  })
  it('says when the recording cannot be played', () => {
    render(<Player url="/api/recordings/gone.wav?sig=x" />)
    fireEvent.error(audio())
    expect(screen.getByTestId('rec-problem').textContent).toBe('Recording unavailable')
  })
})
