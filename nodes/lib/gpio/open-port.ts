// Chooses how to drive fast GPIO lines on this machine. On a Raspberry Pi that is the
// hardware helper, over the lgpio or gpiod Python module Raspberry Pi OS installs (Bookworm
// and Trixie, libgpiod v1 or v2 alike). The earlier backends are gone: node-libgpiod needed
// a compiler and built only against libgpiod v1, and `gpioset --interactive` is missing from
// Trixie's libgpiod 2 build, so neither adds anything where the helper runs. Off a Pi the
// answer is a reason, and the caller runs simulated.
import type { GpioPort, Level } from './gpio-port';
import { checkBcmPin } from './header-chip';
import { openHelperGpioPort } from './helper-gpio-port';
import { isRaspberryPi, PiHost, piHost } from '../pi-helper/pi-host';

export type PortOpening = { port: GpioPort; reason?: undefined } | { port?: undefined; reason: string };

/**
 * Opens `pins` (BCM) as outputs at `initial`. Resolves { reason } when this machine cannot
 * drive them (not a Pi, no header chip); rejects when it should but cannot yet, with a
 * SetupProblem naming the fix (python3, the lgpio module, the gpio group) or the system's
 * error (lines busy).
 */
export async function openGpioPort(pins: number[], initial: Level = 1, host: PiHost = piHost): Promise<PortOpening> {
    pins.forEach(checkBcmPin);
    if (!isRaspberryPi(host)) return { reason: `not a Raspberry Pi (no Raspberry Pi model in ${host.modelFile})` };
    const opened = await openHelperGpioPort(pins, host, { initial });
    return 'reason' in opened ? { reason: opened.reason } : { port: opened };
}
