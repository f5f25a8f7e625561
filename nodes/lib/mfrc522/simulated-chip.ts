// A simulated MFRC522 behind the same SpiBus the real chip uses, modelled at register
// level: address-byte framing, a 64-byte FIFO with FIFOLevelReg and flush, CommandReg
// (Idle, CalcCRC, Transceive, SoftReset), BitFramingReg StartSend/TxLastBits/RxAlign,
// ComIrqReg/DivIrqReg with their Set bits, ErrorReg, CollReg and the CRC result. Cards are
// SimulatedPicc objects placed in its RF field. The driver runs unchanged against it, in
// tests and in the node's simulated mode. Everything answers at once; no time passes on air.
import type { SpiBus } from '../spi/spi-bus';
import { crc16 } from './crc';
import {
    BIT_FRAMING_START_SEND, COMMAND_POWER_DOWN, CollBits, ComIrq, DivIrq, ErrorBits, FIFO_FLUSH, FIFO_SIZE,
    PcdCommand, Reg, TX_CONTROL_ANTENNA,
} from './registers';
import { Frame, SimulatedPicc } from './simulated-picc';

/** Register values after power-on or SoftReset (datasheet section 9). */
const RESET_VALUES: Record<number, number> = {
    [Reg.Command]: 0x20, [Reg.ComIEn]: 0x80, [Reg.ComIrq]: 0x14, [Reg.WaterLevel]: 0x08, [Reg.Control]: 0x10,
    [Reg.Coll]: 0x80, [Reg.Mode]: 0x3f, [Reg.TxControl]: 0x80, [Reg.TxSel]: 0x10, [Reg.RxSel]: 0x84,
    [Reg.RxThreshold]: 0x84, [Reg.Demod]: 0x4d, [Reg.CRCResultH]: 0xff, [Reg.CRCResultL]: 0xff,
    [Reg.ModWidth]: 0x26, [Reg.RFCfg]: 0x48, [Reg.Version]: 0x92,
};
const READ_ONLY = new Set<number>([Reg.Error, Reg.Status1, Reg.Status2, Reg.Version, Reg.CRCResultH, Reg.CRCResultL]);
/** ModeReg CRCPreset (bits 1..0). */
const CRC_PRESETS = [0x0000, 0x6363, 0xa671, 0xffff];

/** One frame the chip sent, and what came back, for tests that check the air traffic. */
export interface AirFrame {
    sent: Frame;
    answer?: Frame;
    collision?: boolean;
}

export class SimulatedMfrc522 implements SpiBus {
    private readonly regs = new Uint8Array(0x40);
    private fifo: number[] = [];
    private command: number = PcdCommand.Idle;
    private crcInput: number[] = [];
    private readonly field: SimulatedPicc[] = [];
    private poweredDown = false;
    private closed = false;
    /** Unplugged module: MISO reads as all zeros. */
    connected = true;
    /** Bus fault injection: every transfer rejects with this error. */
    transferError: Error | undefined;
    /** The last frames on air (at most 200), oldest first. */
    readonly air: AirFrame[] = [];
    /** Frames sent since power-on, all of them. */
    framesSent = 0;

    constructor() {
        this.resetRegisters();
    }

    get cards(): readonly SimulatedPicc[] {
        return this.field;
    }

    get antennaOn(): boolean {
        return (this.regs[Reg.TxControl] & TX_CONTROL_ANTENNA) !== 0;
    }

    /** Puts a card in the field, powered and IDLE. Returns it for further fiddling. */
    placeCard(card: SimulatedPicc): SimulatedPicc {
        if (!this.field.includes(card)) {
            card.powerOff();
            this.field.push(card);
        }
        return card;
    }

    removeCard(card: SimulatedPicc): void {
        const index = this.field.indexOf(card);
        if (index >= 0) this.field.splice(index, 1);
        card.powerOff();
    }

    removeAllCards(): void {
        [...this.field].forEach((card) => this.removeCard(card));
    }

    /** Level of the NRSTPD pin: low powers the chip down, the rising edge is a hard reset. */
    setResetLine(level: 0 | 1): void {
        if (level === 0) {
            this.poweredDown = true;
            this.powerOffCards();
        } else if (this.poweredDown) {
            this.poweredDown = false;
            this.resetRegisters();
        }
    }

    transfer(tx: Buffer): Promise<Buffer> {
        if (this.closed) return Promise.reject(new Error('SPI device is closed'));
        if (this.transferError) return Promise.reject(this.transferError);
        const rx = Buffer.alloc(tx.length);
        if (!this.connected || this.poweredDown || tx.length === 0) return Promise.resolve(rx);
        if (tx[0] & 0x80) {
            // Read: every byte sent names the register whose value comes back in the next byte.
            for (let i = 1; i < tx.length; i++) rx[i] = this.read((tx[i - 1] >> 1) & 0x3f);
        } else {
            // Write: the address byte, then data bytes all written to that register.
            const reg = (tx[0] >> 1) & 0x3f;
            for (let i = 1; i < tx.length; i++) this.write(reg, tx[i]);
        }
        return Promise.resolve(rx);
    }

    close(): Promise<void> {
        this.closed = true;
        return Promise.resolve();
    }

    private read(reg: number): number {
        switch (reg) {
            case Reg.FIFOData:
                return this.fifo.shift() ?? 0;
            case Reg.FIFOLevel:
                return this.fifo.length;
            case Reg.Command:
                return (this.regs[Reg.Command] & 0xf0) | this.command;
            default:
                return this.regs[reg];
        }
    }

    private write(reg: number, value: number): void {
        switch (reg) {
            case Reg.Command:
                this.regs[Reg.Command] = value & 0x30 & ~COMMAND_POWER_DOWN;
                this.runCommand(value & 0x0f);
                return;
            case Reg.ComIrq:
                this.regs[reg] = value & ComIrq.Set1 ? this.regs[reg] | (value & 0x7f) : this.regs[reg] & ~value & 0x7f;
                return;
            case Reg.DivIrq:
                this.regs[reg] = value & DivIrq.Set2 ? this.regs[reg] | (value & 0x7f) : this.regs[reg] & ~value & 0x7f;
                return;
            case Reg.FIFOData:
                this.pushFifo(value);
                if (this.command === PcdCommand.CalcCRC) this.calcCrc();
                return;
            case Reg.FIFOLevel:
                if (value & FIFO_FLUSH) {
                    this.fifo = [];
                    this.regs[Reg.Error] &= ~ErrorBits.BufferOvfl;
                }
                return;
            case Reg.Coll:
                this.regs[reg] = (this.regs[reg] & ~CollBits.ValuesAfterColl) | (value & CollBits.ValuesAfterColl);
                return;
            case Reg.Control:
                return; // TStopNow/TStartNow: the timer is not simulated beyond its expiry flag
            case Reg.BitFraming:
                this.regs[reg] = value;
                if (value & BIT_FRAMING_START_SEND && this.command === PcdCommand.Transceive) this.transmit();
                return;
            case Reg.TxControl:
                this.regs[reg] = value;
                if (!this.antennaOn) this.powerOffCards();
                return;
            default:
                if (!READ_ONLY.has(reg)) this.regs[reg] = value;
        }
    }

    private runCommand(command: number): void {
        switch (command) {
            case PcdCommand.SoftReset:
                this.resetRegisters();
                return;
            case PcdCommand.CalcCRC:
                this.command = command;
                this.crcInput = [];
                this.calcCrc();
                return;
            case PcdCommand.Transceive:
                this.command = command;
                this.regs[Reg.Error] = 0;
                if (this.regs[Reg.BitFraming] & BIT_FRAMING_START_SEND) this.transmit();
                return;
            default:
                // Idle, and commands the simulation does not model (Mem, MFAuthent...), just stop.
                this.command = PcdCommand.Idle;
        }
    }

    private pushFifo(value: number): void {
        if (this.fifo.length >= FIFO_SIZE) this.regs[Reg.Error] |= ErrorBits.BufferOvfl;
        else this.fifo.push(value);
    }

    /** CalcCRC streams the FIFO into the coprocessor; the result is ready when the FIFO is empty. */
    private calcCrc(): void {
        this.crcInput.push(...this.fifo.splice(0));
        const crc = crc16(Uint8Array.from(this.crcInput), CRC_PRESETS[this.regs[Reg.Mode] & 0x03]);
        this.regs[Reg.CRCResultH] = crc >>> 8;
        this.regs[Reg.CRCResultL] = crc & 0xff;
        this.regs[Reg.DivIrq] |= DivIrq.Crc;
    }

    private transmit(): void {
        const framing = this.regs[Reg.BitFraming];
        const txLastBits = framing & 0x07;
        const rxAlign = (framing >> 4) & 0x07;
        const bytes = this.fifo.splice(0);
        const sent: Frame = { data: Buffer.from(bytes), bits: bytes.length * 8 - (txLastBits ? 8 - txLastBits : 0) };
        this.regs[Reg.Error] = 0;
        this.regs[Reg.ComIrq] |= ComIrq.Tx;
        const answers = this.antennaOn
            ? this.field.map((card) => card.receive(sent)).filter((a): a is Frame => a !== undefined)
            : [];
        const record: AirFrame = { sent };
        this.framesSent++;
        this.air.push(record);
        if (this.air.length > 200) this.air.shift();
        if (answers.length === 0) {
            // Nobody answered: with TAuto the timer started at the end of sending and now runs out.
            if (this.regs[Reg.TMode] & 0x80) this.regs[Reg.ComIrq] |= ComIrq.Timer;
            return;
        }
        this.receive(answers, rxAlign, record);
    }

    /** Merges the answers bit by bit like the receiver does and stores them at RxAlign in the FIFO. */
    private receive(answers: Frame[], rxAlign: number, record: AirFrame): void {
        const length = Math.max(...answers.map((a) => a.bits));
        const zeroAfterCollision = (this.regs[Reg.Coll] & CollBits.ValuesAfterColl) === 0;
        const out = Buffer.alloc(Math.ceil((rxAlign + length) / 8));
        let collisionAt = -1;
        for (let i = 0; i < length; i++) {
            const bits = answers.filter((a) => i < a.bits).map((a) => (a.data[i >> 3] >> (i & 7)) & 1);
            const differ = bits.some((b) => b !== bits[0]);
            if (differ && collisionAt < 0) collisionAt = i;
            const bit = collisionAt >= 0 && zeroAfterCollision ? (i === collisionAt ? 1 : 0) : bits.some((b) => b === 1) ? 1 : 0;
            const pos = rxAlign + i;
            out[pos >> 3] |= bit << (pos & 7);
        }
        out.forEach((byte) => this.pushFifo(byte));
        this.regs[Reg.Control] = (this.regs[Reg.Control] & ~0x07) | ((rxAlign + length) & 0x07);
        if (collisionAt >= 0) {
            const position = rxAlign + collisionAt + 1; // 1-based, counted in the FIFO bytes
            this.regs[Reg.Error] |= ErrorBits.CollErr;
            this.regs[Reg.Coll] = (this.regs[Reg.Coll] & CollBits.ValuesAfterColl)
                | (position > 32 ? CollBits.CollPosNotValid : position & CollBits.CollPosMask);
        }
        record.answer = { data: out, bits: rxAlign + length };
        record.collision = collisionAt >= 0;
        this.regs[Reg.ComIrq] |= ComIrq.Rx;
    }

    private resetRegisters(): void {
        this.regs.fill(0);
        for (const [reg, value] of Object.entries(RESET_VALUES)) this.regs[Number(reg)] = value;
        this.fifo = [];
        this.command = PcdCommand.Idle;
        this.crcInput = [];
        this.powerOffCards(); // TxControlReg resets with the antenna off
    }

    private powerOffCards(): void {
        this.field.forEach((card) => card.powerOff());
    }
}
