import assert from 'assert/strict';
import { bcc, selectCard } from '../../../nodes/lib/mfrc522/cascade';
import { isPiccError } from '../../../nodes/lib/mfrc522/errors';
import { requestA, wakeupA } from '../../../nodes/lib/mfrc522/iso14443a';
import { card, hex, initialisedBench } from './sim-bench';

describe('mfrc522 anticollision and select (cascade levels 1-3)', () => {
    const cases = [
        { uid: '04A1B2C3', sak: 0x08, sels: ['93'] },
        { uid: '04A1B2C3D4E5F6', sak: 0x00, sels: ['93', '95'] },
        { uid: '04A1B2C3D4E5F6A7B8C9', sak: 0x20, sels: ['93', '95', '97'] },
    ];
    for (const { uid, sak, sels } of cases) {
        it(`reads a ${uid.length / 2}-byte UID through ${sels.length} cascade level(s)`, async () => {
            const { chip, reader } = await initialisedBench();
            const picc = chip.placeCard(card(uid));
            const read = await reader.readCard();
            assert.equal(hex(read?.uid ?? Buffer.alloc(0)), uid);
            assert.equal(read?.sak, sak);
            assert.equal(picc.state, 'HALT', 'the card is halted after reading');
            // Per level: anticollision (NVB 0x20) then select (NVB 0x70), and the SEL code of that level.
            const frames = chip.air.map((f) => hex(f.sent.data.subarray(0, 2))).filter((f) => /^9[357]/.test(f));
            assert.deepEqual(frames, sels.flatMap((sel) => [`${sel}20`, `${sel}70`]));
        });
    }

    it('decides completion on the SAK: a 4-byte UID may start with the cascade tag 0x88', async () => {
        const { chip, reader } = await initialisedBench();
        chip.placeCard(card('88040506'));
        assert.equal(hex((await reader.readCard())?.uid ?? Buffer.alloc(0)), '88040506');
        chip.removeAllCards();
        chip.placeCard(card('04A1B288D4E5F6')); // second level starting with 0x88
        assert.equal(hex((await reader.readCard())?.uid ?? Buffer.alloc(0)), '04A1B288D4E5F6');
    });

    it('rejects a bad BCC, resets the field, and reads the card once it answers correctly', async () => {
        const { chip, driver, reader } = await initialisedBench();
        const picc = chip.placeCard(card('04A1B2C3D4E5F6', { corruptBcc: true }));
        await wakeupA(driver);
        await assert.rejects(selectCard(driver), (err) => isPiccError(err, 'bcc'));
        assert.equal(picc.state, 'READY');
        assert.equal(await wakeupA(driver), undefined, 'a card left READY does not answer the next WUPA...');
        await assert.rejects(reader.readCard(), (err) => isPiccError(err, 'bcc'));
        assert.equal(picc.state, 'IDLE', '...so after a failed select the reader resets the field');
        picc.corruptBcc = false;
        assert.equal(hex((await reader.readCard())?.uid ?? Buffer.alloc(0)), '04A1B2C3D4E5F6');
    });

    it('does not wake a halted card with REQA but does with WUPA', async () => {
        const { chip, driver, reader } = await initialisedBench();
        const picc = chip.placeCard(card('04A1B2C3'));
        await reader.readCard();
        assert.equal(picc.state, 'HALT');
        assert.equal(await requestA(driver), undefined);
        assert.ok(await wakeupA(driver));
        assert.equal(hex((await selectCard(driver)).uid), '04A1B2C3');
    });

    it('reads the same halted card again on every attempt', async () => {
        const { chip, reader } = await initialisedBench();
        chip.placeCard(card('04A1B2C3D4E5F6'));
        for (let i = 0; i < 3; i++) assert.equal(hex((await reader.readCard())?.uid ?? Buffer.alloc(0)), '04A1B2C3D4E5F6');
    });

    it('resolves collisions bit by bit when several cards are in the field', async () => {
        const { chip, reader } = await initialisedBench();
        // 0x22 and 0xA2 differ in the last bit of byte 1, so the collision is past the first byte.
        const a = chip.placeCard(card('11223344'));
        const b = chip.placeCard(card('11A23344'));
        const c = chip.placeCard(card('04A1B2C3D4E5F6'));
        const first = await reader.readCard();
        assert.equal(hex(first?.uid ?? Buffer.alloc(0)), '11A23344', 'the card with a 1 at each collision wins');
        assert.ok(chip.air.some((f) => f.collision), 'there were collisions');
        chip.removeCard(b);
        assert.equal(hex((await reader.readCard())?.uid ?? Buffer.alloc(0)), '11223344');
        chip.removeCard(a);
        assert.equal(hex((await reader.readCard())?.uid ?? Buffer.alloc(0)), '04A1B2C3D4E5F6');
        assert.equal(c.state, 'HALT');
    });

    it('computes the BCC as the XOR of a level', () => {
        assert.equal(bcc(Buffer.from([0x88, 0x04, 0xa1, 0xb2])), 0x88 ^ 0x04 ^ 0xa1 ^ 0xb2);
    });
});
