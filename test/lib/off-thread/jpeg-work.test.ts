import assert from 'assert';
import jpeg from 'jpeg-js';
import { testCardOffThread, thumbnailOffThread } from '../../../nodes/lib/off-thread/jpeg-work';
import { jpegThumbnail } from '../../../nodes/lib/images/thumbnail';
import { makeJpeg } from '../images/fixtures';

describe('JPEG work off the event loop', function () {
    it('makes the same thumbnail as the inline function, and reports a broken JPEG as an error', async function () {
        const source = makeJpeg(640, 360, 90);
        const off = await thumbnailOffThread(source, 320);
        const inline = jpegThumbnail(source, 320);
        assert.deepStrictEqual([off.width, off.height], [640, 360]);
        assert.ok(Buffer.isBuffer(off.bytes));
        assert.ok(off.bytes.equals(inline.bytes));
        await assert.rejects(thumbnailOffThread(Buffer.from([0xff, 0xd8, 0xff, 0x00, 0x01]), 320), /./);
        // The worker survives a bad job.
        assert.strictEqual(jpeg.decode(await testCardOffThread({ width: 64, height: 48, quality: 80, time: new Date() })).width, 64);
    });

    it('keeps the event loop turning while a large picture is worked on', async function () {
        const big = await testCardOffThread({ width: 2592, height: 1944, quality: 90, time: new Date() });
        let turns = 0;
        const timer = setInterval(() => turns++, 1);
        try {
            await Promise.all([thumbnailOffThread(big, 320), thumbnailOffThread(big, 320)]);
        } finally {
            clearInterval(timer);
        }
        // Inline, the decode would hold the loop from start to end: no timer could fire.
        assert.ok(turns >= 5, `the event loop turned ${turns} times`);
    });
});
