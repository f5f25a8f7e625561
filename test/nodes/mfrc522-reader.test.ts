import assert from 'assert/strict';
import fs from 'fs';
import type { Node } from 'node-red';
import { SimulatedMfrc522 } from '../../nodes/lib/mfrc522/simulated-chip';
import { SimulatedPicc } from '../../nodes/lib/mfrc522/simulated-picc';
import { isRaspberryPi, piHost } from '../../nodes/lib/pi-helper/pi-host';
import { FakePi, FakePiOptions, onFakePi } from '../lib/pi-helper/fake-pi';
import { catchNode, collect, FlowNode, helper, load, loggedBy, statusOf, waitFor } from '../support/flow';

 
const readerModule = require('../../nodes/mfrc522-reader/mfrc522-reader');

type ReaderNode = Node & { simulator: SimulatedMfrc522 | undefined };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function readerFlow(props: Record<string, unknown> = {}): FlowNode[] {
    return [
        { id: 'tab', type: 'tab' },
        {
            id: 'reader', type: 'mfrc522-reader', z: 'tab', name: '', bus: 0, device: 0, rstPin: 25,
            pollInterval: 10, mode: 'simulated', wires: [['taps'], ['removed']], ...props,
        },
        { id: 'taps', type: 'helper', z: 'tab' },
        { id: 'removed', type: 'helper', z: 'tab' },
        { id: 'catcher', type: 'catch', z: 'tab', wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'tab' },
    ];
}

async function loaded(props: Record<string, unknown> = {}) {
    await load([readerModule, catchNode], readerFlow(props));
    const reader = helper.getNode('reader') as ReaderNode;
    const out = { reader, taps: collect('taps'), removed: collect('removed'), caught: collect('caught') };
    await waitFor(() => statusOf('reader').text !== undefined, 3000, 'reader status');
    return out;
}

describe('mfrc522-reader node', function () {
    afterEach(() => helper.unload());

    it('runs simulated with a grey status', async () => {
        await loaded();
        assert.deepEqual(statusOf('reader'), { fill: 'grey', shape: 'dot', text: 'mfrc522-reader.status.simulated' });
        assert.ok((helper.getNode('reader') as ReaderNode).simulator);
    });

    it('falls back to simulated in auto mode off a Raspberry Pi without /dev/spidev0.0', async function () {
        if (fs.existsSync('/dev/spidev0.0') || isRaspberryPi(piHost)) this.skip();
        await loaded({ mode: 'auto' });
        assert.equal(statusOf('reader').fill, 'grey');
    });

    it('presents an input card id on the simulated reader: one tap, then removed', async () => {
        const { taps, removed } = await loaded();
        (helper.getNode('reader') as Node).receive({ payload: '04:a1:b2:c3:d4:e5:f6' } as never);
        await waitFor(() => removed.length === 1, 3000, 'removed');
        await sleep(50);
        assert.equal(taps.length, 1);
        assert.deepEqual({ topic: taps[0].topic, payload: taps[0].payload, card: taps[0].card }, {
            topic: 'card',
            payload: '04A1B2C3D4E5F6',
            // The original read a 7-byte card's first cascade level only: 88 04 A1 B2 and its BCC.
            card: { uid: '04A1B2C3D4E5F6', number: '584193258143', uidLength: 7, sak: 0, atqa: 0x0044, source: 'simulated' },
        });
        assert.equal(removed[0].topic, 'removed');
        assert.equal(removed[0].payload, '04A1B2C3D4E5F6');
    });

    it('emits a card that stays on the reader once, and removed when it leaves', async () => {
        const { reader, taps, removed } = await loaded();
        const card = reader.simulator?.placeCard(new SimulatedPicc(Buffer.from('DEADBEEF', 'hex')));
        await waitFor(() => taps.length === 1, 3000, 'tap');
        assert.match(statusOf('reader').text ?? '', /DEADBEEF/);
        await sleep(200); // about 20 polls
        assert.equal(taps.length, 1);
        assert.equal(removed.length, 0);
        if (card) reader.simulator?.removeCard(card);
        await waitFor(() => removed.length === 1, 3000, 'removed');
        assert.equal(taps.length, 1);
        assert.equal(statusOf('reader').text, 'mfrc522-reader.status.simulated');
    });

    it("sends the hex UID as the id even when it is all digits, with the original's number beside it", async () => {
        const { taps } = await loaded();
        const node = helper.getNode('reader') as Node;
        // Once taken for the original's number 4111111 by a reader in "decimal" mode.
        node.receive({ payload: '04111111' } as never);
        await waitFor(() => taps.length === 1, 3000, 'tap');
        assert.equal(taps[0].payload, '04111111');
        assert.equal((taps[0].card as { number: string }).number, '17466200341'); // 04 11 11 11 and BCC 05
        // A number is one of the original's card numbers: the card it names is presented.
        node.receive({ payload: 956397711138 } as never);
        await waitFor(() => taps.length === 2, 3000, 'tap by number');
        assert.equal(taps[1].payload, 'DEADBEEF');
        assert.equal((taps[1].card as { number: string }).number, '956397711138');
    });

    it("warns once that a reader set to give the original's numbers now gives UIDs", async () => {
        const { taps } = await loaded({ idFormat: 'decimal' });
        assert.deepEqual(loggedBy('reader').map((e) => e.msg), ['mfrc522-reader.errors.decimal-gone']);
        (helper.getNode('reader') as Node).receive({ payload: 'DEADBEEF' } as never);
        await waitFor(() => taps.length === 1, 3000, 'tap');
        assert.equal(taps[0].payload, 'DEADBEEF');
    });

    it('passes ids that are not a UID size straight on', async () => {
        const { taps } = await loaded();
        (helper.getNode('reader') as Node).receive({ payload: 'ab-cd' } as never);
        await waitFor(() => taps.length === 1, 3000, 'tap');
        assert.equal(taps[0].payload, 'ABCD');
        assert.equal((taps[0].card as { source: string }).source, 'input');
    });

    it('hands an invalid card id to a Catch node and shows a red status', async () => {
        const { taps, caught } = await loaded();
        (helper.getNode('reader') as Node).receive({ payload: 'not a card' } as never);
        await waitFor(() => caught.length === 1, 3000, 'caught error');
        const error = caught[0].error as { message: string };
        assert.match(error.message, /invalid card id/);
        assert.equal(statusOf('reader').fill, 'red');
        assert.equal(taps.length, 0);
    });

    it('shows SPI failures as a red ring, logs them once, keeps retrying and recovers', async () => {
        const { reader } = await loaded();
        const chip = reader.simulator as SimulatedMfrc522;
        chip.transferError = new Error('EIO: SPI transfer failed');
        await waitFor(() => statusOf('reader').fill === 'red', 3000, 'red status');
        assert.deepEqual(statusOf('reader'), { fill: 'red', shape: 'ring', text: 'EIO: SPI transfer failed' });
        await sleep(1200); // at least one retry
        assert.equal(loggedBy('reader', 20).length, 1, 'the SPI failure logged once, not on every retry');
        chip.transferError = undefined;
        await waitFor(() => statusOf('reader').fill === 'grey', 3000, 'recovered status');
    });

    it('refuses impossible settings with a red status', async () => {
        await load([readerModule, catchNode], readerFlow({ rstPin: 99 }));
        const caught = collect('caught');
        assert.equal(statusOf('reader').fill, 'red');
        assert.equal((helper.getNode('reader') as ReaderNode).simulator, undefined);
        (helper.getNode('reader') as Node).receive({ payload: '04A1B2C3' } as never);
        await waitFor(() => caught.length === 1, 3000, 'caught error');
    });

    it('stops polling on close, even in the middle of a presentation', async () => {
        const { reader } = await loaded({ pollInterval: 100 });
        const chip = reader.simulator as SimulatedMfrc522;
        (reader as Node).receive({ payload: '04A1B2C3' } as never);
        await sleep(20);
        const started = Date.now();
        await helper.unload();
        assert.ok(Date.now() - started < 500, 'close does not wait for the presentation');
        const frames = chip.framesSent;
        await sleep(250);
        assert.equal(chip.framesSent, frames, 'no polls after close');
    });

    describe('on a Raspberry Pi, through the hardware helper', function () {
        let restore: () => void = () => undefined;
        const pis = onFakePi(async () => {
            await helper.unload();
            restore();
        });

        /** A fake Pi with an MFRC522 on SPI, serving as the nodes' piHost. */
        async function raspberryPi(options: FakePiOptions = {}): Promise<FakePi & { spi: SimulatedMfrc522 }> {
            const fake = await FakePi.start({ spiDevices: ['spidev0.0'], modules: ['spidev'], ...options });
            pis.current = fake;
            fake.spi = new SimulatedMfrc522();
            restore = fake.useAsPiHost();
            return fake as FakePi & { spi: SimulatedMfrc522 };
        }

        // RST not wired: on a real Pi, pinctrl would otherwise drive BCM 25 during the test.
        const onPi = { mode: 'auto', rstPin: '' };

        it('reads a card on the reader, 7-byte UID and all, with a green status', async () => {
            const fake = await raspberryPi();
            const { taps, removed } = await loaded(onPi);
            assert.deepEqual(statusOf('reader'), { fill: 'green', shape: 'dot', text: 'mfrc522-reader.status.ready' });
            const card = fake.spi.placeCard(new SimulatedPicc(Buffer.from('04A1B2C3D4E5F6', 'hex')));
            await waitFor(() => taps.length === 1, 3000, 'tap');
            assert.deepEqual({ payload: taps[0].payload, card: taps[0].card }, {
                payload: '04A1B2C3D4E5F6',
                card: { uid: '04A1B2C3D4E5F6', number: '584193258143', uidLength: 7, sak: 0, atqa: 0x0044, source: 'reader' },
            });
            assert.deepEqual(statusOf('reader'), { fill: 'green', shape: 'dot', text: '04A1B2C3D4E5F6' });
            fake.spi.removeCard(card);
            await waitFor(() => removed.length === 1, 3000, 'removed');
        });

        it('names the command in its status when python3-spidev is missing, says it once, and reads once it is installed', async () => {
            const fake = await raspberryPi({ modules: [] });
            const { taps } = await loaded(onPi);
            assert.deepEqual(statusOf('reader'), { fill: 'red', shape: 'ring', text: 'sudo apt install python3-spidev' });
            await sleep(1200); // a retry or two
            fake.install('spidev');
            await waitFor(() => statusOf('reader').fill === 'green', 5000, () => `green status, not ${JSON.stringify(statusOf('reader'))}`);
            fake.spi.placeCard(new SimulatedPicc(Buffer.from('DEADBEEF', 'hex')));
            await waitFor(() => taps.length === 1, 3000, 'tap');
            assert.deepEqual(loggedBy('reader', 20).map((e) => e.msg), ['mfrc522-reader.errors.setup'], 'said once, not at every retry');
        });

        it('names raspi-config in its status when SPI is off, and reads once it is on', async () => {
            const fake = await raspberryPi({ spiDevices: [] });
            await loaded(onPi);
            assert.deepEqual(statusOf('reader'), { fill: 'red', shape: 'ring', text: 'sudo raspi-config nonint do_spi 0' });
            fake.addSpiDevice('spidev0.0');
            await waitFor(() => statusOf('reader').fill === 'green', 5000, 'green status');
        });

        it('shows a killed helper as a failure, reopens the reader, and does not tap the card on it again', async () => {
            const fake = await raspberryPi();
            const { taps } = await loaded(onPi);
            fake.spi.placeCard(new SimulatedPicc(Buffer.from('04A1B2C3', 'hex')));
            await waitFor(() => taps.length === 1, 3000, 'tap');
            const first = [...fake.pids];
            fake.killHelpers();
            await waitFor(() => statusOf('reader').fill === 'red', 3000, 'red status');
            assert.match(statusOf('reader').text ?? '', /^the hardware helper stopp/);
            await waitFor(() => statusOf('reader').fill === 'green', 5000, 'green status again');
            assert.ok([...fake.pids].some((pid) => !first.includes(pid)), 'a new helper runs');
            fake.spi.placeCard(new SimulatedPicc(Buffer.from('DEADBEEF', 'hex')));
            await waitFor(() => taps.length === 2, 3000, 'the next card');
            assert.deepEqual(taps.map((t) => t.payload), ['04A1B2C3', 'DEADBEEF']);
        });
    });
});
