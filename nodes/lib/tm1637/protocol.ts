// The TM1637's commands (datasheet, as avishorp/TM1637 and mcauser/micropython-tm1637 use
// it). A full refresh is three commands, each between its own start and stop condition:
// [0x40] write with auto-increment, [0xC0 d0 d1 d2 d3] from address 0, [0x88 | brightness].
import { DIGIT_COUNT } from './segments';

export const DATA_COMMAND = 0x40;
/** Data command flags: 0x02 reads the key scan, 0x04 keeps the address fixed, 0x08 is test mode. */
export const DATA_READ_KEYS = 0x02;
export const DATA_FIXED_ADDRESS = 0x04;
export const DATA_TEST_MODE = 0x08;
export const ADDRESS_COMMAND = 0xc0;
export const DISPLAY_CONTROL = 0x80;
export const DISPLAY_ON = 0x08;
/** Display RAM: six digits' worth, of which 4-digit modules wire 0 to 3. */
export const RAM_SIZE = 6;
export const MAX_BRIGHTNESS = 7;

/** Everything one refresh sets. */
export interface Frame {
    segments: readonly number[];
    /** 0 (1/16 duty) to 7 (14/16). */
    brightness: number;
    on: boolean;
}

export function checkFrame(frame: Frame): void {
    if (frame.segments.length !== DIGIT_COUNT || !frame.segments.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) {
        throw new Error(`a frame has ${DIGIT_COUNT} segment bytes 0-255`);
    }
    if (!isBrightness(frame.brightness)) throw new Error(`brightness is 0 to ${MAX_BRIGHTNESS}, not ${frame.brightness}`);
}

export function isBrightness(value: unknown): value is number {
    return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_BRIGHTNESS;
}

export function displayControl(on: boolean, brightness: number): number {
    return DISPLAY_CONTROL | (on ? DISPLAY_ON | brightness : 0);
}

/** The byte sequences of one refresh, one per start...stop transaction. */
export function frameTransactions(frame: Frame): number[][] {
    return [[DATA_COMMAND], [ADDRESS_COMMAND, ...frame.segments], [displayControl(frame.on, frame.brightness)]];
}
