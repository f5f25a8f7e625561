// Chooses how to drive fast GPIO lines on this machine: the node-libgpiod binding where it
// is installed (Bookworm, libgpiod v1), else a `gpioset --interactive` process (libgpiod v2
// tools built with that mode). Both find the header chip by label. When neither can, the
// answer says why in words a log line can carry, and the caller runs simulated.
import { CommandRunner, systemCommands } from './output-line';
import type { GpioPort, Level } from './gpio-port';
import { openGpiosetPort, gpiosetIsInteractive, Spawner, spawnPiped } from './gpioset-port';
import { headerChipFromGpiodetect, NO_HEADER_CHIP } from './header-chip';
import { LibgpiodModule, loadLibgpiod, openLibgpiodPort } from './libgpiod-port';

/** What the chooser may use; tests substitute their own. */
export interface PortEnvironment {
    loadLibgpiod(): LibgpiodModule | undefined;
    commands: CommandRunner;
    spawn: Spawner;
}

export const systemEnvironment: PortEnvironment = { loadLibgpiod, commands: systemCommands, spawn: spawnPiped };

export type PortOpening = { port: GpioPort; reason?: undefined } | { port?: undefined; reason: string };

/**
 * Opens `pins` (BCM) as outputs at `initial`. Resolves { reason } when this machine cannot
 * drive them (not a Pi, no backend installed); rejects when it should but failed (lines busy,
 * no permission), with the system's message.
 */
export async function openGpioPort(pins: number[], initial: Level = 1, env: PortEnvironment = systemEnvironment): Promise<PortOpening> {
    const gpiod = env.loadLibgpiod();
    if (gpiod) {
        const opened = openLibgpiodPort(gpiod, pins, { initial });
        return 'reason' in opened ? { reason: opened.reason } : { port: opened };
    }
    const detected = await env.commands.run('gpiodetect', []).catch(() => undefined);
    if (detected === undefined) return { reason: 'node-libgpiod is not installed and the libgpiod tools (gpiodetect, gpioset) are missing' };
    const chip = headerChipFromGpiodetect(detected);
    if (!chip) return { reason: NO_HEADER_CHIP };
    const help = await env.commands.run('gpioset', ['--help']).catch(() => '');
    if (!gpiosetIsInteractive(help)) {
        return { reason: 'node-libgpiod is not installed and this gpioset has no --interactive mode' };
    }
    return { port: await openGpiosetPort(chip, pins, { initial, spawn: env.spawn }) };
}
