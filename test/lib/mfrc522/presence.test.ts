import assert from 'assert/strict';
import type { ChipInfo } from '../../../nodes/lib/mfrc522/driver';
import { PiccError } from '../../../nodes/lib/mfrc522/errors';
import { PresenceMonitor } from '../../../nodes/lib/mfrc522/presence';
import type { CardRead, CardReader } from '../../../nodes/lib/mfrc522/reader';
import { bench, card, hex, sleep, waitFor } from './sim-bench';

/** A reader that answers from a script, one step per poll, to count polls exactly. */
class ScriptedReader implements CardReader {
    polls = 0;
    constructor(private readonly script: Array<CardRead | undefined | Error>) {}
    async init(): Promise<ChipInfo> {
        return { version: 0x92, name: 'scripted' };
    }
    async readCard(): Promise<CardRead | undefined> {
        const step = this.script[Math.min(this.polls++, this.script.length - 1)];
        if (step instanceof Error) throw step;
        return step;
    }
}

const read = (uid: string): CardRead => ({ uid: Buffer.from(uid, 'hex'), atqa: Buffer.from([4, 0]), sak: 8 });

/** Collects presence events as 'present:UID' / 'removed:UID' strings. */
function record(monitor: PresenceMonitor): string[] {
    const events: string[] = [];
    monitor.on('present', (c) => events.push(`present:${hex(c.uid)}`));
    monitor.on('removed', (c) => events.push(`removed:${hex(c.uid)}`));
    return events;
}

describe('mfrc522 presence monitor', () => {
    let monitor: PresenceMonitor | undefined;
    afterEach(async () => {
        await monitor?.stop();
        monitor = undefined;
    });

    it('emits present once per presentation and removed after the card has left (simulated chip)', async () => {
        const { chip, reader } = bench();
        monitor = new PresenceMonitor(reader, { pollInterval: 2 });
        const events = record(monitor);
        monitor.start();
        const picc = chip.placeCard(card('04A1B2C3D4E5F6'));
        await waitFor(() => events.length === 1, 2000, 'present');
        const polls = chip.framesSent;
        await sleep(80); // many more polls with the card still there
        assert.ok(chip.framesSent > polls + 10, 'still polling');
        assert.deepEqual(events, ['present:04A1B2C3D4E5F6']);
        chip.removeCard(picc);
        await waitFor(() => events.length === 2, 2000, 'removed');
        chip.placeCard(picc);
        await waitFor(() => events.length === 3, 2000, 'second presentation');
        assert.deepEqual(events, ['present:04A1B2C3D4E5F6', 'removed:04A1B2C3D4E5F6', 'present:04A1B2C3D4E5F6']);
    });

    it('needs the configured number of consecutive misses before removed', async () => {
        const A = read('04A1B2C3');
        // Polls: 1 A, 2 miss, 3 A, 4 miss, 5 miss, 6 A, 7 miss, 8 miss, 9 miss...
        const script = [A, undefined, A, undefined, undefined, A, undefined, undefined, undefined, undefined];
        for (const [misses, removedAtPoll] of [[2, 5], [3, 9]] as const) {
            const reader = new ScriptedReader(script);
            monitor = new PresenceMonitor(reader, { pollInterval: 1, missesBeforeRemoved: misses });
            const events = record(monitor);
            let firstRemoval = 0;
            monitor.on('removed', () => { firstRemoval ||= reader.polls; });
            monitor.start();
            await waitFor(() => firstRemoval > 0, 2000, 'removed');
            await monitor.stop();
            assert.equal(firstRemoval, removedAtPoll, `with ${misses} misses`);
            assert.deepEqual(events.slice(0, 2), ['present:04A1B2C3', 'removed:04A1B2C3']);
        }
    });

    it('reports a swap of cards as removed then present', async () => {
        const reader = new ScriptedReader([read('04A1B2C3'), read('04A1B2C3'), read('11223344')]);
        monitor = new PresenceMonitor(reader, { pollInterval: 1 });
        const events = record(monitor);
        monitor.start();
        await waitFor(() => events.length === 3);
        assert.deepEqual(events, ['present:04A1B2C3', 'removed:04A1B2C3', 'present:11223344']);
    });

    it('does not report a card it cannot read, and reports it once it reads correctly', async () => {
        const { chip, reader } = bench();
        monitor = new PresenceMonitor(reader, { pollInterval: 2 });
        const events = record(monitor);
        const unreadable: PiccError[] = [];
        monitor.on('unreadable', (err) => unreadable.push(err));
        monitor.start();
        const picc = chip.placeCard(card('04A1B2C3', { corruptBcc: true }));
        await waitFor(() => unreadable.length >= 3, 2000, 'unreadable reads');
        assert.deepEqual(events, []);
        assert.equal(unreadable[0].kind, 'bcc');
        picc.corruptBcc = false;
        await waitFor(() => events.length === 1, 2000, 'present');
        assert.deepEqual(events, ['present:04A1B2C3']);
    });

    it('counts an unreadable answer neither as a read nor as a miss', async () => {
        const A = read('04A1B2C3');
        const garbled = new PiccError('crc', 'noise');
        // Polls: 1 A, 2 miss, 3-5 garbled, 6 A, 7 miss, 8 garbled, 9 miss -> removed at 9.
        const reader = new ScriptedReader([A, undefined, garbled, garbled, garbled, A, undefined, garbled, undefined, undefined]);
        monitor = new PresenceMonitor(reader, { pollInterval: 1 });
        const events = record(monitor);
        let removedAt = 0;
        monitor.on('removed', () => { removedAt ||= reader.polls; });
        monitor.start();
        await waitFor(() => removedAt > 0);
        assert.equal(removedAt, 9);
        assert.deepEqual(events, ['present:04A1B2C3', 'removed:04A1B2C3']);
    });

    it('reports a failing reader, re-initialises it, and does not re-announce the card still there', async () => {
        const { chip, reader } = bench();
        monitor = new PresenceMonitor(reader, { pollInterval: 2, retryInterval: 20 });
        const events = record(monitor);
        const faults: Error[] = [];
        let readies = 0;
        monitor.on('fault', (err) => faults.push(err));
        monitor.on('ready', () => readies++);
        monitor.start();
        chip.placeCard(card('04A1B2C3'));
        await waitFor(() => events.length === 1);
        chip.transferError = new Error('EIO: SPI transfer failed');
        await waitFor(() => faults.length >= 2, 2000, 'faults');
        assert.match(faults[0].message, /EIO/);
        chip.transferError = undefined;
        chip.connected = false; // now the chip does not answer at all
        await waitFor(() => faults.some((f) => /no MFRC522/.test(f.message)), 2000, 'missing chip fault');
        chip.connected = true;
        await waitFor(() => readies === 2, 2000, 'recovery');
        await sleep(30);
        assert.deepEqual(events, ['present:04A1B2C3']);
    });

    it('stops polling on stop()', async () => {
        const { chip, reader } = bench();
        monitor = new PresenceMonitor(reader, { pollInterval: 1 });
        monitor.start();
        await waitFor(() => chip.framesSent > 5);
        await monitor.stop();
        const frames = chip.framesSent;
        await sleep(30);
        assert.equal(chip.framesSent, frames);
    });
});
