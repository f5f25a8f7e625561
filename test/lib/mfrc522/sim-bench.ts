// Shared set-up for the MFRC522 tests: the real driver on the simulated chip, and small
// waiting helpers. Not a test file itself (mocha only runs *.test.js).
import { Mfrc522, Mfrc522Options } from '../../../nodes/lib/mfrc522/driver';
import { Mfrc522CardReader } from '../../../nodes/lib/mfrc522/reader';
import { SimulatedMfrc522 } from '../../../nodes/lib/mfrc522/simulated-chip';
import { SimulatedPicc, SimulatedPiccOptions } from '../../../nodes/lib/mfrc522/simulated-picc';

export interface Bench {
    chip: SimulatedMfrc522;
    driver: Mfrc522;
    reader: Mfrc522CardReader;
}

export function bench(options: Mfrc522Options = {}): Bench {
    const chip = new SimulatedMfrc522();
    const driver = new Mfrc522(chip, { commandTimeoutMs: 50, ...options });
    return { chip, driver, reader: new Mfrc522CardReader(driver) };
}

export async function initialisedBench(options: Mfrc522Options = {}): Promise<Bench> {
    const b = bench(options);
    await b.driver.init();
    return b;
}

export function card(hex: string, options: SimulatedPiccOptions = {}): SimulatedPicc {
    return new SimulatedPicc(Buffer.from(hex, 'hex'), options);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function waitFor(condition: () => boolean, timeoutMs = 2000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await sleep(5);
    }
}

export const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex').toUpperCase();
