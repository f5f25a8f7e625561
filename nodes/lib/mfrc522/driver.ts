// The MFRC522 reader IC over any SpiBus: register access with the chip's address-byte
// framing, reset and initialisation, and the two coprocessor jobs a card exchange needs,
// Transceive (FIFO + interrupt flags) and CalcCRC. Knows nothing about cards; see
// iso14443a.ts and cascade.ts for that.
import type { OutputLine } from '../gpio/output-line';
import type { SpiBus } from '../spi/spi-bus';
import { ChipError, PiccError } from './errors';
import {
    BIT_FRAMING_START_SEND, COMMAND_POWER_DOWN, CollBits, ComIrq, DivIrq, ErrorBits, FIFO_FLUSH,
    KNOWN_VERSIONS, PcdCommand, Reg, TX_CONTROL_ANTENNA,
} from './registers';

export interface TransceiveOptions {
    /** Valid bits in the last byte sent (0 = all 8); REQA and WUPA are 7-bit frames. */
    txLastBits?: number;
    /** Bit position in the first received byte where the first received bit lands. */
    rxAlign?: number;
}

export interface Received {
    data: Buffer;
    /** Valid bits in the last received byte, 0 meaning all 8 (ControlReg RxLastBits). */
    lastBits: number;
    /** Set when several cards answered with different bits. */
    collision?: {
        /** 1-based bit position of the first collision, counted in the FIFO bytes (RxAlign included); undefined if the chip could not tell. */
        position: number | undefined;
    };
}

export interface ChipInfo {
    version: number;
    name: string;
}

export interface Mfrc522Options {
    /** NRSTPD pin; pulsed low at init for a hard reset. Optional: a soft reset follows anyway. */
    resetLine?: OutputLine;
    /** Upper bound for one command, well above the chip's own 10 ms receive timer. */
    commandTimeoutMs?: number;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class Mfrc522 {
    private readonly resetLine?: OutputLine;
    private readonly commandTimeoutMs: number;

    constructor(private readonly bus: SpiBus, options: Mfrc522Options = {}) {
        this.resetLine = options.resetLine;
        this.commandTimeoutMs = options.commandTimeoutMs ?? 100;
    }

    // Address byte: bit 7 = read, bits 6..1 = register, bit 0 = 0 (datasheet 8.1.2.3).
    private static readAddress(reg: number): number {
        return 0x80 | ((reg << 1) & 0x7e);
    }

    private static writeAddress(reg: number): number {
        return (reg << 1) & 0x7e;
    }

    /** Reads several registers in one SPI transfer: each byte out names the next register. */
    async readRegisters(regs: readonly number[]): Promise<Buffer> {
        const tx = Buffer.alloc(regs.length + 1);
        regs.forEach((reg, i) => { tx[i] = Mfrc522.readAddress(reg); });
        const rx = await this.bus.transfer(tx);
        return rx.subarray(1);
    }

    async readRegister(reg: number): Promise<number> {
        return (await this.readRegisters([reg]))[0];
    }

    /** Writes one or more bytes to the same register (several bytes only make sense for the FIFO). */
    async writeRegister(reg: number, ...values: number[]): Promise<void> {
        await this.bus.transfer(Buffer.from([Mfrc522.writeAddress(reg), ...values]));
    }

    async setBits(reg: number, mask: number): Promise<void> {
        await this.writeRegister(reg, (await this.readRegister(reg)) | mask);
    }

    async clearBits(reg: number, mask: number): Promise<void> {
        await this.writeRegister(reg, (await this.readRegister(reg)) & ~mask & 0xff);
    }

    /** Hard reset (if wired), soft reset, then the settings every ISO 14443A exchange needs. */
    async init(): Promise<ChipInfo> {
        if (this.resetLine) {
            await this.resetLine.write(0);
            await delay(2);
            await this.resetLine.write(1);
            await delay(50); // oscillator start-up
        }
        const version = await this.readRegister(Reg.Version);
        // A missing chip or broken MISO line reads as all zeros or all ones.
        if (version === 0x00 || version === 0xff) {
            throw new ChipError(`no MFRC522 answers on SPI (VersionReg 0x${version.toString(16).padStart(2, '0')})`);
        }
        await this.softReset();
        await this.writeRegister(Reg.TxMode, 0x00); // 106 kBd, no hardware CRC: CRC_A is added explicitly
        await this.writeRegister(Reg.RxMode, 0x00);
        await this.writeRegister(Reg.ModWidth, 0x26);
        // Timer: TAuto, 13.56 MHz / (2*0xA9+1) = 40 kHz, reload 400 -> 10 ms receive timeout. ISO 14443-3
        // answers (ATQA, anticollision, SAK) come within about 0.1 ms, and a short timeout keeps idle polls cheap.
        await this.writeRegister(Reg.TMode, 0x80);
        await this.writeRegister(Reg.TPrescaler, 0xa9);
        await this.writeRegister(Reg.TReloadH, 0x01);
        await this.writeRegister(Reg.TReloadL, 0x90);
        await this.writeRegister(Reg.TxASK, 0x40); // 100 % ASK modulation, as ISO 14443A requires
        await this.writeRegister(Reg.Mode, 0x3d); // CRC preset 0x6363 (CRC_A)
        await this.clearBits(Reg.Coll, CollBits.ValuesAfterColl); // zeros after a collision, for anticollision
        await this.antenna(true);
        return { version, name: KNOWN_VERSIONS[version] ?? `unknown chip (0x${version.toString(16)})` };
    }

    async softReset(): Promise<void> {
        await this.writeRegister(Reg.Command, PcdCommand.SoftReset);
        const deadline = performance.now() + 150;
        do {
            await delay(2);
            if (((await this.readRegister(Reg.Command)) & COMMAND_POWER_DOWN) === 0) return;
        } while (performance.now() < deadline);
        throw new ChipError('MFRC522 did not come out of soft reset');
    }

    async version(): Promise<number> {
        return this.readRegister(Reg.Version);
    }

    async antenna(on: boolean): Promise<void> {
        if (on) await this.setBits(Reg.TxControl, TX_CONTROL_ANTENNA);
        else await this.clearBits(Reg.TxControl, TX_CONTROL_ANTENNA);
    }

    /** Switches the RF field off and on, which powers down every card and so returns it to IDLE. */
    async resetField(): Promise<void> {
        await this.antenna(false);
        await delay(5);
        await this.antenna(true);
        await delay(5);
    }

    /** CRC_A of data from the chip's coprocessor, low byte first (ready to append to a frame). */
    async calcCrc(data: Uint8Array): Promise<Buffer> {
        await this.writeRegister(Reg.Command, PcdCommand.Idle);
        await this.writeRegister(Reg.DivIrq, DivIrq.Crc); // Set2 = 0: clears CRCIRq
        await this.writeRegister(Reg.FIFOLevel, FIFO_FLUSH);
        await this.writeRegister(Reg.FIFOData, ...data);
        await this.writeRegister(Reg.Command, PcdCommand.CalcCRC);
        await this.waitForIrq(Reg.DivIrq, DivIrq.Crc, 0, 'CalcCRC');
        await this.writeRegister(Reg.Command, PcdCommand.Idle);
        const [low, high] = await this.readRegisters([Reg.CRCResultL, Reg.CRCResultH]);
        return Buffer.from([low, high]);
    }

    /**
     * Sends a frame and returns the card's answer. Rejects with PiccError('timeout') when no
     * card answered within the chip's timer, PiccError('protocol') on a garbled answer, and
     * ChipError when the chip never finishes the command.
     */
    async transceive(data: Uint8Array, options: TransceiveOptions = {}): Promise<Received> {
        const framing = ((options.rxAlign ?? 0) & 0x07) << 4 | ((options.txLastBits ?? 0) & 0x07);
        await this.writeRegister(Reg.Command, PcdCommand.Idle);
        await this.writeRegister(Reg.ComIrq, 0x7f); // Set1 = 0: clears every interrupt flag
        await this.writeRegister(Reg.FIFOLevel, FIFO_FLUSH);
        await this.writeRegister(Reg.FIFOData, ...data);
        await this.writeRegister(Reg.Command, PcdCommand.Transceive);
        await this.writeRegister(Reg.BitFraming, BIT_FRAMING_START_SEND | framing);
        const irq = await this.waitForIrq(Reg.ComIrq, ComIrq.Rx | ComIrq.Idle, ComIrq.Timer, 'Transceive');
        await this.writeRegister(Reg.BitFraming, framing);
        if ((irq & (ComIrq.Rx | ComIrq.Idle)) === 0) throw new PiccError('timeout', 'no card answered');

        const error = await this.readRegister(Reg.Error);
        if (error & (ErrorBits.BufferOvfl | ErrorBits.ParityErr | ErrorBits.ProtocolErr)) {
            throw new PiccError('protocol', `receive error (ErrorReg 0x${error.toString(16)})`);
        }
        const level = (await this.readRegister(Reg.FIFOLevel)) & 0x7f;
        const received: Received = {
            data: level > 0 ? await this.readRegisters(new Array<number>(level).fill(Reg.FIFOData)) : Buffer.alloc(0),
            lastBits: (await this.readRegister(Reg.Control)) & 0x07,
        };
        if (error & ErrorBits.CollErr) {
            const coll = await this.readRegister(Reg.Coll);
            const pos = coll & CollBits.CollPosMask;
            received.collision = { position: coll & CollBits.CollPosNotValid ? undefined : pos === 0 ? 32 : pos };
        }
        return received;
    }

    /** Polls an interrupt register until one of the done bits (or the timeout bit) is set. */
    private async waitForIrq(reg: number, doneMask: number, timeoutMask: number, what: string): Promise<number> {
        const deadline = performance.now() + this.commandTimeoutMs;
        for (let attempt = 0; ; attempt++) {
            const value = await this.readRegister(reg);
            if (value & (doneMask | timeoutMask)) return value;
            if (performance.now() > deadline) throw new ChipError(`MFRC522 did not finish ${what}`);
            // Most commands finish within the first reads; after that, poll once a millisecond so
            // waiting for the receive timeout costs a few SPI transfers, not hundreds.
            if (attempt >= 2) await delay(1);
        }
    }
}
