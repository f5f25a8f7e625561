import assert from 'assert/strict';
import { SimulatedOutputLine } from '../../../nodes/lib/gpio/output-line';
import { Mfrc522 } from '../../../nodes/lib/mfrc522/driver';
import { ChipError, isPiccError } from '../../../nodes/lib/mfrc522/errors';
import { requestA, uidSizeFromAtqa, wakeupA } from '../../../nodes/lib/mfrc522/iso14443a';
import { CollBits, Reg, TX_CONTROL_ANTENNA } from '../../../nodes/lib/mfrc522/registers';
import { SimulatedMfrc522 } from '../../../nodes/lib/mfrc522/simulated-chip';
import type { SpiBus } from '../../../nodes/lib/spi/spi-bus';
import { bench, card, hex, initialisedBench } from './sim-bench';

/** Passes transfers through to the simulated chip and keeps the bytes sent. */
class RecordingBus implements SpiBus {
    readonly sent: string[] = [];
    constructor(readonly inner: SpiBus) {}
    transfer(tx: Buffer): Promise<Buffer> {
        this.sent.push(hex(tx));
        return this.inner.transfer(tx);
    }
    close(): Promise<void> {
        return this.inner.close();
    }
}

describe('mfrc522 driver', () => {
    it('frames register reads and writes with the address byte', async () => {
        const bus = new RecordingBus(new SimulatedMfrc522());
        const driver = new Mfrc522(bus);
        assert.equal(await driver.readRegister(Reg.Version), 0x92);
        await driver.writeRegister(Reg.FIFOData, 0x26, 0x52);
        assert.deepEqual([...await driver.readRegisters([Reg.FIFOLevel, Reg.FIFOData, Reg.FIFOData])], [2, 0x26, 0x52]);
        assert.deepEqual(bus.sent, ['EE00', '122652', '94929200']);
    });

    it('initialises timer, 100 % ASK, CRC preset 0x6363, anticollision zeros and the antenna', async () => {
        const { driver } = bench();
        assert.deepEqual(await driver.init(), { version: 0x92, name: 'MFRC522 v2.0' });
        const [tMode, prescaler, reloadH, reloadL, ask, mode, coll, tx] = await driver.readRegisters([
            Reg.TMode, Reg.TPrescaler, Reg.TReloadH, Reg.TReloadL, Reg.TxASK, Reg.Mode, Reg.Coll, Reg.TxControl]);
        assert.deepEqual([tMode, prescaler, reloadH, reloadL, ask, mode], [0x80, 0xa9, 0x01, 0x90, 0x40, 0x3d]);
        assert.equal(coll & CollBits.ValuesAfterColl, 0);
        assert.equal(tx & TX_CONTROL_ANTENNA, TX_CONTROL_ANTENNA);
    });

    it('pulses the RST line low then high before talking to the chip', async () => {
        const chip = new SimulatedMfrc522();
        const rst = new SimulatedOutputLine(25, (level) => chip.setResetLine(level));
        await new Mfrc522(chip, { resetLine: rst }).init();
        assert.deepEqual(rst.levels, [0, 1]);
    });

    it('reports a missing chip (SPI reads all zeros) or one held in reset as a ChipError', async () => {
        const { chip, driver } = bench();
        chip.connected = false;
        await assert.rejects(driver.init(), (err) => err instanceof ChipError && /no MFRC522/.test(err.message));
        chip.connected = true;
        chip.setResetLine(0);
        await assert.rejects(driver.init(), ChipError);
    });

    it('rejects with a timeout when no card answers, and with a ChipError when the chip never finishes', async () => {
        const { driver } = await initialisedBench();
        await assert.rejects(driver.transceive(Buffer.from([0x26]), { txLastBits: 7 }), (err) => isPiccError(err, 'timeout'));
        // Without init the receive timer is off, so the command never ends: the driver's own bound applies.
        const started = Date.now();
        await assert.rejects(bench().driver.transceive(Buffer.from([0x26]), { txLastBits: 7 }), ChipError);
        assert.ok(Date.now() - started < 1000);
    });

    it('sends REQA and WUPA as 7-bit short frames and reads the ATQA', async () => {
        const { chip, driver } = await initialisedBench();
        chip.placeCard(card('04A1B2C3'));
        const atqa = await requestA(driver);
        assert.equal(hex(atqa?.bytes ?? Buffer.alloc(0)), '0400');
        const sent = chip.air[chip.air.length - 1].sent;
        assert.deepEqual([hex(sent.data), sent.bits], ['26', 7]);
        chip.removeAllCards();
        assert.equal(await wakeupA(driver), undefined);
        assert.deepEqual([hex(chip.air[chip.air.length - 1].sent.data), chip.air[chip.air.length - 1].sent.bits], ['52', 7]);
    });

    it('reads the UID size from the ATQA', async () => {
        const { chip, driver } = await initialisedBench();
        for (const [uid, size] of [['04A1B2C3', 4], ['04A1B2C3D4E5F6', 7], ['04A1B2C3D4E5F6A7B8C9', 10]] as const) {
            chip.removeAllCards();
            chip.placeCard(card(uid));
            const atqa = await wakeupA(driver);
            assert.equal(uidSizeFromAtqa(atqa?.bytes ?? Buffer.alloc(2)), size);
        }
    });

    it('switches the field off and on, which resets the cards to IDLE', async () => {
        const { chip, driver } = await initialisedBench();
        const c = chip.placeCard(card('04A1B2C3'));
        await wakeupA(driver);
        assert.equal(c.state, 'READY');
        await driver.resetField();
        assert.equal(c.state, 'IDLE');
        assert.equal(chip.antennaOn, true);
    });
});
