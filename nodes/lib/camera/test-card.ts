// The simulated camera's picture: a real JPEG (encoded with jpeg-js) of colour bars with
// the capture time and the camera's name written underneath, so a laptop without a camera
// runs the whole capture → store → gallery system, and each picture is visibly different.
// Like rpicam-still, it can carry a thumbnail in its EXIF data, drawn at that size.
import { encode } from 'jpeg-js';
import { withExifThumbnail } from './exif';
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyphPixel } from './font';

type Rgb = readonly [number, number, number];

// The classic 75% bars: white, yellow, cyan, green, magenta, red, blue.
export const BARS: readonly Rgb[] = [
    [191, 191, 191], [191, 191, 0], [0, 191, 191], [0, 191, 0], [191, 0, 191], [191, 0, 0], [0, 0, 191],
];
const BAND: Rgb = [16, 16, 16];
const INK: Rgb = [255, 255, 255];

/** Bars fill the top 2/3; the text band below holds two lines. */
export const barsHeight = (height: number) => Math.floor((height * 2) / 3);

class Canvas {
    readonly data: Buffer;
    constructor(readonly width: number, readonly height: number) {
        this.data = Buffer.alloc(width * height * 4);
    }

    fill(x0: number, y0: number, x1: number, y1: number, [r, g, b]: Rgb): void {
        for (let y = Math.max(0, y0); y < Math.min(this.height, y1); y++) {
            for (let x = Math.max(0, x0); x < Math.min(this.width, x1); x++) {
                const at = (y * this.width + x) * 4;
                this.data[at] = r;
                this.data[at + 1] = g;
                this.data[at + 2] = b;
                this.data[at + 3] = 255;
            }
        }
    }

    /** Draws text centred on centreY, each font pixel a scale x scale square. */
    text(text: string, centreY: number, scale: number, colour: Rgb): void {
        const advance = (GLYPH_WIDTH + 1) * scale;
        const left = Math.floor((this.width - text.length * advance + scale) / 2);
        const top = Math.floor(centreY - (GLYPH_HEIGHT * scale) / 2);
        [...text].forEach((char, i) => {
            for (let row = 0; row < GLYPH_HEIGHT; row++) {
                for (let column = 0; column < GLYPH_WIDTH; column++) {
                    if (!glyphPixel(char, column, row)) continue;
                    const x = left + i * advance + column * scale;
                    const y = top + row * scale;
                    this.fill(x, y, x + scale, y + scale, colour);
                }
            }
        });
    }
}

/** Local time as YYYY-MM-DD HH:MM:SS, what a person reading the picture expects. */
export function cardTime(date: Date): string {
    const two = (n: number) => String(n).padStart(2, '0');
    return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} `
        + `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/** The largest whole font scale at which `chars` characters fit the width and a line fits `lineHeight`. */
function fitScale(width: number, lineHeight: number, chars: number): number {
    const byWidth = Math.floor((width * 0.9) / ((GLYPH_WIDTH + 1) * chars));
    const byHeight = Math.floor((lineHeight * 0.7) / GLYPH_HEIGHT);
    return Math.max(1, Math.min(byWidth, byHeight));
}

/** An embedded thumbnail's size and JPEG quality, as rpicam-still's `--thumb w:h:q`. */
export interface ThumbnailSpec {
    width: number;
    height: number;
    quality: number;
}

export interface TestCardOptions {
    width: number;
    height: number;
    quality: number;
    time: Date;
    /** Drawn on the second line; e.g. the camera's name. */
    label?: string;
    /** An EXIF thumbnail to embed, as a real camera's picture has. */
    thumbnail?: ThumbnailSpec;
}

function drawCard(width: number, height: number, time: Date, labelText?: string): Canvas {
    const canvas = new Canvas(width, height);
    const barsBottom = barsHeight(height);
    BARS.forEach((colour, i) => {
        canvas.fill(Math.floor((i * width) / BARS.length), 0, Math.floor(((i + 1) * width) / BARS.length), barsBottom, colour);
    });
    canvas.fill(0, barsBottom, width, height, BAND);
    const timeText = cardTime(time);
    const label = `SIMULATED ${labelText ?? ''}`.trim();
    const lineHeight = (height - barsBottom) / 2;
    canvas.text(timeText, barsBottom + lineHeight * 0.55, fitScale(width, lineHeight, timeText.length), INK);
    canvas.text(label, barsBottom + lineHeight * 1.45, fitScale(width, lineHeight, Math.max(label.length, 19)), INK);
    return canvas;
}

const encodeCanvas = (canvas: Canvas, quality: number): Buffer =>
    encode({ width: canvas.width, height: canvas.height, data: canvas.data }, quality).data;

/** rpicam-still lowers the thumbnail's quality in steps of 5 until it is under 60,000 bytes; so does this. */
const MAX_THUMBNAIL_BYTES = 60000;

export function makeTestCard(options: TestCardOptions): Buffer {
    const picture = encodeCanvas(drawCard(options.width, options.height, options.time, options.label), options.quality);
    const spec = options.thumbnail;
    if (!spec) return picture;
    // Drawn at its own size rather than scaled down: far cheaper than resampling the picture.
    const small = drawCard(spec.width, spec.height, options.time, options.label);
    let quality = spec.quality;
    let jpeg = encodeCanvas(small, quality);
    while (jpeg.length >= MAX_THUMBNAIL_BYTES && quality > 5) {
        quality -= 5;
        jpeg = encodeCanvas(small, quality);
    }
    return withExifThumbnail(picture, { jpeg, width: spec.width, height: spec.height }, options.time, 'redis-iot simulated camera');
}
