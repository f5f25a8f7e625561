import assert from 'assert/strict';
import { DisplayInputError } from '../../../nodes/lib/tm1637/content';
import { SetupProblem } from '../../../nodes/lib/pi-helper/setup-problem';
import { DisplaySession, DisplaySettings, PortOpener } from '../../../nodes/lib/tm1637/display-session';
import { malformedRefreshes, PINS, simulatedBus } from './bus';

const SETTINGS: DisplaySettings = { ...PINS, mode: 'simulated', brightness: 0, overflow: 'clamp' };

async function started(settings: Partial<DisplaySettings> = {}, openPort?: PortOpener) {
    const session = new DisplaySession({ ...SETTINGS, ...settings }, openPort);
    const ready: Array<{ simulated: boolean; backend: string; reason?: string }> = [];
    session.on('ready', (info) => ready.push(info));
    await session.start();
    return { session, ready };
}

function commandsOf(session: DisplaySession): number[][] {
    const commands: number[][] = [];
    session.simulator?.on('command', (bytes) => commands.push(bytes));
    return commands;
}

describe('tm1637 display session', () => {
    it('runs simulated when asked, and shows a number through the driver', async () => {
        const { session, ready } = await started();
        assert.deepEqual(ready, [{ simulated: true, backend: 'simulated', reason: 'simulated mode' }]);
        const result = await session.show({ payload: 42 });
        assert.deepEqual(result, { segments: [0, 0, 0x66, 0x5b], text: '  42', brightness: 0, colon: false, outcome: 'written' });
        assert.equal(session.simulator?.text, '  42');
        assert.equal(session.simulator?.displayOn, true);
        await session.close(false);
    });

    it('keeps brightness and colon until a message changes them; clearing blanks the colon too', async () => {
        const { session } = await started({ brightness: 3 });
        const chip = session.simulator;
        await session.show({ payload: 1234, colon: true });
        assert.equal(chip?.text, '12:34');
        assert.equal(chip?.brightness, 3);
        await session.show({ brightness: 7 });
        assert.equal(chip?.text, '12:34', 'the digits stay');
        assert.equal(chip?.brightness, 7);
        await session.show({ payload: 'Err' });
        assert.equal(chip?.text, 'Er:r ', 'the colon stays on');
        await session.show({ brightness: '2' });
        assert.equal(chip?.brightness, 2, 'brightness as text');
        await session.show({ payload: null });
        assert.equal(chip?.text, '    ');
        await session.show({ payload: 5 });
        assert.equal(chip?.text, '   5');
        await session.close(false);
    });

    it('refuses bad input at once and leaves the display as it was', async () => {
        const { session } = await started();
        await session.show({ payload: 7 });
        const code = (fn: () => unknown) => {
            try {
                fn();
            } catch (err) {
                return err instanceof DisplayInputError ? err.code : String(err);
            }
            return 'no error';
        };
        assert.equal(code(() => session.show({ payload: 'Kiwi' })), 'unknown-character');
        assert.equal(code(() => session.show({ brightness: 8 })), 'invalid-brightness');
        assert.equal(code(() => session.show({ payload: 1, brightness: 1.5 })), 'invalid-brightness');
        assert.equal(code(() => session.show({ colon: 'yes' })), 'invalid-colon');
        assert.equal(code(() => session.show({})), 'nothing-to-show');
        assert.equal(code(() => new DisplaySession({ ...SETTINGS, overflow: 'error' }).show({ payload: 10000 })), 'overflow');
        await session.show({ colon: false });
        assert.equal(session.simulator?.text, '   7');
        assert.equal(session.simulator?.brightness, 0);
        await session.close(false);
    });

    it('never interleaves frames: a burst collapses to whole refreshes ending with the last value', async () => {
        const { session } = await started();
        const commands = commandsOf(session);
        const results = await Promise.all(Array.from({ length: 2000 }, (_, i) => session.show({ payload: i, brightness: i % 8 })));
        const chip = session.simulator;
        assert.deepEqual(chip?.errors, []);
        assert.deepEqual(malformedRefreshes(commands), []);
        assert.equal(chip?.text, '1999');
        assert.equal(chip?.brightness, 1999 % 8);
        const written = results.filter((r) => r.outcome === 'written').length;
        assert.equal(written, chip?.refreshes);
        assert.ok(written < 100, `${written} frames for 2000 updates`);
        assert.equal(results[1999].outcome, 'written');
        assert.equal(results[1000].outcome, 'superseded');
        await session.close(false);
    });

    it('writes to real lines when the port opens, and runs simulated with the reason where there are none', async () => {
        const hardware = simulatedBus(); // stands in for a display on real GPIO
        const real = await started({ mode: 'auto' }, async () => ({ port: hardware.port }));
        assert.equal(real.session.simulated, false);
        assert.equal(real.session.simulator, undefined);
        assert.deepEqual(real.ready, [{ simulated: false, backend: 'simulated' }]);
        await real.session.show({ payload: 'PI5' });
        assert.equal(hardware.chip.text, 'PI5 ');
        await real.session.close(false);

        const absent = await started({ mode: 'auto' }, async () => ({ reason: 'no Raspberry Pi GPIO chip found' }));
        assert.deepEqual(absent.ready, [{ simulated: true, backend: 'simulated', reason: 'no Raspberry Pi GPIO chip found' }]);
        await absent.session.close(false);
    });

    it('does not pretend with a simulated chip when the lines exist but cannot be opened yet: a fault, retried by later frames', async () => {
        const hardware = simulatedBus();
        const problem = new SetupProblem('the Python module lgpio is not installed', 'sudo apt install python3-lgpio');
        let installed = false;
        const events: string[] = [];
        const session = new DisplaySession({ ...SETTINGS, mode: 'auto', retryInterval: 100 }, async () => {
            if (!installed) throw problem;
            return { port: hardware.port };
        });
        session.on('fault', (err) => events.push(`fault: ${err.message}`));
        session.on('ready', (info) => events.push(`ready: ${info.backend}`));
        session.on('recovered', () => events.push('recovered'));
        await session.start();
        assert.equal(session.simulated, false);
        // Within the retry interval, every frame fails with the same advice, so the status keeps showing the fix.
        await assert.rejects(session.show({ payload: 1 }), (err) => err === problem);
        installed = true;
        await new Promise((resolve) => setTimeout(resolve, 120));
        await session.show({ payload: 2 });
        assert.equal(hardware.chip.text, '   2');
        assert.deepEqual(events, [
            `fault: ${problem.message}`, `fault: ${problem.message}`, 'ready: simulated', 'recovered',
        ]);
        await session.close(false);
    });

    it('reports a failing port, reopens it after the retry interval and recovers', async () => {
        const buses = [simulatedBus(), simulatedBus()];
        let opens = 0;
        const { session } = await started({ mode: 'auto', retryInterval: 100 }, async () => ({ port: buses[opens++].port }));
        const events: string[] = [];
        session.on('fault', (err) => events.push(`fault: ${err.message}`));
        session.on('recovered', () => events.push('recovered'));
        buses[0].port.failure = new Error('gpioset stopped');
        await assert.rejects(session.show({ payload: 1 }), /gpioset stopped/);
        await assert.rejects(session.show({ payload: 2 }), /unavailable; retrying/);
        await new Promise((resolve) => setTimeout(resolve, 120));
        await session.show({ payload: 3 });
        assert.equal(opens, 2);
        assert.equal(buses[1].chip.text, '   3');
        assert.deepEqual(events, ['fault: gpioset stopped', 'fault: GPIO 23/24 unavailable; retrying in 0.1 s', 'recovered']);
        await session.close(false);
    });

    it('blanks and switches off the display on close if asked, after the frame in flight', async () => {
        const { session } = await started();
        const commands = commandsOf(session);
        const chip = session.simulator;
        const last = session.show({ payload: 88 });
        const dropped = session.show({ payload: 99 });
        await session.close(true);
        assert.equal((await last).outcome, 'written');
        assert.equal((await dropped).outcome, 'dropped');
        assert.equal(chip?.displayOn, false);
        assert.deepEqual(chip?.ram.slice(0, 4), [0, 0, 0, 0]);
        assert.deepEqual(malformedRefreshes(commands), []);
        assert.equal((await session.show({ payload: 1 })).outcome, 'dropped');

        const keeping = await started();
        await keeping.session.show({ payload: 77 });
        await keeping.session.close(false);
        assert.equal(keeping.session.simulator?.text, '  77');
    });

    it('releases the real lines on close, also while they are still opening', async () => {
        const hardware = simulatedBus();
        let closed = 0;
        const port = Object.assign(Object.create(hardware.port) as typeof hardware.port, { close: async () => { closed += 1; } });
        const { session } = await started({ mode: 'auto' }, async () => ({ port }));
        await session.close(true);
        assert.equal(closed, 1);

        let release: () => void = () => undefined;
        const slow = new DisplaySession({ ...SETTINGS, mode: 'auto' }, () => new Promise((resolve) => {
            release = () => resolve({ port });
        }));
        const starting = slow.start();
        const closing = slow.close(true);
        release();
        await Promise.all([starting, closing]);
        assert.equal(closed, 2);
    });
});
