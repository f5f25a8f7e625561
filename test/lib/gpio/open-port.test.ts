import assert from 'assert/strict';
import { spawn } from 'child_process';
import path from 'path';
import { openGpioPort, PortEnvironment } from '../../../nodes/lib/gpio/open-port';
import type { LibgpiodModule } from '../../../nodes/lib/gpio/libgpiod-port';
import type { CommandRunner } from '../../../nodes/lib/gpio/output-line';

const FAKE_GPIOSET = path.join(__dirname, 'fake-gpioset.js');
const PI5 = 'gpiochip0 [pinctrl-rp1] (54 lines)\ngpiochip10 [gpio-brcmstb@107d508500] (32 lines)\n';
const V2_INTERACTIVE_HELP = 'Usage: gpioset [OPTIONS] <line=value>...\n  -i, --interactive\tset the lines then wait for additional set commands\n';
const V1_HELP = 'Usage: gpioset [OPTIONS] <chip name/number> <offset1>=<value1> ...\n  -m, --mode=[exit|wait|time|signal]\n';

/** Commands answer from `answers` (missing = not installed); gpioset itself is the fake script. */
function environment(answers: Record<string, string>, gpiod?: LibgpiodModule): PortEnvironment & { spawned: string[][] } {
    const spawned: string[][] = [];
    const commands: CommandRunner = {
        run: async (file, args) => {
            const answer = answers[[file, ...args].join(' ')];
            if (answer === undefined) throw new Error(`spawn ${file} ENOENT`);
            return answer;
        },
        start: () => { throw new Error('not used'); },
    };
    return {
        loadLibgpiod: () => gpiod,
        commands,
        spawn: (_file, args) => {
            spawned.push(args);
            return spawn(process.execPath, [FAKE_GPIOSET, ...args], { stdio: 'pipe' });
        },
        spawned,
    };
}

const fakeBinding = (label: string): LibgpiodModule => ({
    getChipNames: () => ['gpiochip0'],
    Chip: class {
        readonly label = label;
        getLine() {
            return { requestOutputModeFlags: () => undefined, setValue: () => undefined, release: () => undefined };
        }
    },
});

describe('choosing a gpio port', () => {
    it('uses node-libgpiod when it is installed', async () => {
        const env = environment({ gpiodetect: PI5, 'gpioset --help': V2_INTERACTIVE_HELP });
        const opening = await openGpioPort([23, 24], 1, { ...env, loadLibgpiod: () => fakeBinding('pinctrl-rp1') });
        assert.equal(opening.port?.backend, 'node-libgpiod');
        assert.deepEqual(env.spawned, []);
        await opening.port?.close();
    });

    it('says so when node-libgpiod sees no Raspberry Pi chip', async () => {
        const opening = await openGpioPort([23, 24], 1, environment({}, fakeBinding('gpio-mockup-A')));
        assert.match(opening.reason ?? '', /no Raspberry Pi GPIO chip/);
    });

    it('falls back to gpioset --interactive on the chip found by label', async () => {
        const env = environment({ gpiodetect: PI5, 'gpioset --help': V2_INTERACTIVE_HELP });
        const opening = await openGpioPort([23, 24], 1, env);
        assert.equal(opening.port?.backend, 'gpioset');
        assert.ok(env.spawned[0].includes('gpiochip0'));
        await opening.port?.close();
    });

    it('gives a reason, and starts nothing, where neither can drive the lines', async () => {
        const none = await openGpioPort([23, 24], 1, environment({}));
        assert.match(none.reason ?? '', /node-libgpiod is not installed and the libgpiod tools .* are missing/);
        const notPi = await openGpioPort([23, 24], 1, environment({ gpiodetect: 'gpiochip0 [gpio-mockup-A] (8 lines)\n' }));
        assert.match(notPi.reason ?? '', /no Raspberry Pi GPIO chip/);
        const env = environment({ gpiodetect: PI5, 'gpioset --help': V1_HELP });
        const v1 = await openGpioPort([23, 24], 1, env);
        assert.match(v1.reason ?? '', /no --interactive mode/);
        assert.deepEqual(env.spawned, []);
    });
});
