import assert from 'assert/strict';
import path from 'path';
import type { Node } from 'node-red';
import { readFlowFile } from '../../scripts/demo/flows';
import { REPO_ROOT } from '../../scripts/demo/paths';
import { isRaspberryPi, piHost } from '../../nodes/lib/pi-helper/pi-host';
import { SimulatedTm1637 } from '../../nodes/lib/tm1637/simulated-chip';
import { FakePi, FakePiOptions, onFakePi } from '../lib/pi-helper/fake-pi';
import { malformedRefreshes } from '../lib/tm1637/bus';
import { catchNode, collect, coreNode, FlowNode, helper, load, loggedBy, Msg, statusOf, waitFor } from '../support/flow';
import { DAY_MS, withWallClockStepped } from '../support/wall-clock';

const displayModule = require('../../nodes/tm1637-display/tm1637-display');
const injectModule = coreNode('common/20-inject.js');
const commentModule = coreNode('common/90-comment.js');

type DisplayNode = Node & { simulator: SimulatedTm1637 | undefined };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function displayFlow(props: Record<string, unknown> = {}): FlowNode[] {
    return [
        { id: 'tab', type: 'tab' },
        {
            id: 'display', type: 'tm1637-display', z: 'tab', name: '', clk: 23, dio: 24, brightness: 0, overflow: 'clamp',
            clearOnClose: true, mode: 'simulated', wires: [['out']], ...props,
        },
        { id: 'out', type: 'helper', z: 'tab' },
        { id: 'catcher', type: 'catch', z: 'tab', wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'tab' },
    ];
}

async function loaded(props: Record<string, unknown> = {}) {
    await load([displayModule, catchNode], displayFlow(props));
    const display = helper.getNode('display') as DisplayNode;
    const out = { display, sent: collect('out'), caught: collect('caught') };
    await waitFor(() => statusOf('display').text !== undefined, 3000, 'display status');
    return out;
}

function send(payload: unknown, extra: Record<string, unknown> = {}): void {
    (helper.getNode('display') as Node).receive({ payload, ...extra } as never);
}

describe('tm1637-display node', function () {
    afterEach(() => helper.unload());

    it('runs simulated with a grey status and exposes the simulated chip', async () => {
        const { display } = await loaded();
        assert.deepEqual(statusOf('display'), { fill: 'grey', shape: 'dot', text: 'tm1637-display.status.simulated' });
        assert.ok(display.simulator);
    });

    it('falls back to simulated in auto mode off a Raspberry Pi, saying why in one log line', async function () {
        if (isRaspberryPi(piHost)) this.skip();
        await loaded({ mode: 'auto' });
        assert.deepEqual(statusOf('display'), { fill: 'grey', shape: 'dot', text: 'tm1637-display.status.simulated' });
        // Info or more severe (40).
        const said = loggedBy('display', 40).filter((e) => /tm1637-display\.log\.simulated/.test(String(e.msg)));
        assert.equal(said.length, 1);
    });

    it('shows a number and passes the message on once the frame is on the bus', async () => {
        const { display, sent } = await loaded();
        send(42, { topic: 'count', _keep: 'me' });
        await waitFor(() => sent.length === 1, 3000, 'output');
        assert.equal(display.simulator?.text, '  42');
        assert.equal(sent[0].topic, 'count');
        assert.equal(sent[0]._keep, 'me');
        assert.deepEqual(sent[0].display, { segments: [0, 0, 0x66, 0x5b], text: '  42', brightness: 0, colon: false, shown: true });
        await waitFor(() => /^tm1637-display\.stat.*: 42$/.test(statusOf('display').text ?? ''), 2000, 'value status');
        assert.equal(statusOf('display').fill, 'grey');
    });

    it('keeps its status showing the value when the wall clock is stepped back by days', async () => {
        // The status is throttled; a throttle on the wall clock would freeze it for as long as
        // NTP stepped a Pi's clock back after a boot.
        await loaded();
        send(42);
        await waitFor(() => /: 42$/.test(statusOf('display').text ?? ''), 2000, 'status 42');
        await withWallClockStepped(-10 * DAY_MS, async () => {
            send(43);
            await waitFor(() => /: 43$/.test(statusOf('display').text ?? ''), 2000, 'status 43 with the clock stepped back');
        });
    });

    it('shows text, the colon, raw segments and brightness from the message', async () => {
        const { display, sent } = await loaded({ brightness: 2 });
        const chip = display.simulator as SimulatedTm1637;
        send('12:34');
        await waitFor(() => sent.length === 1, 3000, 'text');
        assert.equal(chip.text, '12:34');
        assert.equal(chip.brightness, 2);
        send(undefined, { brightness: 7 });
        await waitFor(() => sent.length === 2, 3000, 'brightness');
        assert.equal(chip.brightness, 7);
        assert.equal(chip.text, '12:34');
        send(Buffer.from([0x76, 0x79, 0x38, 0x73]), { colon: true });
        await waitFor(() => sent.length === 3, 3000, 'segments');
        assert.equal(chip.text, 'HE:LP');
        send(null);
        await waitFor(() => sent.length === 4, 3000, 'clear');
        assert.equal(chip.text, '    ');
        assert.deepEqual(chip.errors, []);
    });

    it('clamps beyond four digits by default, as the original did', async () => {
        const { display, sent } = await loaded();
        send(123456);
        await waitFor(() => sent.length === 1, 3000, 'output');
        assert.equal(display.simulator?.text, '9999');
        send(-5000);
        await waitFor(() => sent.length === 2, 3000, 'output');
        assert.equal(display.simulator?.text, '-999');
    });

    it('shows dashes, or fails to a Catch node, beyond four digits if configured so', async () => {
        const dashes = await loaded({ overflow: 'dashes' });
        send('10000');
        await waitFor(() => dashes.sent.length === 1, 3000, 'dashes');
        assert.equal(dashes.display.simulator?.text, '----');
        await helper.unload();

        const failing = await loaded({ overflow: 'error' });
        send(10000);
        await waitFor(() => failing.caught.length === 1, 3000, 'caught overflow');
        assert.match((failing.caught[0].error as { message: string }).message, /tm1637-display\.errors\.overflow/);
        assert.equal(statusOf('display').fill, 'red');
        assert.equal(failing.sent.length, 0);
    });

    it('hands input the display cannot show to a Catch node and leaves the display alone', async () => {
        const { display, sent, caught } = await loaded();
        send(8);
        await waitFor(() => sent.length === 1, 3000, 'output');
        for (const [payload, extra] of [['OK', {}], [{ a: 1 }, {}], [1, { brightness: 9 }], [1, { colon: 'on' }], ['ABCDE', {}]] as const) {
            send(payload, extra);
        }
        await waitFor(() => caught.length === 5, 3000, 'caught errors');
        const codes = caught.map((m) => (m.error as { message: string }).message.replace(/^.*errors\./, ''));
        assert.deepEqual(codes, ['unknown-character', 'invalid-payload', 'invalid-brightness', 'invalid-colon', 'too-long']);
        assert.equal(statusOf('display').fill, 'red');
        assert.equal(display.simulator?.text, '   8');
        assert.equal(sent.length, 1);
    });

    it('keeps up with thousands of updates: every message passes on, frames stay whole, the last value wins', async () => {
        const { display, sent } = await loaded();
        const commands: number[][] = [];
        display.simulator?.on('command', (bytes) => commands.push(bytes));
        for (let i = 0; i <= 3000; i++) send(i);
        await waitFor(() => sent.length === 3001, 10000, 'all messages');
        const chip = display.simulator as SimulatedTm1637;
        assert.equal(chip.text, '3000');
        assert.deepEqual(chip.errors, []);
        assert.deepEqual(malformedRefreshes(commands), []);
        const last = sent.find((m) => m.payload === 3000) as Msg;
        assert.equal((last.display as { shown: boolean }).shown, true);
        const shown = sent.filter((m) => (m.display as { shown: boolean }).shown).length;
        assert.equal(shown, chip.refreshes);
    });

    it('blanks and switches off the display when the flow stops, unless told not to', async () => {
        const cleared = await loaded();
        send(1234);
        await waitFor(() => cleared.sent.length === 1, 3000, 'output');
        const chip = cleared.display.simulator as SimulatedTm1637;
        await helper.unload();
        assert.equal(chip.displayOn, false);
        assert.equal(chip.text, '    ');

        const kept = await loaded({ clearOnClose: false });
        send(1234);
        await waitFor(() => kept.sent.length === 1, 3000, 'output');
        const keptChip = kept.display.simulator as SimulatedTm1637;
        await helper.unload();
        assert.equal(keptChip.text, '1234');
    });

    it('refuses impossible settings with a red status', async () => {
        await load([displayModule, catchNode], displayFlow({ clk: 24, dio: 24 }));
        const caught = collect('caught');
        assert.equal(statusOf('display').fill, 'red');
        assert.equal((helper.getNode('display') as DisplayNode).simulator, undefined);
        send(1);
        await waitFor(() => caught.length === 1, 3000, 'caught error');
        await helper.unload();
        await load([displayModule, catchNode], displayFlow({ brightness: 9 }));
        assert.equal(statusOf('display').fill, 'red');
    });

    it('runs its editor example as shipped: each inject changes what the digits read', async () => {
        const shipped = readFlowFile(path.join(REPO_ROOT, 'examples', 'tm1637-display', 'Show a number.json'));
        const flow: FlowNode[] = [{ id: 'tab', type: 'tab' }, ...shipped.map((node) => ({
            ...node, z: 'tab', ...(node.type === 'debug' ? { type: 'helper' } : {}),
        }))];
        await load([displayModule, injectModule, commentModule], flow);
        const display = helper.getNode('ex-tm1637-display') as DisplayNode;
        if (!display.simulator) return; // a Pi with a real display: nothing to read back
        const shown = collect('ex-tm1637-debug');
        const texts: string[] = [];
        for (const inject of ['ex-tm1637-number', 'ex-tm1637-negative', 'ex-tm1637-time', 'ex-tm1637-bright', 'ex-tm1637-overflow', 'ex-tm1637-clear']) {
            helper.getNode(inject).receive({});
            await waitFor(() => shown.length === texts.length + 1, 3000, inject);
            texts.push(display.simulator.text);
        }
        assert.deepEqual(texts, ['  42', '  -7', '12:34', '12:34', '9999', '    ']);
        assert.equal(display.simulator.brightness, 7);
    });

    describe('on a Raspberry Pi, through the hardware helper', function () {
        let restore: () => void = () => undefined;
        const pis = onFakePi(async () => {
            await helper.unload();
            restore();
        });

        /** A fake Pi 5 whose GPIO 23 and 24 drive a TM1637 model, serving as the nodes' piHost. */
        async function raspberryPi(options: FakePiOptions = {}): Promise<{ fake: FakePi; chip: SimulatedTm1637 }> {
            const fake = await FakePi.start({ modules: ['gpiod-v2'], ...options });
            pis.current = fake;
            const chip = new SimulatedTm1637({ clk: 23, dio: 24 });
            fake.onLevel = chip.pinChanged;
            restore = fake.useAsPiHost();
            return { fake, chip };
        }

        it('shows 12:34, colon and all, on the display through the pins, with a green status', async () => {
            const { chip } = await raspberryPi();
            const { display, sent } = await loaded({ mode: 'auto' });
            assert.equal(display.simulator, undefined);
            assert.deepEqual(statusOf('display'), { fill: 'green', shape: 'dot', text: 'tm1637-display.status.ready' });
            send('12:34', { brightness: 3 });
            await waitFor(() => sent.length === 1, 3000, 'output');
            assert.deepEqual(chip.errors, []);
            assert.equal(chip.text, '12:34');
            assert.equal(chip.brightness, 3);
            assert.equal((sent[0].display as { shown: boolean }).shown, true);
            await waitFor(() => statusOf('display').text === '12:34', 2000, 'value status');
            await helper.unload();
            assert.equal(chip.displayOn, false, 'blanked and switched off when the flow stops');
        });

        it('names the command in its status when no GPIO module is installed, fails values with it, and shows them once it is', async () => {
            const { fake, chip } = await raspberryPi({ modules: [] });
            const { sent, caught } = await loaded({ mode: 'auto' });
            const fix = { fill: 'red', shape: 'ring', text: 'sudo apt install python3-lgpio' };
            assert.deepEqual(statusOf('display'), fix);
            send(1);
            await waitFor(() => caught.length === 1, 3000, 'caught error');
            assert.match((caught[0].error as { message: string }).message, /the Python module lgpio is not installed: run sudo apt install python3-lgpio/);
            assert.deepEqual(statusOf('display'), fix);
            fake.install('lgpio');
            await sleep(1100); // the retry interval
            send(2);
            await waitFor(() => sent.length === 1, 3000, 'output');
            assert.equal(chip.text, '   2');
            assert.deepEqual(loggedBy('display', 20).map((e) => e.msg), ['tm1637-display.errors.setup'], 'said once');
        });

        it('shows a killed helper as a failure, and drives the display again through a new one', async () => {
            const { fake, chip } = await raspberryPi();
            const { sent, caught } = await loaded({ mode: 'auto' });
            send(1);
            await waitFor(() => sent.length === 1, 3000, 'first value');
            fake.killHelpers();
            await sleep(100);
            send(2);
            await waitFor(() => caught.length === 1, 3000, 'caught error');
            assert.match(statusOf('display').text ?? '', /^the hardware helper stopp/);
            await sleep(1100); // the retry interval
            send(3);
            await waitFor(() => sent.length === 2, 3000, 'value after the restart');
            assert.equal(chip.text, '   3');
            assert.deepEqual(chip.errors, [], 'the frame cut short by the kill is ended cleanly');
            assert.equal(fake.pids.size, 2);
        });
    });
});
