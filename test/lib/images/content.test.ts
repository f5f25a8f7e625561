import assert from 'assert';
import jpeg from 'jpeg-js';
import { checkImage, checkJpegClaim, ImageInputError, MAX_DECODE_PIXELS, pngSize, sniffMime } from '../../../nodes/lib/images/content';
import { checkCamera, isImageId, storedMsOfId } from '../../../nodes/lib/images/ids';
import { etagMatches, parseRange, parseTime } from '../../../nodes/lib/images/http';
import { jpegThumbnail } from '../../../nodes/lib/images/thumbnail';
import { claimingSize, makeJpeg, makePng } from './fixtures';

const code = (fn: () => unknown) => {
    try {
        fn();
    } catch (err) {
        assert.ok(err instanceof ImageInputError, String(err));
        return err.code;
    }
    return 'accepted';
};

describe('images: content, ids and HTTP helpers', function () {
    it('accepts JPEG and PNG by their bytes and refuses anything else', function () {
        assert.strictEqual(sniffMime(makeJpeg()), 'image/jpeg');
        assert.strictEqual(sniffMime(makePng()), 'image/png');
        assert.strictEqual(checkImage(makeJpeg(), 0), 'image/jpeg');
        assert.strictEqual(code(() => checkImage('not a buffer', 0)), 'not-a-buffer');
        assert.strictEqual(code(() => checkImage(Buffer.alloc(0), 0)), 'empty');
        assert.strictEqual(code(() => checkImage(Buffer.from('<html>GIF89a'), 0)), 'not-an-image');
        assert.strictEqual(code(() => checkImage(Buffer.from('GIF89a......'), 0)), 'not-an-image');
        assert.strictEqual(code(() => checkImage(makeJpeg(), 10)), 'too-large');
        assert.deepStrictEqual(pngSize(makePng(7, 5)), { width: 7, height: 5 });
    });

    it('accepts only real ids: <seconds>.<ms><seq>, earlier <ms>-<seq> and the original ten-digit seconds', function () {
        // Ids of the clock the test runs under: a stored moment and an older original picture's seconds.
        const ms = Date.now();
        const s = String(Math.floor(ms / 1000));
        const msPart = String(ms % 1000).padStart(3, '0');
        const fresh = `${s}.${msPart}000000000007`;
        const dashed = `${ms}-7`;
        const legacy = String(Math.floor(ms / 1000) - 86400 * 400);
        for (const id of [fresh, dashed, legacy, `${ms}-123456789012345`]) assert.ok(isImageId(id), id);
        for (const id of ['', '../image-index', 'image-index', `${legacy} `, legacy.slice(1), String(ms), `${ms}-`, 'abc', `${dashed}/..`, `${ms}-1234567890123456`,
            `${s}.`, `${s}.${msPart}`, `${s}.${msPart}00000000007`, `${fresh}/..`, `-${fresh}`, `${fresh}0000`]) {
            assert.ok(!isImageId(id), id);
        }
        // Each id's index score, in ms.
        assert.deepStrictEqual([fresh, dashed, legacy, 'x'].map(storedMsOfId), [ms, ms, Number(legacy) * 1000, NaN]);
        assert.strictEqual(checkCamera(undefined), 'camera');
        assert.strictEqual(checkCamera('<b>porch</b>'), '<b>porch</b>');
        assert.throws(() => checkCamera('a\nb'));
        assert.throws(() => checkCamera(5));
    });

    it('parses byte ranges as RFC 9110 says', function () {
        assert.deepStrictEqual(parseRange('bytes=0-9', 100), { start: 0, end: 9 });
        assert.deepStrictEqual(parseRange('bytes=90-', 100), { start: 90, end: 99 });
        assert.deepStrictEqual(parseRange('bytes=-10', 100), { start: 90, end: 99 });
        assert.deepStrictEqual(parseRange('bytes=50-500', 100), { start: 50, end: 99 });
        assert.deepStrictEqual(parseRange('bytes=-500', 100), { start: 0, end: 99 });
        assert.strictEqual(parseRange('bytes=100-', 100), 'unsatisfiable');
        assert.strictEqual(parseRange('bytes=-0', 100), 'unsatisfiable');
        assert.strictEqual(parseRange(undefined, 100), undefined);
        assert.strictEqual(parseRange('bytes=0-1,5-6', 100), undefined);
        assert.strictEqual(parseRange('items=0-1', 100), undefined);
        assert.strictEqual(parseRange('bytes=9-3', 100), undefined);
        assert.ok(etagMatches('"a", "b"', '"b"'));
        assert.ok(etagMatches('W/"b"', '"b"'));
        assert.ok(etagMatches('*', '"b"'));
        assert.ok(!etagMatches('"c"', '"b"'));
        // fixed date: parser cases; the parser only reads them, nothing ages them.
        assert.strictEqual(parseTime('1795300000123'), 1795300000123);
        // fixed date: as above.
        assert.strictEqual(parseTime('2026-01-02T03:04:05Z'), Date.UTC(2026, 0, 2, 3, 4, 5));
        assert.strictEqual(parseTime('soon'), undefined);
    });

    it('derives a real JPEG thumbnail no wider than asked, keeping the aspect ratio', function () {
        const full = makeJpeg(1280, 720);
        const made = jpegThumbnail(full, 320);
        assert.deepStrictEqual([made.width, made.height], [1280, 720]);
        const thumb = jpeg.decode(made.bytes);
        assert.deepStrictEqual([thumb.width, thumb.height], [320, 180]);
        assert.ok(made.bytes.length * 8 < full.length, `thumbnail of ${made.bytes.length} bytes, image ${full.length}`);
        const small = jpeg.decode(jpegThumbnail(makeJpeg(100, 50), 320).bytes);
        assert.deepStrictEqual([small.width, small.height], [100, 50]);
        assert.throws(() => jpegThumbnail(Buffer.from([0xff, 0xd8, 0xff, 0x00, 0x01]), 320));
    });

    it('refuses a JPEG header that claims more pixels than the decoder takes or the bytes can hold, before decoding', function () {
        assert.deepStrictEqual(checkJpegClaim(makeJpeg(64, 48)), { width: 64, height: 48 });
        assert.strictEqual(checkJpegClaim(makePng(4, 3)), undefined);
        // A few hundred bytes claiming 4000x3000 is under the sensor limit but cannot be real.
        const lying = claimingSize(4000, 3000);
        assert.strictEqual(code(() => checkJpegClaim(lying)), 'not-an-image');
        assert.strictEqual(code(() => checkJpegClaim(claimingSize(6000, 6000))), 'too-large');
        assert.ok(6000 * 6000 > MAX_DECODE_PIXELS);
        // Every decode is guarded, not only the store's: the gallery makes thumbnails of legacy pictures too.
        assert.strictEqual(code(() => jpegThumbnail(lying, 320)), 'not-an-image');
    });
});
