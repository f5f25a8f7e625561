import assert from 'assert/strict';
import { ChildProcessWithoutNullStreams, spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { GpiosetPort, gpiosetArgs, gpiosetIsInteractive, openGpiosetPort, Spawner } from '../../../nodes/lib/gpio/gpioset-port';
import { numberContent } from '../../../nodes/lib/tm1637/content';
import { Tm1637 } from '../../../nodes/lib/tm1637/driver';
import { SimulatedTm1637 } from '../../../nodes/lib/tm1637/simulated-chip';

const FAKE = path.join(__dirname, 'fake-gpioset.js');
const logDirs: string[] = [];

/** Runs the fake gpioset as a real child process, logging to a fresh file. */
function fakeGpioset(env: Record<string, string> = {}) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-gpioset-'));
    logDirs.push(dir);
    const log = path.join(dir, 'levels.log');
    const children: ChildProcessWithoutNullStreams[] = [];
    const spawner: Spawner = (file, args) => {
        assert.equal(file, 'gpioset');
        const child = spawn(process.execPath, [FAKE, ...args], { stdio: 'pipe', env: { ...process.env, FAKE_GPIOSET_LOG: log, ...env } });
        children.push(child);
        return child;
    };
    const logged = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : []);
    return { spawner, logged, children };
}

const running = (child: ChildProcessWithoutNullStreams) => child.exitCode === null && child.signalCode === null;

describe('gpio port over gpioset --interactive', () => {
    let open: GpiosetPort[] = [];
    afterEach(async () => {
        await Promise.all(open.map((port) => port.close()));
        open = [];
        logDirs.splice(0).forEach((dir) => fs.rmSync(dir, { recursive: true, force: true }));
    });

    it('recognises a gpioset built with interactive mode from its help', () => {
        assert.equal(gpiosetIsInteractive('  -i, --interactive\tset the lines then wait for additional set commands'), true);
        assert.equal(gpiosetIsInteractive('  -m, --mode=[exit|wait|time|signal] (defaults to \'exit\'):'), false);
    });

    it('requests the lines open-drain with the pull-up, at their idle level, on the chip it is given', () => {
        assert.deepEqual(gpiosetArgs('gpiochip4', [23, 24], 1), [
            '--interactive', '--consumer', 'redis-iot-node-red', '--drive', 'open-drain', '--bias', 'pull-up', '--chip', 'gpiochip4', '23=1', '24=1',
        ]);
    });

    it('carries a TM1637 frame through the process, every level applied before flush() resolves', async () => {
        const fake = fakeGpioset();
        const port = await openGpiosetPort('gpiochip0', [23, 24], { spawn: fake.spawner });
        open.push(port);
        assert.equal(port.backend, 'gpioset');
        await new Tm1637(port, { clk: 23, dio: 24 }).write({ segments: numberContent(1637, 'clamp').segments, brightness: 4, on: true });
        const [args, ...levels] = fake.logged();
        assert.match(args, /--interactive .*--chip gpiochip0 23=1 24=1/);
        const chip = new SimulatedTm1637({ clk: 23, dio: 24 });
        for (const entry of levels) {
            const [pin, level] = entry.split('=').map(Number);
            chip.pinChanged({ pin, level: level as 0 | 1 });
        }
        assert.deepEqual(chip.errors, []);
        assert.equal(chip.text, '1637');
        assert.equal(chip.brightness, 4);
    });

    it('sends only levels that change', async () => {
        const fake = fakeGpioset();
        const port = await openGpiosetPort('gpiochip0', [23, 24], { spawn: fake.spawner });
        open.push(port);
        port.set(23, 1); // already 1
        port.set(24, 0);
        port.set(24, 0);
        await port.flush();
        assert.deepEqual(fake.logged().slice(1), ['24=0']);
        await port.flush(); // nothing queued: resolves at once
    });

    it('fails to open with gpioset\'s own message when it cannot have the lines', async () => {
        const fake = fakeGpioset({ FAKE_GPIOSET_CHIP: 'gpiochip9' });
        await assert.rejects(openGpiosetPort('gpiochip0', [23, 24], { spawn: fake.spawner }), /cannot find GPIO chip character device 'gpiochip0'/);
    });

    it('rejects flushes once gpioset complains or stops', async () => {
        const complaining = fakeGpioset({ FAKE_GPIOSET_COMPLAIN: '1' });
        const port = await openGpiosetPort('gpiochip0', [23, 24], { spawn: complaining.spawner });
        open.push(port);
        port.set(23, 0);
        await assert.rejects(port.flush(), /gpioset: unknown line/);

        const fake = fakeGpioset();
        const dying = await openGpiosetPort('gpiochip0', [23, 24], { spawn: fake.spawner });
        open.push(dying);
        fake.children[0].kill('SIGKILL');
        await new Promise((resolve) => fake.children[0].once('exit', resolve));
        dying.set(23, 0);
        await assert.rejects(dying.flush(), /gpioset stopped/);
    });

    it('ends the process on close', async () => {
        const fake = fakeGpioset();
        const port = await openGpiosetPort('gpiochip0', [23, 24], { spawn: fake.spawner });
        assert.equal(running(fake.children[0]), true);
        await port.close();
        assert.equal(running(fake.children[0]), false);
        assert.throws(() => port.set(23, 0), /closed/);
    });

    it('refuses pins that are not BCM GPIO numbers, or not its own', async () => {
        await assert.rejects(openGpiosetPort('gpiochip0', [23, 60], { spawn: fakeGpioset().spawner }), /invalid BCM pin 60/);
        const port = await openGpiosetPort('gpiochip0', [23, 24], { spawn: fakeGpioset().spawner });
        open.push(port);
        assert.throws(() => port.set(25, 0), /not part of this port/);
    });
});
