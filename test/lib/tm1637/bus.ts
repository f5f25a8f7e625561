// Test helpers for the TM1637 bus: a simulated chip on a simulated port, hand-written
// bit-bangers that get the protocol wrong in one specific way (so the tests can show the
// chip model notices), and a check that a command log is nothing but whole refreshes.
import { GpioPort, Level, SimulatedGpioPort } from '../../../nodes/lib/gpio/gpio-port';
import { SimulatedTm1637 } from '../../../nodes/lib/tm1637/simulated-chip';

export const PINS = { clk: 23, dio: 24 };

export interface Bus {
    chip: SimulatedTm1637;
    port: SimulatedGpioPort;
    commands: number[][];
}

export function simulatedBus(): Bus {
    const chip = new SimulatedTm1637(PINS);
    const port = new SimulatedGpioPort([PINS.clk, PINS.dio], chip.pinChanged);
    const commands: number[][] = [];
    chip.on('command', (bytes) => commands.push(bytes));
    return { chip, port, commands };
}

export interface BitBangFaults {
    msbFirst?: boolean;
    /** Raise DIO before CLK at the end (no stop condition: a clock edge instead). */
    badStop?: boolean;
    noAckClock?: boolean;
}

/** Writes one transaction by hand, with the faults asked for. */
export function bitBang(port: GpioPort, bytes: number[], faults: BitBangFaults = {}): void {
    const { clk, dio } = PINS;
    port.set(dio, 0);
    for (const byte of bytes) {
        for (let i = 0; i < 8; i++) {
            const bit = faults.msbFirst ? 7 - i : i;
            port.set(clk, 0);
            port.set(dio, ((byte >> bit) & 1) as Level);
            port.set(clk, 1);
        }
        if (!faults.noAckClock) {
            port.set(clk, 0);
            port.set(dio, 0);
            port.set(clk, 1);
        }
    }
    port.set(clk, 0);
    port.set(dio, 0);
    if (faults.badStop) {
        port.set(dio, 1);
        port.set(clk, 1);
    } else {
        port.set(clk, 1);
        port.set(dio, 1);
    }
}

/** Problems in a command log that should consist of whole refreshes [0x40] [0xC0 d0-d3] [0x80 | on | brightness]. */
export function malformedRefreshes(commands: number[][]): string[] {
    const problems: string[] = [];
    if (commands.length % 3 !== 0) problems.push(`${commands.length} commands is not a whole number of refreshes`);
    for (let i = 0; i + 2 < commands.length; i += 3) {
        const [data, address, control] = commands.slice(i, i + 3);
        const ok = data.length === 1 && data[0] === 0x40 && address.length === 5 && address[0] === 0xc0
            && control.length === 1 && (control[0] & 0xf0) === 0x80;
        if (!ok) problems.push(`refresh ${i / 3}: ${JSON.stringify([data, address, control])}`);
    }
    return problems;
}
