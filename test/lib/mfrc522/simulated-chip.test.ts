import assert from 'assert/strict';
import { crcA } from '../../../nodes/lib/mfrc522/crc';
import { ComIrq, ErrorBits, FIFO_FLUSH, PcdCommand, Picc, Reg } from '../../../nodes/lib/mfrc522/registers';
import { fullFrame } from '../../../nodes/lib/mfrc522/simulated-picc';
import { bench, card } from './sim-bench';

describe('simulated MFRC522', () => {
    it('keeps a 64-byte FIFO with level, overflow flag and flush', async () => {
        const { driver } = bench();
        await driver.writeRegister(Reg.FIFOData, ...new Array<number>(65).fill(0xaa));
        assert.equal(await driver.readRegister(Reg.FIFOLevel), 64);
        assert.equal((await driver.readRegister(Reg.Error)) & ErrorBits.BufferOvfl, ErrorBits.BufferOvfl);
        await driver.writeRegister(Reg.FIFOLevel, FIFO_FLUSH);
        assert.equal(await driver.readRegister(Reg.FIFOLevel), 0);
        assert.equal((await driver.readRegister(Reg.Error)) & ErrorBits.BufferOvfl, 0);
    });

    it('sets and clears interrupt flags according to the Set1 bit', async () => {
        const { driver } = bench();
        await driver.writeRegister(Reg.ComIrq, 0x7f);
        assert.equal(await driver.readRegister(Reg.ComIrq), 0);
        await driver.writeRegister(Reg.ComIrq, ComIrq.Set1 | ComIrq.Timer | ComIrq.Rx);
        assert.equal(await driver.readRegister(Reg.ComIrq), ComIrq.Timer | ComIrq.Rx);
        await driver.writeRegister(Reg.ComIrq, ComIrq.Timer);
        assert.equal(await driver.readRegister(Reg.ComIrq), ComIrq.Rx);
    });

    it('restores register reset values on SoftReset', async () => {
        const { driver } = await (async () => { const b = bench(); await b.driver.init(); return b; })();
        await driver.writeRegister(Reg.Command, PcdCommand.SoftReset);
        assert.deepEqual([...await driver.readRegisters([Reg.Mode, Reg.TxControl, Reg.TMode, Reg.Version])], [0x3f, 0x80, 0x00, 0x92]);
    });

    it('models the card states: REQA wakes IDLE only, WUPA wakes IDLE and HALT, HLTA needs a valid CRC', () => {
        const picc = card('04A1B2C3');
        const reqa = { data: Buffer.from([Picc.REQA]), bits: 7 };
        const wupa = { data: Buffer.from([Picc.WUPA]), bits: 7 };
        const select = Buffer.from([0x93, 0x70, ...picc.levelBytes(0)]);
        const hlta = Buffer.from([Picc.HLTA, 0x00]);
        assert.ok(picc.receive(reqa));
        assert.equal(picc.state, 'READY');
        assert.deepEqual(picc.receive(fullFrame(Buffer.concat([select, crcA(select)])))?.data, Buffer.from([0x08, ...crcA(Buffer.from([0x08]))]));
        assert.equal(picc.state, 'ACTIVE');
        picc.receive(fullFrame(Buffer.concat([hlta, Buffer.from([0x00, 0x00])])));
        assert.equal(picc.state, 'IDLE', 'a HLTA with a bad CRC is an unknown frame: ACTIVE falls back to IDLE');
        picc.receive(reqa);
        picc.receive(fullFrame(Buffer.concat([select, crcA(select)])));
        picc.receive(fullFrame(Buffer.concat([hlta, crcA(hlta)])));
        assert.equal(picc.state, 'HALT');
        assert.equal(picc.receive(reqa), undefined);
        assert.equal(picc.state, 'HALT');
        assert.ok(picc.receive(wupa));
        assert.equal(picc.state, 'READY');
    });

    it('answers anticollision with the remaining bits only when the known bits match', () => {
        const picc = card('04A1B2C3');
        picc.receive({ data: Buffer.from([Picc.WUPA]), bits: 7 });
        // NVB 0x24: 2 bytes + 4 bits known, the low nibble of 0x04.
        const answer = picc.receive({ data: Buffer.from([0x93, 0x24, 0x04]), bits: 20 });
        assert.equal(answer?.bits, 36);
        assert.equal(picc.receive({ data: Buffer.from([0x93, 0x24, 0x05]), bits: 20 }), undefined);
        assert.equal(picc.state, 'READY');
    });

    it('rejects UIDs of impossible sizes', () => {
        assert.throws(() => card('04A1B2C3D4'), /4, 7 or 10 bytes/);
    });
});
