// The GPIO backend end to end: the real TM1637 driver, through the real hardware helper and
// each Python library it can use (lgpio; gpiod with the libgpiod v1 API of Bookworm and the
// v2 API of Trixie), to the TM1637 model in this process, which decodes what the pins do.
import assert from 'assert/strict';
import fs from 'fs';
import os from 'os';
import path from 'path';
import type { Level } from '../../../nodes/lib/gpio/gpio-port';
import { HelperGpioPort, openHelperGpioPort } from '../../../nodes/lib/gpio/helper-gpio-port';
import { HelperStopped } from '../../../nodes/lib/pi-helper/helper-process';
import { SetupProblem } from '../../../nodes/lib/pi-helper/setup-problem';
import { textContent } from '../../../nodes/lib/tm1637/content';
import { Tm1637 } from '../../../nodes/lib/tm1637/driver';
import { SimulatedTm1637 } from '../../../nodes/lib/tm1637/simulated-chip';
import { FakeModule, FakePi, FakePiOptions, onFakePi } from '../pi-helper/fake-pi';

const PINS = { clk: 23, dio: 24 };

async function waitUntil(condition: () => boolean, timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
        if (Date.now() > deadline) throw new Error('timed out');
        await new Promise((resolve) => setTimeout(resolve, 10));
    }
}

describe('GPIO through the hardware helper', function () {
    let port: HelperGpioPort | undefined;
    const pis = onFakePi(async () => {
        await port?.close();
        port = undefined;
    });

    /** A fake Pi whose pins feed a TM1637 model. */
    async function display(options: FakePiOptions = {}) {
        const pi = await FakePi.start({ modules: ['lgpio'], ...options });
        pis.current = pi;
        const chip = new SimulatedTm1637(PINS);
        pi.onLevel = chip.pinChanged;
        return { fake: pi, chip };
    }

    async function open(fake: FakePi, edgeDelayUs = 10): Promise<HelperGpioPort> {
        const result = await openHelperGpioPort([PINS.clk, PINS.dio], fake.host, { edgeDelayUs });
        assert.ok(result instanceof HelperGpioPort, JSON.stringify(result));
        port = result;
        return result;
    }

    const libraries: Array<[FakeModule, string, string]> = [
        ['lgpio', 'lgpio', 'python3 lgpio'],
        ['gpiod-v1', 'gpiod v1', 'python3 gpiod (libgpiod v1)'],
        ['gpiod-v2', 'gpiod v2', 'python3 gpiod (libgpiod v2)'],
    ];
    for (const [module, library, backend] of libraries) {
        it(`shows 12:34 through ${library}: lines open-drain with the pull-up on the header chip, released on close`, async () => {
            const { fake, chip } = await display({ modules: [module] });
            const gpio = await open(fake);
            assert.equal(gpio.backend, backend);
            await new Tm1637(gpio, PINS).write({ segments: textContent('12:34').segments, brightness: 5, on: true });
            assert.deepEqual(chip.errors, []);
            assert.equal(chip.text, '12:34');
            assert.equal(chip.brightness, 5);
            assert.deepEqual(fake.claims.map(({ chip: c, pin, initial, openDrain, pullUp }) => ({ c, pin, initial, openDrain, pullUp })), [
                { c: 'gpiochip0', pin: 23, initial: 1, openDrain: true, pullUp: true },
                { c: 'gpiochip0', pin: 24, initial: 1, openDrain: true, pullUp: true },
            ]);
            assert.ok(fake.claims.every((c) => c.library === library));
            await gpio.close();
            port = undefined;
            assert.deepEqual(fake.released.map((r) => r.pin).sort(), [23, 24]);
        });
    }

    it('finds the header chip by its label, whatever its number', async () => {
        const { fake, chip } = await display({ chips: { gpiochip0: 'raspberrypi-exp-gpio', gpiochip4: 'pinctrl-bcm2711' } });
        const gpio = await open(fake);
        await new Tm1637(gpio, PINS).write({ segments: textContent('Pi 4').segments, brightness: 1, on: true });
        assert.equal(chip.text, 'Pi 4');
        assert.deepEqual(new Set(fake.claims.map((c) => c.chip)), new Set(['gpiochip4']));
    });

    it('does without the pull-up where the kernel refuses bias', async () => {
        const { fake, chip } = await display({ modules: ['gpiod-v2'] });
        fake.refuse.pullUp = 'EINVAL';
        const gpio = await open(fake);
        assert.deepEqual(fake.claims.map((c) => [c.openDrain, c.pullUp]), [[true, false], [true, false]]);
        await new Tm1637(gpio, PINS).write({ segments: textContent('0').segments, brightness: 0, on: true });
        assert.equal(chip.text, '0   ');
    });

    it('applies levels in order, sends only changes, and answers once all are on the pins', async () => {
        const { fake } = await display();
        const gpio = await open(fake, 0);
        for (let i = 0; i < 40; i++) gpio.set(PINS.clk, (i % 2) as Level);
        gpio.set(PINS.dio, 1); // already 1: not sent
        gpio.set(PINS.dio, 0);
        gpio.set(PINS.dio, 0);
        await gpio.flush();
        // Both lines start high, so each of the 40 alternating CLK levels is a change, and DIO one.
        assert.deepEqual(fake.writes, [
            ...Array.from({ length: 40 }, (_, i) => ({ pin: PINS.clk, level: i % 2 })),
            { pin: PINS.dio, level: 0 },
        ]);
        await gpio.flush(); // nothing queued
        assert.throws(() => gpio.set(25, 1), /not part of this port/);
    });

    it('holds each level for the edge delay', async () => {
        const { fake } = await display();
        const gpio = await open(fake, 2000);
        const started = process.hrtime.bigint();
        for (let i = 0; i < 20; i++) gpio.set(PINS.clk, (i % 2) as Level);
        await gpio.flush();
        const elapsedUs = Number(process.hrtime.bigint() - started) / 1000;
        assert.equal(fake.writes.length, 20);
        assert.ok(elapsedUs >= 20 * 2000, `20 edges of 2 ms took only ${Math.round(elapsedUs)} µs`);
    });

    it('gives a reason, not a problem, where no chip has a Raspberry Pi header label', async () => {
        const { fake } = await display({ chips: { gpiochip0: 'gpio-mockup-A' } });
        const result = await openHelperGpioPort([23, 24], fake.host);
        assert.ok(!(result instanceof HelperGpioPort));
        assert.match(result.reason, /no Raspberry Pi GPIO chip .* found \(labels found: gpio-mockup-A\)/);
    });

    it('names the package when neither lgpio nor gpiod can be imported', async () => {
        const { fake } = await display({ modules: [] });
        const err = await openHelperGpioPort([23, 24], fake.host).catch((e: unknown) => e);
        assert.ok(err instanceof SetupProblem, String(err));
        assert.equal(err.statusText, 'sudo apt install python3-lgpio');
    });

    it('names the group to join when the chips may not be opened', async () => {
        const { fake } = await display({ modules: ['gpiod-v2'] });
        fake.refuse.chips = { gpiochip0: 'EACCES', gpiochip10: 'EACCES', gpiochip11: 'EACCES' };
        const err = await openHelperGpioPort([23, 24], fake.host).catch((e: unknown) => e);
        assert.ok(err instanceof SetupProblem, String(err));
        assert.equal(err.statusText, `sudo usermod -aG gpio ${os.userInfo().username}`);
    });

    it('fails with the library\'s words when a line is busy, releasing the lines it had', async () => {
        const { fake } = await display();
        fake.refuse.pins = { 24: 'EBUSY' };
        const err = await openHelperGpioPort([23, 24], fake.host).catch((e: unknown) => e);
        assert.ok(err instanceof Error && !(err instanceof SetupProblem), String(err));
        assert.match(err.message, /cannot use GPIO 23 and 24 on gpiochip0: GPIO busy/);
        assert.deepEqual(fake.released.map((r) => r.pin), [23]);
    });

    it('gives each helper a working directory of its own, as lgpio needs, and removes it', async () => {
        // Two displays at once: lgpio's notification pipes would collide in a shared directory,
        // and the Node-RED process's own may not even be writable.
        const { fake, chip } = await display();
        const first = await open(fake);
        const second = await openHelperGpioPort([5, 6], fake.host);
        assert.ok(second instanceof HelperGpioPort, JSON.stringify(second));
        assert.equal(fake.helperDirs().length, 2);
        assert.equal(fs.existsSync(path.join(process.cwd(), '.lgd-nfy0')), false);
        await new Tm1637(first, PINS).write({ segments: textContent('2').segments, brightness: 0, on: true });
        assert.equal(chip.text, '2   ');
        await second.close();
        assert.equal(fake.helperDirs().length, 1);
    });

    it('releases the lines and removes its directory when it is terminated', async () => {
        const { fake } = await display();
        await open(fake);
        const [pid] = fake.pids;
        process.kill(pid, 'SIGTERM');
        await waitUntil(() => fake.runningHelpers().length === 0);
        assert.deepEqual(fake.released.map((r) => r.pin).sort(), [23, 24]);
        assert.deepEqual(fake.helperDirs(), []);
    });

    it('rejects flushes with HelperStopped once the helper is killed', async () => {
        const { fake } = await display();
        const gpio = await open(fake);
        fake.killHelpers();
        await new Promise((resolve) => setTimeout(resolve, 100));
        gpio.set(PINS.clk, 0);
        await assert.rejects(gpio.flush(), HelperStopped);
        await assert.rejects(gpio.flush(), /the hardware helper stopped \(SIGKILL\)/, 'also with nothing queued');
    });

    it('refuses pins that are not BCM GPIO numbers before starting anything', async () => {
        const { fake } = await display();
        await assert.rejects(openHelperGpioPort([23, 60], fake.host), /invalid BCM pin 60/);
        assert.equal(fake.pids.size, 0);
    });

});
