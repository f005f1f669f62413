/* Public entry of the softphone (issue #11). Other screens call `dial(number)` (extensions grid,
 * call log) to place a call from the browser; App mounts <Softphone />. JsSIP itself is
 * loaded on demand by the engine, so importing this module keeps the main bundle small. */
export { Softphone, SoftphonePanel, SoftphoneToggle } from './Softphone'
export { dial, usePhone, startPhone, stopPhone } from './engine'
export { DialButton } from './DialButton'
