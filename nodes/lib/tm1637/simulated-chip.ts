// A TM1637 that watches its two pins: it finds start and stop conditions, clocks in bits on
// CLK's rising edge least significant first, pulls DIO low for the ACK clock after each
// byte, and carries out the data, address and display-control commands on its display RAM.
// Anything a real chip would misread is recorded in `errors`, so tests can drive the real
// driver against it and fail on MSB-first bytes, broken stops or interleaved frames.
import { EventEmitter } from 'events';
import type { Level, PinChange } from '../gpio/gpio-port';
import {
    ADDRESS_COMMAND, DATA_COMMAND, DATA_FIXED_ADDRESS, DATA_READ_KEYS, DATA_TEST_MODE, DISPLAY_CONTROL, DISPLAY_ON, RAM_SIZE,
} from './protocol';
import { DIGIT_COUNT, textOf } from './segments';

export interface ChipEvents {
    /** A complete command (the bytes between a start and a stop). */
    command: [bytes: number[]];
    error: [message: string];
}

type Phase = 'idle' | 'bits' | 'ack-due' | 'ack';

/** Errors kept for inspection; later ones are dropped, so a long run cannot grow memory. */
const KEPT_ERRORS = 50;

export class SimulatedTm1637 extends EventEmitter<ChipEvents> {
    readonly ram = new Array<number>(RAM_SIZE).fill(0);
    brightness = 0;
    /** Whether the last display-control command switched the display on. */
    displayOn = false;
    /** Display-control commands carried out: one per full refresh. */
    refreshes = 0;
    readonly errors: string[] = [];

    private clk: Level = 1;
    private dio: Level = 1; // as the master drives (or releases) it
    private acking = false; // the chip pulls DIO low
    private phase: Phase = 'idle';
    private bits = 0;
    private byte = 0;
    private bytes: number[] = [];
    private autoIncrement = true;

    constructor(readonly pins: { clk: number; dio: number }) {
        super();
    }

    /** What is lit: the first four RAM bytes while the display is on, blanks while it is off. */
    get segments(): number[] {
        return this.displayOn ? this.ram.slice(0, DIGIT_COUNT) : new Array<number>(DIGIT_COUNT).fill(0);
    }

    /** The lit digits read as text, e.g. "  42" or "12:34". */
    get text(): string {
        return textOf(this.segments);
    }

    /** Feed for SimulatedGpioPort's onChange. */
    readonly pinChanged = (change: PinChange): void => {
        if (change.pin === this.pins.clk) this.setClk(change.level);
        else if (change.pin === this.pins.dio) this.setDio(change.level);
    };

    /** The lines are open-drain with pull-ups: DIO is low if either side pulls it low. */
    private get wire(): Level {
        return this.acking ? 0 : this.dio;
    }

    private setDio(level: Level): void {
        if (level === this.dio) return;
        const before = this.wire;
        this.dio = level;
        this.wireChanged(before);
    }

    private setClk(level: Level): void {
        if (level === this.clk) return;
        this.clk = level;
        if (level === 1) this.rising();
        else this.falling();
    }

    /** A DIO edge while CLK is high is a start (falling) or a stop (rising); while CLK is low it is data setup. */
    private wireChanged(before: Level): void {
        const now = this.wire;
        if (now === before || this.clk === 0) return;
        if (now === 0) this.start();
        else this.stop();
    }

    private start(): void {
        if (this.phase !== 'idle') this.fail(`start condition before the stop of the previous command (${this.describe()})`);
        this.phase = 'bits';
        this.bits = 0;
        this.byte = 0;
        this.bytes = [];
    }

    private stop(): void {
        if (this.phase === 'idle') return; // a stop on an idle bus changes nothing
        // The stop's own CLK rise clocks in one low bit; more than that is a byte cut short.
        const partial = this.phase !== 'bits' || this.bits > 1 || this.byte !== 0;
        this.phase = 'idle';
        if (partial) {
            this.fail(`stop condition in the middle of a byte (${this.describe()})`);
            return;
        }
        this.execute(this.bytes);
    }

    private rising(): void {
        if (this.phase === 'bits') {
            this.byte |= this.wire << this.bits;
            this.bits += 1;
            if (this.bits === 8) this.phase = 'ack-due';
        }
        // 'ack': the ninth clock; the chip lets go of DIO when it falls again. 'idle': clocks are ignored.
    }

    private falling(): void {
        if (this.phase === 'ack-due') {
            this.bytes.push(this.byte);
            this.phase = 'ack';
            this.setAcking(true);
        } else if (this.phase === 'ack') {
            this.setAcking(false);
            this.phase = 'bits';
            this.bits = 0;
            this.byte = 0;
        }
    }

    private setAcking(acking: boolean): void {
        const before = this.wire;
        this.acking = acking;
        this.wireChanged(before);
    }

    private execute(bytes: number[]): void {
        if (bytes.length === 0) {
            this.fail('empty command (start followed by stop)');
            return;
        }
        this.emit('command', [...bytes]);
        const [command, ...data] = bytes;
        switch (command & 0xc0) {
            case DATA_COMMAND:
                if (command & (DATA_READ_KEYS | DATA_TEST_MODE)) this.fail(`data command 0x${hex(command)} (key scan or test mode) is not supported`);
                this.autoIncrement = !(command & DATA_FIXED_ADDRESS);
                if (data.length > 0) this.fail('a data command takes no data bytes');
                return;
            case ADDRESS_COMMAND:
                this.writeRam(command & 0x0f, data);
                return;
            case DISPLAY_CONTROL:
                if (data.length > 0) this.fail('a display control command takes no data bytes');
                this.displayOn = (command & DISPLAY_ON) !== 0;
                this.brightness = command & 0x07;
                this.refreshes += 1;
                return;
            default:
                this.fail(`unknown command 0x${hex(command)}`);
        }
    }

    private writeRam(start: number, data: number[]): void {
        let address = start;
        for (const byte of data) {
            if (address >= RAM_SIZE) {
                this.fail(`write past the display RAM (address ${address})`);
                return;
            }
            this.ram[address] = byte;
            if (this.autoIncrement) address += 1;
        }
    }

    private describe(): string {
        return `${this.bytes.length} byte(s) and ${this.bits} bit(s) received`;
    }

    private fail(message: string): void {
        if (this.errors.length < KEPT_ERRORS) this.errors.push(message);
        if (this.listenerCount('error') > 0) this.emit('error', message);
    }
}

function hex(byte: number): string {
    return byte.toString(16).padStart(2, '0');
}
