// Bit-bangs TM1637 frames over two GPIO lines. The bus idles with CLK and DIO high; a start
// is DIO falling while CLK is high, a stop DIO rising while CLK is high, and in between DIO
// only changes while CLK is low, because the chip samples it on CLK's rising edge. Bytes go
// least significant bit first, each followed by a ninth (ACK) clock in which the chip pulls
// DIO low. The ports open the lines open-drain (level 1 releases the line to the module's
// pull-ups), so the chip never fights the Pi; we pull DIO low for that clock too, which is
// also safe should a line end up push-pull. The ACK is not read: a write-only display has
// nothing to tell us, so a missing module cannot be noticed.
import type { GpioPort } from '../gpio/gpio-port';
import { checkFrame, Frame, frameTransactions } from './protocol';

export interface Tm1637Pins {
    /** BCM number of the CLK line. */
    clk: number;
    /** BCM number of the DIO line. */
    dio: number;
}

export class Tm1637 {
    /** Set after a failed frame: the bus may have been left mid-byte, so the next one starts with a stop. */
    private unsettled = false;

    constructor(private readonly port: GpioPort, readonly pins: Tm1637Pins) {
        if (pins.clk === pins.dio) throw new Error('CLK and DIO must be different GPIO lines');
    }

    /**
     * Writes one full refresh, each command flushed to the pins before the next. Callers must
     * not start another write before this one settles (the FrameQueue sees to that).
     */
    async write(frame: Frame): Promise<void> {
        checkFrame(frame);
        try {
            if (this.unsettled) this.stop();
            for (const bytes of frameTransactions(frame)) {
                this.transaction(bytes);
                await this.port.flush();
            }
            this.unsettled = false;
        } catch (err) {
            this.unsettled = true;
            throw err;
        }
    }

    private transaction(bytes: number[]): void {
        const { port } = this;
        const { clk, dio } = this.pins;
        port.set(dio, 0); // start: CLK is high (idle)
        for (const byte of bytes) {
            for (let bit = 0; bit < 8; bit++) {
                port.set(clk, 0);
                port.set(dio, ((byte >> bit) & 1) as 0 | 1);
                port.set(clk, 1);
            }
            port.set(clk, 0); // ACK clock
            port.set(dio, 0);
            port.set(clk, 1);
        }
        this.stop();
    }

    /** CLK low, DIO low, CLK high, DIO high: a stop from any state, leaving the bus idle. */
    private stop(): void {
        const { port } = this;
        const { clk, dio } = this.pins;
        port.set(clk, 0);
        port.set(dio, 0);
        port.set(clk, 1);
        port.set(dio, 1);
    }
}
