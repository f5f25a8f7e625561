import assert from 'assert/strict';
import { ChildProcess, spawn } from 'child_process';
import { headerChipFromGpiodetect } from '../../../nodes/lib/gpio/header-chip';
import { CommandRunner, openOutputLine, SimulatedOutputLine } from '../../../nodes/lib/gpio/output-line';

const PI5 = 'gpiochip0 [pinctrl-rp1] (54 lines)\ngpiochip10 [gpio-brcmstb@107d508500] (32 lines)\ngpiochip11 [gpio-brcmstb@107d517c00] (15 lines)\n';
const PI4_OLD = 'gpiochip0 [pinctrl-bcm2711] (58 lines)\ngpiochip1 [raspberrypi-exp-gpio] (8 lines)\n';

/**
 * Stands in for the system: `answers` maps a command line to its stdout (missing = the
 * command fails); long-running gpioset holders are real processes (sleep, false), so start,
 * kill and exit behave as with the real tool.
 */
class FakeSystem implements CommandRunner {
    readonly ran: string[] = [];
    readonly started: Array<{ args: string[]; child: ChildProcess }> = [];
    exitAtOnce = false;

    constructor(private readonly answers: Record<string, string>) {}

    async run(file: string, args: string[]): Promise<string> {
        const line = [file, ...args].join(' ');
        this.ran.push(line);
        const answer = this.answers[line] ?? this.answers[file];
        if (answer === undefined) throw new Error(`spawn ${file} ENOENT`);
        return answer;
    }

    start(_file: string, args: string[]): ChildProcess {
        const child = this.exitAtOnce ? spawn('false', [], { stdio: 'ignore' }) : spawn('sleep', ['60'], { stdio: 'ignore' });
        this.started.push({ args, child });
        return child;
    }
}

const running = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

describe('gpio output line', () => {
    it('records and forwards levels in the simulated line', async () => {
        const seen: number[] = [];
        const line = new SimulatedOutputLine(25, (v) => seen.push(v));
        await line.write(0);
        await line.write(1);
        assert.deepEqual(line.levels, [0, 1]);
        assert.equal(line.level, 1);
        assert.deepEqual(seen, [0, 1]);
        await line.close();
        await assert.rejects(line.write(0), /closed/);
    });

    it('finds the header GPIO chip by label, whatever its number', () => {
        assert.equal(headerChipFromGpiodetect(PI5), 'gpiochip0');
        assert.equal(headerChipFromGpiodetect('gpiochip4 [pinctrl-rp1] (54 lines)'), 'gpiochip4');
        assert.equal(headerChipFromGpiodetect(PI4_OLD), 'gpiochip0');
        assert.equal(headerChipFromGpiodetect('gpiochip0 [gpio-mockup-A] (8 lines)'), undefined);
        assert.equal(headerChipFromGpiodetect(''), undefined);
    });

    it('drives the pin with pinctrl where it works', async () => {
        const system = new FakeSystem({ pinctrl: '' });
        const line = await openOutputLine(25, system);
        assert.ok(line);
        await line.write(0);
        await line.write(1);
        await line.close();
        assert.deepEqual(system.ran, ['pinctrl get 25', 'pinctrl set 25 op dl', 'pinctrl set 25 op dh']);
    });

    it('falls back to a gpioset process (libgpiod v2) that holds the line until the next write', async () => {
        const system = new FakeSystem({ gpiodetect: PI5, 'gpioset --version': 'gpioset (libgpiod) v2.1\n' });
        const line = await openOutputLine(25, system);
        assert.ok(line);
        await line.write(0);
        const first = system.started[0].child;
        assert.ok(running(first));
        await line.write(1);
        assert.equal(running(first), false, 'the previous holder is released');
        assert.deepEqual(system.started.map((s) => s.args), [['-c', 'gpiochip0', '25=0'], ['-c', 'gpiochip0', '25=1']]);
        await line.close();
        assert.equal(running(system.started[1].child), false);
    });

    it('uses the libgpiod v1 syntax with --mode=signal', async () => {
        const system = new FakeSystem({ gpiodetect: PI4_OLD, 'gpioset --version': 'gpioset (libgpiod) v1.6.3\n' });
        const line = await openOutputLine(25, system);
        await line?.write(1);
        await line?.close();
        assert.deepEqual(system.started[0].args, ['--mode=signal', 'gpiochip0', '25=1']);
    });

    it('rejects a write when gpioset exits at once', async () => {
        const system = new FakeSystem({ gpiodetect: PI5, 'gpioset --version': 'v2.1' });
        system.exitAtOnce = true;
        const line = await openOutputLine(25, system);
        await assert.rejects(line?.write(1) ?? Promise.resolve(), /cannot set GPIO 25/);
    });

    it('resolves undefined off the Pi and rejects impossible pins', async () => {
        assert.equal(await openOutputLine(25, new FakeSystem({})), undefined);
        assert.equal(await openOutputLine(25, new FakeSystem({ gpiodetect: 'gpiochip0 [gpio-mockup-A] (8 lines)' })), undefined);
        await assert.rejects(openOutputLine(54, new FakeSystem({})), /invalid BCM pin/);
    });
});
