import assert from 'assert/strict';
import { bytesToBigInt, cardId, uidFromHex, uidHex } from '../../../nodes/lib/mfrc522/card-id';

/** SimpleMFRC522.uid_to_num from the original transit demo, transcribed: 5 bytes, big-endian. */
function originalUidToNum(uidAndBcc: number[]): number {
    let n = 0;
    for (let i = 0; i < 5; i++) n = n * 256 + uidAndBcc[i];
    return n;
}

describe('mfrc522 card ids', () => {
    it('formats hex ids in uppercase without separators, BCC or cascade tags', () => {
        assert.equal(cardId(Buffer.from([0x04, 0xa1, 0xb2, 0xc3]), 'hex'), '04A1B2C3');
        assert.equal(cardId(Buffer.from('04a1b2c3d4e5f6', 'hex'), 'hex'), '04A1B2C3D4E5F6');
        assert.equal(uidHex(Buffer.from('0102030405060708090a', 'hex')), '0102030405060708090A');
    });

    it('gives a 4-byte UID the decimal number the original SimpleMFRC522 stored (UID + BCC)', () => {
        const uid = [0xde, 0xad, 0xbe, 0xef];
        const bcc = 0xde ^ 0xad ^ 0xbe ^ 0xef;
        assert.equal(cardId(Buffer.from(uid), 'decimal'), String(originalUidToNum([...uid, bcc])));
        assert.equal(cardId(Buffer.from(uid), 'decimal'), '956397711138');
        assert.equal(cardId(Buffer.from([0x04, 0xa1, 0xb2, 0xc3]), 'decimal'), '19892716500');
    });

    it('gives 7- and 10-byte UIDs the exact number of their UID bytes (BigInt, beyond 2^53)', () => {
        assert.equal(cardId(Buffer.from('04A1B2C3D4E5F6', 'hex'), 'decimal'), '1303689068602870');
        assert.equal(cardId(Buffer.from('FFFFFFFFFFFFFF', 'hex'), 'decimal'), '72057594037927935');
        assert.equal(cardId(Buffer.from('FFFFFFFFFFFFFFFFFFFF', 'hex'), 'decimal'), (2n ** 80n - 1n).toString());
        assert.equal(bytesToBigInt(Buffer.from([1, 0])), 256n);
    });

    it('recognises hex ids of real UID sizes only', () => {
        assert.deepEqual(uidFromHex('04A1B2C3'), Buffer.from('04A1B2C3', 'hex'));
        assert.equal(uidFromHex('04A1B2C3D4E5F6')?.length, 7);
        assert.equal(uidFromHex('04A1B2C3D4E5F6A7B8C9')?.length, 10);
        assert.equal(uidFromHex('04A1B2'), undefined);
        assert.equal(uidFromHex('04A1B2C3D4'), undefined);
    });
});
