// SpiBus through the hardware helper: one python3 process per opened device, holding it
// open through the spidev module, one TRANSFER frame per transfer(). About 20 µs a transfer
// on an x86 VM (npm run bench), so an idle MFRC522 poll of a dozen register accesses costs
// well under a millisecond of a 50 ms poll interval.
import { HelperOptions, HelperProcess, HelperRefused, startHelper } from '../pi-helper/helper-process';
import { FrameKind } from '../pi-helper/frames';
import type { PiHost } from '../pi-helper/pi-host';
import { adviceFor } from '../pi-helper/setup-problem';
import type { SpiBus } from './spi-bus';

/** spidev's default transfer limit (/sys/module/spidev/parameters/bufsiz). */
const MAX_TRANSFER = 4096;

export interface HelperSpiOptions extends HelperOptions {
    /** The device file, e.g. /dev/spidev0.0. */
    path: string;
    /** Its bus number, for the advice when it is missing. */
    bus: number;
    speedHz: number;
}

/**
 * Opens the device in SPI mode 0. Rejects with a SetupProblem naming the command that fixes
 * a missing python3, spidev module or device file, or a missing group membership.
 */
export async function openHelperSpiBus(options: HelperSpiOptions, host: PiHost): Promise<HelperSpiBus> {
    try {
        const { helper } = await startHelper(['spi', '--device', options.path, '--speed', String(options.speedHz)], host, options);
        return new HelperSpiBus(helper);
    } catch (err) {
        if (err instanceof HelperRefused) throw adviceFor(err.report, { spiBus: options.bus }) ?? new Error(err.message);
        throw err;
    }
}

export class HelperSpiBus implements SpiBus {
    constructor(readonly helper: HelperProcess) {}

    async transfer(tx: Buffer): Promise<Buffer> {
        if (tx.length > MAX_TRANSFER) throw new RangeError(`an SPI transfer is at most ${MAX_TRANSFER} bytes, not ${tx.length}`);
        const rx = await this.helper.request(FrameKind.transfer, tx);
        if (rx.length !== tx.length) throw new Error(`the SPI transfer returned ${rx.length} bytes for ${tx.length}`);
        return rx;
    }

    close(): Promise<void> {
        return this.helper.close();
    }
}
