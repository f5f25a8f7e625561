import assert from 'assert/strict';
import type { GpioPort, Level } from '../../../nodes/lib/gpio/gpio-port';
import { numberContent, textContent } from '../../../nodes/lib/tm1637/content';
import { Tm1637 } from '../../../nodes/lib/tm1637/driver';
import { bitBang, malformedRefreshes, PINS, simulatedBus } from './bus';

describe('tm1637 driver on the simulated bus', () => {
    it('writes a full refresh that the chip decodes back into digits', async () => {
        const { chip, port, commands } = simulatedBus();
        const driver = new Tm1637(port, PINS);
        await driver.write({ segments: numberContent(42, 'clamp').segments, brightness: 0, on: true });
        assert.deepEqual(commands, [[0x40], [0xc0, 0x00, 0x00, 0x66, 0x5b], [0x88]]);
        assert.deepEqual(chip.errors, []);
        assert.equal(chip.text, '  42');
        assert.deepEqual(chip.segments, [0x00, 0x00, 0x66, 0x5b]);
        assert.equal(chip.brightness, 0);
        assert.equal(chip.displayOn, true);
        assert.equal(chip.refreshes, 1);
        assert.deepEqual([port.level(PINS.clk), port.level(PINS.dio)], [1, 1], 'the bus is left idle');
    });

    it('sets brightness, the colon, and switches the display off', async () => {
        const { chip, port } = simulatedBus();
        const driver = new Tm1637(port, PINS);
        await driver.write({ segments: textContent('12:34').segments, brightness: 7, on: true });
        assert.equal(chip.text, '12:34');
        assert.equal(chip.brightness, 7);
        await driver.write({ segments: textContent('12:34').segments, brightness: 3, on: false });
        assert.equal(chip.displayOn, false);
        assert.equal(chip.text, '    ', 'nothing is lit while off');
        assert.deepEqual(chip.ram.slice(0, 4), [0x06, 0xdb, 0x4f, 0x66], 'the RAM keeps the digits');
    });

    it('sends bytes least significant bit first, each followed by an ACK clock', async () => {
        // What DIO carries at each CLK rising edge within a transaction, straight from the pins.
        const sampled: Level[][] = [];
        const port = recordingPort(sampled);
        await new Tm1637(port, PINS).write({ segments: [0x01, 0x80, 0x00, 0x00], brightness: 2, on: true });
        // Each transaction ends with the stop's own clock, which always carries a low DIO.
        assert.deepEqual(sampled[0], [0, 0, 0, 0, 0, 0, 1, 0, 0, 0], '0x40 LSB first, the ACK clock (DIO held low), the stop');
        assert.equal(sampled[1].length, 5 * 9 + 1);
        assert.deepEqual(sampled[1].slice(9, 18), [1, 0, 0, 0, 0, 0, 0, 0, 0], '0x01: bit 0 first');
        assert.deepEqual(sampled[1].slice(18, 27), [0, 0, 0, 0, 0, 0, 0, 1, 0], '0x80: bit 7 last');
        assert.deepEqual(sampled[2], [0, 1, 0, 1, 0, 0, 0, 1, 0, 0], '0x8A');
    });

    it('refuses frames the chip cannot take', async () => {
        const { port } = simulatedBus();
        const driver = new Tm1637(port, PINS);
        await assert.rejects(driver.write({ segments: [1, 2, 3], brightness: 0, on: true }), /4 segment bytes/);
        await assert.rejects(driver.write({ segments: [0, 0, 0, 0], brightness: 8, on: true }), /brightness/);
        assert.throws(() => new Tm1637(port, { clk: 5, dio: 5 }), /different/);
    });

    it('ends a frame that failed half way with a stop, so the next one is read correctly', async () => {
        const { chip, port } = simulatedBus();
        const cut = new CuttingPort(port, 53); // 32 levels for [0x40], then dies inside the address command's first byte
        const driver = new Tm1637(cut, PINS);
        await assert.rejects(driver.write({ segments: textContent('8888').segments, brightness: 1, on: true }), /cut/);
        cut.cutAfter = Infinity;
        await driver.write({ segments: numberContent(7, 'clamp').segments, brightness: 1, on: true });
        assert.equal(chip.text, '   7');
        assert.match(chip.errors.join('\n'), /stop condition in the middle of a byte/);
    });
});

describe('tm1637 chip model catches protocol faults', () => {
    it('decodes a correct hand-written refresh without errors', () => {
        const { chip, port } = simulatedBus();
        bitBang(port, [0x40]);
        bitBang(port, [0xc0, 0x3f, 0x06, 0x5b, 0x4f]);
        bitBang(port, [0x8f]);
        assert.deepEqual(chip.errors, []);
        assert.equal(chip.text, '0123');
        assert.equal(chip.brightness, 7);
    });

    it('misreads bytes sent most significant bit first', () => {
        const { chip, port } = simulatedBus();
        bitBang(port, [0x40], { msbFirst: true }); // read as 0x02: no such command
        bitBang(port, [0xc0, 0x3f, 0x06, 0x5b, 0x4f], { msbFirst: true }); // read as 0x03 ...: nothing is written
        bitBang(port, [0x8f], { msbFirst: true });
        assert.notEqual(chip.text, '0123');
        assert.ok(chip.errors.length > 0);
    });

    it('sees no stop when DIO rises before CLK', () => {
        const { chip, port } = simulatedBus();
        bitBang(port, [0x40], { badStop: true });
        bitBang(port, [0xc0, 0x3f, 0x06, 0x5b, 0x4f]);
        assert.match(chip.errors.join('\n'), /start condition before the stop/);
        assert.equal(chip.refreshes, 0);
    });

    it('loses step without the ACK clock', () => {
        const { chip, port } = simulatedBus();
        bitBang(port, [0x40], { noAckClock: true });
        bitBang(port, [0xc0, 0x3f, 0x06, 0x5b, 0x4f], { noAckClock: true });
        bitBang(port, [0x8f], { noAckClock: true });
        assert.ok(chip.errors.length > 0);
        assert.notEqual(chip.text, '0123');
    });

    it('is garbled by two writers interleaving their edges', () => {
        const { chip, port, commands } = simulatedBus();
        const edges = (bytes: number[]) => {
            const log: Array<[number, Level]> = [];
            bitBang({ backend: 'log', set: (pin, level) => { log.push([pin, level]); }, flush: async () => undefined, close: async () => undefined }, bytes);
            return log;
        };
        const a = edges([0xc0, 0x3f, 0x06, 0x5b, 0x4f]);
        const b = edges([0xc0, 0x66, 0x6d, 0x7d, 0x07]);
        bitBang(port, [0x40]);
        for (let i = 0; i < Math.max(a.length, b.length); i += 6) {
            for (const [pin, level] of a.slice(i, i + 6)) port.set(pin, level);
            for (const [pin, level] of b.slice(i, i + 6)) port.set(pin, level);
        }
        bitBang(port, [0x88]);
        const garbled = chip.errors.length > 0 || malformedRefreshes(commands).length > 0
            || !['0123', '4567'].includes(chip.text);
        assert.ok(garbled, `interleaving went unnoticed: ${chip.text}`);
    });

    it('ignores clocks and stops on an idle bus, as the chip does', () => {
        const { chip, port } = simulatedBus();
        port.set(PINS.clk, 0);
        port.set(PINS.clk, 1);
        port.set(PINS.clk, 0);
        port.set(PINS.dio, 0);
        port.set(PINS.clk, 1);
        port.set(PINS.dio, 1);
        assert.deepEqual(chip.errors, []);
    });
});

/** Records, per transaction, the DIO level at every CLK rising edge. */
function recordingPort(sampled: Level[][]): GpioPort {
    const levels = new Map<number, Level>([[PINS.clk, 1], [PINS.dio, 1]]);
    return {
        backend: 'recording',
        set(pin, level) {
            const before = levels.get(pin);
            levels.set(pin, level);
            if (pin === PINS.dio && levels.get(PINS.clk) === 1 && before === 1 && level === 0) sampled.push([]);
            if (pin === PINS.clk && before === 0 && level === 1) sampled[sampled.length - 1]?.push(levels.get(PINS.dio) as Level);
        },
        flush: async () => undefined,
        close: async () => undefined,
    };
}

/** A port that stops passing levels on after `cutAfter` of them, and fails its next flush. */
class CuttingPort implements GpioPort {
    readonly backend = 'cutting';
    private count = 0;
    private cut = false;

    constructor(private readonly inner: GpioPort, public cutAfter: number) {}

    set(pin: number, level: Level): void {
        this.count += 1;
        if (this.count > this.cutAfter) {
            this.cut = true;
            return;
        }
        this.inner.set(pin, level);
    }

    async flush(): Promise<void> {
        if (this.cut) {
            this.cut = false;
            this.count = 0;
            throw new Error('line cut');
        }
        return this.inner.flush();
    }

    close(): Promise<void> {
        return this.inner.close();
    }
}
