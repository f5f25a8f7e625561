// The simulated camera's test card is a real JPEG: it decodes, at the size asked for, with
// the bars where they should be and the time written in the band below.
import assert from 'assert/strict';
import { decode } from 'jpeg-js';
import { jpegSize } from '../../../nodes/lib/jpeg';
import { BARS, barsHeight, cardTime, makeTestCard } from '../../../nodes/lib/camera/test-card';
import { exifThumbnail } from '../../../nodes/lib/images/exif-thumbnail';

const pixel = (img: { width: number; data: Uint8Array }, x: number, y: number) => {
    const at = (y * img.width + x) * 4;
    return [img.data[at], img.data[at + 1], img.data[at + 2]];
};
const near = (got: number[], want: readonly number[], what: string) =>
    got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 24, `${what}: ${got} is not near ${want}`));

describe('camera test card', () => {
    // fixed date: the time drawn on the card, a rendering case; nothing ages it.
    const time = new Date(2026, 4, 17, 9, 5, 3);

    for (const [width, height] of [[1280, 720], [640, 480], [320, 240], [17, 33]]) {
        it(`is a valid ${width}x${height} JPEG`, () => {
            const jpeg = makeTestCard({ width, height, quality: 80, time, label: 'camera' });
            assert.deepEqual([...jpeg.subarray(0, 3)], [0xff, 0xd8, 0xff]);
            assert.deepEqual([...jpeg.subarray(-2)], [0xff, 0xd9]);
            const img = decode(jpeg, { useTArray: true });
            assert.equal(img.width, width);
            assert.equal(img.height, height);
            assert.deepEqual(jpegSize(jpeg), { width, height });
        });
    }

    it('draws the colour bars across the top', () => {
        const img = decode(makeTestCard({ width: 700, height: 300, quality: 90, time }), { useTArray: true });
        BARS.forEach((colour, i) => near(pixel(img, i * 100 + 50, 50), colour, `bar ${i}`));
    });

    it('writes the time in the band below, so pictures taken at other times differ there', () => {
        const [width, height] = [640, 480];
        const band = (jpeg: Buffer) => {
            const img = decode(jpeg, { useTArray: true });
            return Buffer.from(img.data.subarray(barsHeight(height) * width * 4));
        };
        const first = band(makeTestCard({ width, height, quality: 90, time }));
        const later = band(makeTestCard({ width, height, quality: 90, time: new Date(time.getTime() + 60000) }));
        const bright = [...first].filter((v, i) => i % 4 === 0 && v > 200).length;
        assert.ok(bright > 500, `only ${bright} bright pixels: no text drawn`);
        assert.notDeepEqual(first, later);
    });

    it('formats the time as local YYYY-MM-DD HH:MM:SS', () => {
        assert.equal(cardTime(time), '2026-05-17 09:05:03'); // fixed date: the rendering of `time` above
    });

    it('follows the quality setting', () => {
        const low = makeTestCard({ width: 640, height: 480, quality: 10, time });
        const high = makeTestCard({ width: 640, height: 480, quality: 100, time });
        assert.ok(high.length > low.length * 1.5, `${high.length} vs ${low.length}`);
    });

    it("carries an EXIF thumbnail when asked, as rpicam-still's pictures do: the same card, drawn small", () => {
        const jpeg = makeTestCard({ width: 1280, height: 720, quality: 80, time, label: 'porch', thumbnail: { width: 320, height: 180, quality: 70 } });
        assert.deepEqual([...jpeg.subarray(0, 4)], [0xff, 0xd8, 0xff, 0xe1]);
        assert.deepEqual(jpegSize(jpeg), { width: 1280, height: 720 });
        const full = decode(jpeg, { useTArray: true });
        assert.deepEqual([full.width, full.height], [1280, 720]);
        const thumbnail = exifThumbnail(jpeg);
        assert.ok(thumbnail);
        assert.ok(thumbnail.length < 60000);
        const small = decode(thumbnail, { useTArray: true });
        assert.deepEqual([small.width, small.height], [320, 180]);
        BARS.forEach((colour, i) => near(pixel(small, Math.floor(((i + 0.5) * 320) / BARS.length), 20), colour, `thumbnail bar ${i}`));
        assert.equal(exifThumbnail(makeTestCard({ width: 64, height: 48, quality: 80, time })), undefined, 'none unless asked');
    });
});
