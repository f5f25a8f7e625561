// A full-duplex SPI bus as drivers see it, and the kernel spidev backend over the
// optional `spi-device` addon. The addon is loaded lazily so the package still installs
// and runs (simulated) on machines where the native build is missing.
import fs from 'fs';

export interface SpiBus {
    /** Clocks out tx and resolves with the bytes clocked in at the same time (same length). */
    transfer(tx: Buffer): Promise<Buffer>;
    close(): Promise<void>;
}

/** The part of spi-device we use (its own .d.ts is not needed at build time). */
interface SpiDeviceHandle {
    transfer(message: SpiMessage[], cb: (err: Error | null | undefined, message: SpiMessage[]) => void): unknown;
    close(cb: (err: Error | null | undefined) => void): void;
}
interface SpiMessage {
    byteLength: number;
    sendBuffer?: Buffer;
    receiveBuffer?: Buffer;
    speedHz?: number;
}
interface SpiDeviceModule {
    open(bus: number, device: number, options: { mode?: number; maxSpeedHz?: number },
        cb: (err: Error | null | undefined) => void): SpiDeviceHandle;
}

export function spiDevicePath(bus: number, device: number): string {
    return `/dev/spidev${bus}.${device}`;
}

function loadSpiDevice(): SpiDeviceModule | undefined {
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return require('spi-device') as SpiDeviceModule;
    } catch {
        return undefined;
    }
}

/**
 * Opens /dev/spidev<bus>.<device> in SPI mode 0. Resolves undefined when that device file
 * does not exist (SPI disabled, or not a Pi); rejects when it exists but cannot be used.
 */
export async function openSpiDevice(bus: number, device: number, speedHz = 1_000_000): Promise<SpiBus | undefined> {
    const path = spiDevicePath(bus, device);
    if (!fs.existsSync(path)) return undefined;
    const spi = loadSpiDevice();
    if (!spi) throw new Error(`${path} exists but the optional module spi-device is not installed`);
    const handle = await new Promise<SpiDeviceHandle>((resolve, reject) => {
        const opened = spi.open(bus, device, { mode: 0, maxSpeedHz: speedHz }, (err) => (err ? reject(err) : resolve(opened)));
    });
    return new SpiDeviceBus(handle, speedHz);
}

class SpiDeviceBus implements SpiBus {
    private closed = false;

    constructor(private readonly handle: SpiDeviceHandle, private readonly speedHz: number) {}

    transfer(tx: Buffer): Promise<Buffer> {
        if (this.closed) return Promise.reject(new Error('SPI device is closed'));
        const rx = Buffer.alloc(tx.length);
        const message: SpiMessage[] = [{ byteLength: tx.length, sendBuffer: tx, receiveBuffer: rx, speedHz: this.speedHz }];
        return new Promise((resolve, reject) => {
            this.handle.transfer(message, (err) => (err ? reject(err) : resolve(rx)));
        });
    }

    close(): Promise<void> {
        if (this.closed) return Promise.resolve();
        this.closed = true;
        return new Promise((resolve) => this.handle.close(() => resolve()));
    }
}
