import assert from 'assert/strict';
import { OutputLine, SimulatedOutputLine } from '../../../nodes/lib/gpio/output-line';
import type { CardRead } from '../../../nodes/lib/mfrc522/reader';
import { ReaderSession, ReaderSettings, SessionHardware } from '../../../nodes/lib/mfrc522/reader-session';
import { SimulatedMfrc522 } from '../../../nodes/lib/mfrc522/simulated-chip';
import { SimulatedPicc } from '../../../nodes/lib/mfrc522/simulated-picc';
import { HelperStopped } from '../../../nodes/lib/pi-helper/helper-process';
import type { SpiBus } from '../../../nodes/lib/spi/spi-bus';
import { hex, sleep, waitFor } from './sim-bench';

const settings = (overrides: Partial<ReaderSettings> = {}): ReaderSettings => ({
    bus: 0, device: 0, rstPin: 25, mode: 'simulated', pollInterval: 5, retryInterval: 20, ...overrides,
});

function record(session: ReaderSession): string[] {
    const events: string[] = [];
    session.on('present', (c: CardRead) => events.push(`present:${hex(c.uid)}`));
    session.on('removed', (c: CardRead) => events.push(`removed:${hex(c.uid)}`));
    return events;
}

/** Hardware whose "SPI device" is a simulated chip, as if a real RC522 were plugged in. */
function pluggedIn(chip: SimulatedMfrc522, lines: SimulatedOutputLine[] = []): SessionHardware {
    return {
        // A handle per open, as with a device file: closing one leaves the chip usable.
        openSpi: async () => ({ transfer: (tx) => chip.transfer(tx), close: async () => undefined }),
        openLine: async (pin) => {
            const line = new SimulatedOutputLine(pin, (v) => chip.setResetLine(v));
            lines.push(line);
            return line;
        },
    };
}

describe('mfrc522 reader session', () => {
    let session: ReaderSession | undefined;
    afterEach(async () => {
        await session?.close();
        session = undefined;
    });

    it('presents virtual cards on the simulated chip, each read once then removed', async () => {
        session = new ReaderSession(settings());
        const events = record(session);
        const ready: boolean[] = [];
        session.on('ready', (info) => ready.push(info.simulated));
        session.start();
        await session.opened;
        assert.equal(session.simulated, true);
        // The first poll comes after init's RST pulse and 50 ms oscillator start-up: a 60 ms
        // presentation made before it could come and go unseen on a busy machine.
        await waitFor(() => ready.length === 1);
        const uid = Buffer.from('04A1B2C3D4E5F6', 'hex');
        await Promise.all([session.presentCard(uid, 60), session.presentCard(uid, 60)]);
        assert.deepEqual(ready, [true]);
        assert.deepEqual(events, ['present:04A1B2C3D4E5F6', 'removed:04A1B2C3D4E5F6', 'present:04A1B2C3D4E5F6', 'removed:04A1B2C3D4E5F6']);
    });

    it('falls back to the simulated chip in auto mode when there is no SPI device', async () => {
        const hardware: SessionHardware = { openSpi: async () => undefined, openLine: async () => undefined };
        session = new ReaderSession(settings({ mode: 'auto' }), hardware);
        const reasons: Array<string | undefined> = [];
        session.on('ready', (info) => reasons.push(info.reason));
        session.start();
        await waitFor(() => reasons.length === 1);
        assert.equal(session.simulated, true);
        assert.match(reasons[0] ?? '', /\/dev\/spidev0\.0 not found/);
    });

    it('uses the SPI device and RST pin when present, and retries a device that fails to open', async () => {
        const chip = new SimulatedMfrc522();
        const lines: SimulatedOutputLine[] = [];
        let attempts = 0;
        const hardware: SessionHardware = {
            openSpi: async (bus, device) => {
                attempts++;
                if (attempts < 3) throw new Error(`EACCES: /dev/spidev${bus}.${device}`);
                return chip;
            },
            openLine: pluggedIn(chip, lines).openLine,
        };
        session = new ReaderSession(settings({ mode: 'auto' }), hardware);
        const faults: string[] = [];
        const ready: boolean[] = [];
        session.on('fault', (err) => faults.push(err.message));
        session.on('ready', (info) => ready.push(info.simulated));
        session.start();
        await waitFor(() => ready.length === 1);
        assert.deepEqual(faults, ['EACCES: /dev/spidev0.0', 'EACCES: /dev/spidev0.0']);
        assert.deepEqual(ready, [false]);
        assert.equal(session.simulated, false);
        assert.deepEqual(lines[0].levels, [0, 1]);
        await assert.rejects(session.presentCard(Buffer.from('04A1B2C3', 'hex'), 10), /simulated/);
    });

    it('opens the SPI device and RST pin afresh when the helper behind the bus stopped, keeping the card it had', async () => {
        const chip = new SimulatedMfrc522();
        // Each open is a bus of its own whose helper can die, as HelperSpiBus's does.
        const opened: Array<{ dead: boolean; closed: boolean }> = [];
        const lines: SimulatedOutputLine[] = [];
        const hardware: SessionHardware = {
            openSpi: async () => {
                const handle = { dead: false, closed: false };
                opened.push(handle);
                return {
                    transfer: (tx) => (handle.dead ? Promise.reject(new HelperStopped('the hardware helper stopped (SIGKILL)')) : chip.transfer(tx)),
                    close: async () => { handle.closed = true; },
                };
            },
            openLine: pluggedIn(chip, lines).openLine,
        };
        session = new ReaderSession(settings({ mode: 'auto' }), hardware);
        const events = record(session);
        const log: string[] = [];
        session.on('fault', (err) => log.push(`fault: ${err.message}`));
        session.on('ready', () => log.push('ready'));
        session.start();
        await waitFor(() => log.length === 1);
        chip.placeCard(new SimulatedPicc(Buffer.from('04A1B2C3', 'hex')));
        await waitFor(() => events.length === 1);
        opened[0].dead = true;
        await waitFor(() => log.length === 3, 2000, 'the fault and the second ready');
        assert.deepEqual(log, ['ready', 'fault: the hardware helper stopped (SIGKILL)', 'ready']);
        assert.equal(opened.length, 2, 'the device was opened again');
        assert.equal(opened[0].closed, true, 'and the dead bus closed');
        assert.equal(lines[0].closed, true, 'the RST line too');
        await sleep(50);
        assert.deepEqual(events, ['present:04A1B2C3'], 'the card still on the reader is not a new tap');
    });

    it('lets only one session poll an SPI device, and hands it over when that one closes', async () => {
        const chip = new SimulatedMfrc522();
        const first = new ReaderSession(settings({ mode: 'auto' }), pluggedIn(chip));
        session = new ReaderSession(settings({ mode: 'auto' }), pluggedIn(chip));
        const faults: string[] = [];
        const ready: boolean[] = [];
        first.start();
        await first.opened;
        session.on('fault', (err) => faults.push(err.message));
        session.on('ready', (info) => ready.push(info.simulated));
        session.start();
        await waitFor(() => faults.length === 1);
        assert.match(faults[0], /spidev0\.0 is already used/);
        assert.deepEqual(ready, []);
        await first.close();
        await waitFor(() => ready.length === 1);
        assert.deepEqual(ready, [false]);
    });

    it('says so when the RST pin cannot be driven, and reads cards anyway', async () => {
        const chip = new SimulatedMfrc522();
        const hardware: SessionHardware = { openSpi: async () => chip, openLine: async () => undefined };
        session = new ReaderSession(settings({ mode: 'auto' }), hardware);
        const notices: string[] = [];
        const events = record(session);
        session.on('rst-unavailable', (pin, reason) => notices.push(`${pin}: ${reason}`));
        session.start();
        await session.opened;
        chip.placeCard(new SimulatedPicc(Buffer.from('04A1B2C3', 'hex')));
        await waitFor(() => events.length === 1);
        assert.deepEqual(notices, ['25: neither pinctrl nor gpioset works here']);
    });

    it('closes quickly in the middle of a presentation and releases bus and line', async () => {
        let closedBus = false;
        let closedLine = false;
        const chip = new SimulatedMfrc522();
        const bus: SpiBus = { transfer: (tx) => chip.transfer(tx), close: async () => { closedBus = true; } };
        const line: OutputLine = { write: async () => undefined, close: async () => { closedLine = true; } };
        session = new ReaderSession(settings({ mode: 'auto' }), { openSpi: async () => bus, openLine: async () => line });
        session.start();
        await session.opened;
        const simulated = new ReaderSession(settings());
        simulated.start();
        await simulated.opened;
        const presenting = simulated.presentCard(Buffer.from('04A1B2C3', 'hex'), 5000);
        await sleep(20);
        const started = Date.now();
        await Promise.all([simulated.close(), session.close()]);
        await presenting;
        assert.ok(Date.now() - started < 200, 'close does not wait for the presentation');
        assert.deepEqual([closedBus, closedLine], [true, true]);
    });
});
