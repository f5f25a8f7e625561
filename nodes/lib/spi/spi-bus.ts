// A full-duplex SPI bus as drivers see it, and how a device is opened on this machine:
// through the hardware helper (python3 and the spidev module Raspberry Pi OS installs), so
// the package has no native addon to compile, nor to rebuild after a Node.js upgrade.
import fs from 'fs';
import path from 'path';
import { isRaspberryPi, PiHost, piHost } from '../pi-helper/pi-host';
import { openHelperSpiBus } from './helper-spi-bus';

export interface SpiBus {
    /** Clocks out tx and resolves with the bytes clocked in at the same time (same length). */
    transfer(tx: Buffer): Promise<Buffer>;
    close(): Promise<void>;
}

export function spiDevicePath(bus: number, device: number, devDir = '/dev'): string {
    return path.join(devDir, `spidev${bus}.${device}`);
}

/**
 * Opens /dev/spidev<bus>.<device> in SPI mode 0. Resolves undefined off a Raspberry Pi when
 * that device does not exist (a laptop running the demo: the reader runs simulated). On a
 * Pi, or where the device exists, rejects with a SetupProblem when something is missing
 * (SPI off, python3-spidev, the spi group), or with the system's error.
 */
export async function openSpiDevice(bus: number, device: number, speedHz = 1_000_000, host: PiHost = piHost): Promise<SpiBus | undefined> {
    const file = spiDevicePath(bus, device, host.devDir);
    if (!fs.existsSync(file) && !isRaspberryPi(host)) return undefined;
    return openHelperSpiBus({ path: file, bus, speedHz }, host);
}
