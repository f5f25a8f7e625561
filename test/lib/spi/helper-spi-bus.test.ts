// The SPI backend end to end: the real MFRC522 driver, through the real hardware helper
// (python3 pi_helper.py) and the stand-in spidev module, to the simulated MFRC522 in this
// process. Then every way it can fail to open, each with the command that fixes it.
import assert from 'assert/strict';
import os from 'os';
import { Mfrc522 } from '../../../nodes/lib/mfrc522/driver';
import { Mfrc522CardReader } from '../../../nodes/lib/mfrc522/reader';
import { SimulatedMfrc522 } from '../../../nodes/lib/mfrc522/simulated-chip';
import { SimulatedPicc } from '../../../nodes/lib/mfrc522/simulated-picc';
import { HelperStopped } from '../../../nodes/lib/pi-helper/helper-process';
import { SetupProblem } from '../../../nodes/lib/pi-helper/setup-problem';
import { HelperSpiBus } from '../../../nodes/lib/spi/helper-spi-bus';
import { openSpiDevice, SpiBus } from '../../../nodes/lib/spi/spi-bus';
import { FakePi, FakePiOptions, onFakePi, pathWithoutPython } from '../pi-helper/fake-pi';

const user = os.userInfo().username;

describe('SPI through the hardware helper', function () {
    let bus: SpiBus | undefined;
    const pis = onFakePi(async () => {
        await bus?.close();
        bus = undefined;
    });

    async function piWithReader(options: FakePiOptions = {}): Promise<FakePi> {
        const pi = await FakePi.start({ spiDevices: ['spidev0.0'], modules: ['spidev'], ...options });
        pis.current = pi;
        pi.spi = new SimulatedMfrc522();
        return pi;
    }

    function opened(result: SpiBus | undefined): HelperSpiBus {
        assert.ok(result instanceof HelperSpiBus, 'the helper opened the device');
        bus = result;
        return result;
    }

    async function problem(promise: Promise<unknown>): Promise<SetupProblem> {
        const err = await promise.then(() => undefined, (e: unknown) => e);
        assert.ok(err instanceof SetupProblem, `expected a SetupProblem, got ${String(err)}`);
        return err;
    }

    it('reads 4, 7 and 10 byte UIDs with the real driver, in SPI mode 0 at the speed asked for', async () => {
        const fake = await piWithReader();
        const reader = new Mfrc522CardReader(new Mfrc522(opened(await openSpiDevice(0, 0, 2_000_000, fake.host))));
        assert.equal((await reader.init()).name, 'MFRC522 v2.0');
        assert.deepEqual(fake.spiSettings, { mode: 0, max_speed_hz: 2_000_000 });
        for (const uid of ['DEADBEEF', '04A1B2C3D4E5F6', '04112233445566778899']) {
            const card = fake.spi?.placeCard(new SimulatedPicc(Buffer.from(uid, 'hex')));
            const read = await reader.readCard();
            assert.equal(read?.uid.toString('hex').toUpperCase(), uid);
            if (card) fake.spi?.removeCard(card);
        }
        assert.equal(await reader.readCard(), undefined, 'no card, no answer');
    });

    it('is not opened off a Raspberry Pi without the device: the reader runs simulated there', async () => {
        const fake = await piWithReader({ model: null, spiDevices: [] });
        assert.equal(await openSpiDevice(0, 0, 1_000_000, fake.host), undefined);
        assert.equal(fake.pids.size, 0, 'no helper started');
    });

    it('names the command that switches SPI on when a Pi has no /dev/spidev', async () => {
        const fake = await piWithReader({ spiDevices: [] });
        const off = await problem(openSpiDevice(0, 1, 1_000_000, fake.host));
        assert.equal(off.statusText, 'sudo raspi-config nonint do_spi 0');
        assert.match(off.message, /spidev0\.1 does not exist: SPI is off/);
        const bus1 = await problem(openSpiDevice(1, 0, 1_000_000, fake.host));
        assert.equal(bus1.command, 'echo dtoverlay=spi1-1cs | sudo tee -a /boot/firmware/config.txt');
        assert.equal(bus1.afterwards, 'reboot');
    });

    it('names the package when the spidev module is missing', async () => {
        const fake = await piWithReader({ modules: [] });
        const missing = await problem(openSpiDevice(0, 0, 1_000_000, fake.host));
        assert.equal(missing.command, 'sudo apt install python3-spidev');
        assert.match(missing.message, /the Python module spidev is not installed/);
    });

    it('names the package when there is no python3 at all', async () => {
        const fake = await piWithReader();
        const host = { ...fake.host, searchPath: pathWithoutPython(fake.root) };
        assert.equal((await problem(openSpiDevice(0, 0, 1_000_000, host))).command, 'sudo apt install python3');
    });

    it('names the group to join when the device may not be opened', async () => {
        const fake = await piWithReader();
        fake.refuse.spiOpen = 'EACCES';
        const denied = await problem(openSpiDevice(0, 0, 1_000_000, fake.host));
        assert.equal(denied.statusText, `sudo usermod -aG spi ${user}`);
        assert.equal(denied.fix, `sudo usermod -aG spi ${user}, then restart Node-RED`);
    });

    it('fails one transfer on a bus error and carries on', async () => {
        const fake = await piWithReader();
        const spi = opened(await openSpiDevice(0, 0, 1_000_000, fake.host));
        fake.refuse.transfer = 'EIO';
        await assert.rejects(spi.transfer(Buffer.from([0xee, 0])), /Input\/output error/);
        fake.refuse.transfer = undefined;
        assert.deepEqual(await spi.transfer(Buffer.from([0xee, 0])), Buffer.from([0x00, 0x92]), 'VersionReg after the failure');
    });

    it('fails every transfer with HelperStopped once the helper is killed, and closes cleanly', async () => {
        const fake = await piWithReader();
        const spi = opened(await openSpiDevice(0, 0, 1_000_000, fake.host));
        await spi.transfer(Buffer.from([0xee, 0]));
        fake.killHelpers();
        const stopped = await spi.transfer(Buffer.from([0xee, 0])).then(() => undefined, (e: unknown) => e);
        assert.ok(stopped instanceof HelperStopped, String(stopped));
        assert.match(stopped.message, /the hardware helper stopped \(SIGKILL\)/);
        await assert.rejects(spi.transfer(Buffer.from([0xee, 0])), HelperStopped);
    });

    it('ends the helper on close and releases the device', async () => {
        const fake = await piWithReader();
        const spi = opened(await openSpiDevice(0, 0, 1_000_000, fake.host));
        const [pid] = fake.pids;
        await spi.close();
        bus = undefined;
        assert.deepEqual(fake.runningHelpers(), [], `helper ${pid} ended`);
        assert.deepEqual(fake.released.map((r) => r.device), ['spidev0.0']);
        await assert.rejects(spi.transfer(Buffer.from([0xee, 0])), /closed/);
    });
});
