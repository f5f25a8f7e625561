// Where this machine describes its hardware, and how the hardware helper runs. Tests point
// the shared `piHost` at a directory of their own (a device-tree model, device files) and at
// stand-in Python modules, and put it back afterwards.
import fs from 'fs';

export interface PiHost {
    /** The device-tree model, e.g. "Raspberry Pi 5 Model B Rev 1.0" (NUL-terminated). */
    modelFile: string;
    /** Where the spidev and gpiochip device files are. */
    devDir: string;
    /** Where python3 is looked for; default process.env.PATH. */
    searchPath?: string;
    /** The helper's environment; default process.env. */
    env?: NodeJS.ProcessEnv;
}

export const piHost: PiHost = { modelFile: '/proc/device-tree/model', devDir: '/dev' };

/**
 * Whether this is a Raspberry Pi, from its device tree (the same on every distribution).
 * On a Pi a missing module or setting is a problem to fix; anywhere else the nodes run
 * simulated, as the demo does on a laptop.
 */
export function isRaspberryPi(host: PiHost): boolean {
    try {
        return fs.readFileSync(host.modelFile, 'latin1').startsWith('Raspberry Pi');
    } catch {
        return false;
    }
}
