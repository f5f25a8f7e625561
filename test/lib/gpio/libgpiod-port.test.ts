import assert from 'assert/strict';
import {
    BIAS_PULL_UP, LibgpiodChip, LibgpiodLine, LibgpiodModule, LibgpiodPort, OPEN_DRAIN, openLibgpiodPort,
} from '../../../nodes/lib/gpio/libgpiod-port';
import type { Level } from '../../../nodes/lib/gpio/gpio-port';

/** What the fake binding saw, line by line. */
interface FakeLine extends LibgpiodLine {
    offset: number;
    requests: Array<{ consumer: string; flags: number; initial?: Level }>;
    values: number[];
    released: boolean;
}

/**
 * node-libgpiod as far as the port uses it, over made-up chips (name → label). `refuse`
 * makes requests of those offsets fail as a busy line does; `noBias` makes the kernel
 * refuse bias flags; `failSet` makes setValue throw.
 */
function fakeBinding(chips: Record<string, string>, options: { refuse?: number[]; noBias?: boolean; failSet?: boolean } = {}) {
    const lines: FakeLine[] = [];
    const module: LibgpiodModule = {
        getChipNames: () => Object.keys(chips),
        Chip: class implements LibgpiodChip {
            readonly label: string;
            constructor(readonly name: string) {
                this.label = chips[name];
            }
            getLine(offset: number): LibgpiodLine {
                const line: FakeLine = {
                    offset, requests: [], values: [], released: false,
                    requestOutputModeFlags(consumer, flags, initial) {
                        if (options.refuse?.includes(offset)) throw new Error('::requestOutputModeFlags - EBUSY');
                        if (options.noBias && flags & BIAS_PULL_UP) throw new Error('::requestOutputModeFlags - EINVAL');
                        line.requests.push({ consumer, flags, initial });
                    },
                    setValue(value) {
                        if (options.failSet) throw new Error('::setValue - EIO');
                        line.values.push(value);
                    },
                    release() {
                        line.released = true;
                    },
                };
                lines.push(line);
                return line;
            }
        },
    };
    return { module, lines };
}

const PI5 = { gpiochip0: 'pinctrl-rp1', gpiochip10: 'gpio-brcmstb@107d508500', gpiochip11: 'gpio-brcmstb@107d517c00' };

function opened(result: LibgpiodPort | { reason: string }): LibgpiodPort {
    assert.ok(result instanceof LibgpiodPort, JSON.stringify(result));
    return result;
}

describe('gpio port over node-libgpiod', () => {
    it('finds the header chip by label and requests the lines open-drain with the pull-up, idle high', () => {
        const fake = fakeBinding({ gpiochip4: 'pinctrl-rp1', gpiochip0: 'gpio-brcmstb@107d508500' });
        const port = opened(openLibgpiodPort(fake.module, [23, 24]));
        assert.equal(port.backend, 'node-libgpiod');
        assert.equal(port.chip.label, 'pinctrl-rp1');
        assert.deepEqual(fake.lines.map((l) => [l.offset, l.requests]), [
            [23, [{ consumer: 'redis-iot-node-red', flags: OPEN_DRAIN | BIAS_PULL_UP, initial: 1 }]],
            [24, [{ consumer: 'redis-iot-node-red', flags: OPEN_DRAIN | BIAS_PULL_UP, initial: 1 }]],
        ]);
    });

    it('does without the pull-up where the kernel cannot set bias', () => {
        const fake = fakeBinding(PI5, { noBias: true });
        opened(openLibgpiodPort(fake.module, [23, 24]));
        assert.deepEqual(fake.lines.map((l) => l.requests[0].flags), [OPEN_DRAIN, OPEN_DRAIN]);
    });

    it('says why when there is no Raspberry Pi header chip', () => {
        const fake = fakeBinding({ gpiochip0: 'gpio-mockup-A' });
        const result = openLibgpiodPort(fake.module, [23, 24]);
        assert.ok(!(result instanceof LibgpiodPort));
        assert.match(result.reason, /no Raspberry Pi GPIO chip/);
    });

    it('fails with the system\'s message when a line is busy, releasing the ones it had', () => {
        const fake = fakeBinding(PI5, { refuse: [24] });
        assert.throws(() => openLibgpiodPort(fake.module, [23, 24]), /cannot use GPIO 23 and 24 on gpiochip0: .*EBUSY/);
        assert.equal(fake.lines[0].released, true);
    });

    it('sets levels in order and spaces the edges by the edge delay', async () => {
        const fake = fakeBinding(PI5);
        const port = opened(openLibgpiodPort(fake.module, [23, 24], { edgeDelayUs: 50 }));
        const started = process.hrtime.bigint();
        for (let i = 0; i < 40; i++) port.set(23, (i % 2) as Level);
        port.set(24, 0);
        const elapsedUs = Number(process.hrtime.bigint() - started) / 1000;
        await port.flush();
        assert.deepEqual(fake.lines[0].values, Array.from({ length: 40 }, (_, i) => i % 2));
        assert.deepEqual(fake.lines[1].values, [0]);
        assert.ok(elapsedUs >= 41 * 50, `41 edges took only ${elapsedUs} µs`);
        assert.throws(() => port.set(25, 1), /not part of this port/);
    });

    it('reports a failed write at the next flush, then carries on', async () => {
        const fake = fakeBinding(PI5, { failSet: true });
        const port = opened(openLibgpiodPort(fake.module, [23, 24], { edgeDelayUs: 0 }));
        port.set(23, 0);
        await assert.rejects(port.flush(), /EIO/);
        await port.flush();
    });

    it('releases the lines on close', async () => {
        const fake = fakeBinding(PI5);
        const port = opened(openLibgpiodPort(fake.module, [23, 24]));
        await port.close();
        assert.deepEqual(fake.lines.map((l) => l.released), [true, true]);
        assert.throws(() => port.set(23, 0), /closed/);
    });
});
