import assert from 'assert/strict';
import { bytesToBigInt, originalCardNumber, uidFromHex, uidHex, uidOfOriginalNumber } from '../../../nodes/lib/mfrc522/card-id';

/** SimpleMFRC522.uid_to_num from the original transit demo, transcribed: 5 bytes, big-endian. */
function originalUidToNum(level1AndBcc: number[]): number {
    let n = 0;
    for (let i = 0; i < 5; i++) n = n * 256 + level1AndBcc[i];
    return n;
}

describe('mfrc522 card ids', () => {
    it('formats hex ids in uppercase without separators, BCC or cascade tags', () => {
        assert.equal(uidHex(Buffer.from([0x04, 0xa1, 0xb2, 0xc3])), '04A1B2C3');
        assert.equal(uidHex(Buffer.from('04a1b2c3d4e5f6', 'hex')), '04A1B2C3D4E5F6');
        assert.equal(uidHex(Buffer.from('0102030405060708090a', 'hex')), '0102030405060708090A');
    });

    it('gives a 4-byte UID the number the original SimpleMFRC522 stored (UID + BCC)', () => {
        const uid = [0xde, 0xad, 0xbe, 0xef];
        const bcc = 0xde ^ 0xad ^ 0xbe ^ 0xef;
        assert.equal(originalCardNumber(Buffer.from(uid)), String(originalUidToNum([...uid, bcc])));
        assert.equal(originalCardNumber(Buffer.from(uid)), '956397711138');
        assert.equal(originalCardNumber(Buffer.from([0x04, 0xa1, 0xb2, 0xc3])), '19892716500');
    });

    it("gives 7- and 10-byte UIDs the number of their first cascade level, which is all the original's reader read", () => {
        // MFRC522.py's MFRC522_Anticoll sends one ANTICOLL (0x93 0x20) and keeps the 5 bytes
        // that come back: for a longer UID, the cascade tag 0x88, 3 UID bytes and their BCC.
        const level1 = [0x88, 0x04, 0xa1, 0xb2];
        const bcc = 0x88 ^ 0x04 ^ 0xa1 ^ 0xb2;
        assert.equal(originalCardNumber(Buffer.from('04A1B2C3D4E5F6', 'hex')), String(originalUidToNum([...level1, bcc])));
        assert.equal(originalCardNumber(Buffer.from('04A1B2FFFFFFFFFFFFFF', 'hex')), String(originalUidToNum([...level1, bcc])));
        assert.equal(bytesToBigInt(Buffer.from([1, 0])), 256n);
    });

    it("turns one of the original's numbers back into its 4-byte UID, and refuses numbers without a valid check byte", () => {
        assert.deepEqual(uidOfOriginalNumber(19892716500n), Buffer.from('04A1B2C3', 'hex'));
        assert.deepEqual(uidOfOriginalNumber(956397711138n), Buffer.from('DEADBEEF', 'hex'));
        // 4111111 is 00 00 3E BB 07: the check byte of 00 00 3E BB would be 85.
        assert.equal(uidOfOriginalNumber(4111111n), undefined);
        assert.equal(uidOfOriginalNumber(19892716501n), undefined);
        assert.equal(uidOfOriginalNumber(1n << 40n), undefined);
        assert.equal(uidOfOriginalNumber(-1n), undefined);
        // A 7-byte card's number names only its first three bytes.
        assert.equal(uidOfOriginalNumber(BigInt(originalCardNumber(Buffer.from('04A1B2C3D4E5F6', 'hex')))), undefined);
    });

    it('recognises hex ids of real UID sizes only', () => {
        assert.deepEqual(uidFromHex('04A1B2C3'), Buffer.from('04A1B2C3', 'hex'));
        assert.equal(uidFromHex('04A1B2C3D4E5F6')?.length, 7);
        assert.equal(uidFromHex('04A1B2C3D4E5F6A7B8C9')?.length, 10);
        assert.equal(uidFromHex('04A1B2'), undefined);
        assert.equal(uidFromHex('04A1B2C3D4'), undefined);
    });
});
