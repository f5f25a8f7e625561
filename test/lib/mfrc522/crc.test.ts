import assert from 'assert/strict';
import { crc16, crcA, hasValidCrcA } from '../../../nodes/lib/mfrc522/crc';
import { bench, initialisedBench } from './sim-bench';

describe('mfrc522 CRC_A', () => {
    it('matches the ISO/IEC 14443-3 vectors in software', () => {
        assert.equal(crcA(Buffer.from([0x50, 0x00])).toString('hex'), '57cd'); // HLTA
        assert.equal(crcA(Buffer.from([0x00, 0x00])).toString('hex'), 'a01e');
        assert.equal(crcA(Buffer.from([0x12, 0x34])).toString('hex'), '26cf');
        assert.equal(hasValidCrcA(Buffer.from([0x50, 0x00, 0x57, 0xcd])), true);
        assert.equal(hasValidCrcA(Buffer.from([0x50, 0x00, 0xcd, 0x57])), false);
    });

    it('is computed by the chip coprocessor (CalcCRC) once init has set the 0x6363 preset', async () => {
        const { driver } = await initialisedBench();
        assert.equal((await driver.calcCrc(Buffer.from([0x50, 0x00]))).toString('hex'), '57cd');
        assert.equal((await driver.calcCrc(Buffer.from([0x12, 0x34]))).toString('hex'), '26cf');
        const frame = Buffer.from([0x93, 0x70, 0x04, 0xa1, 0xb2, 0xc3, 0xd4]);
        assert.deepEqual(await driver.calcCrc(frame), crcA(frame));
    });

    it('differs before init, when ModeReg still selects the 0xFFFF preset', async () => {
        const { driver } = bench();
        const crc = await driver.calcCrc(Buffer.from([0x50, 0x00]));
        assert.notEqual(crc.toString('hex'), '57cd');
        assert.equal(crc.readUInt16LE(0), crc16(Buffer.from([0x50, 0x00]), 0xffff));
    });
});
