// Reads enough of a sound file to know how long it plays: the playback timeout is derived
// from it, and the tests use it to check that a message waits for the end of the sound.

export interface WavInfo {
    format: number;
    channels: number;
    sampleRate: number;
    bitsPerSample: number;
    dataBytes: number;
    /** Seconds of sound. */
    duration: number;
}

/**
 * Parses a RIFF/WAVE header, walking the chunks (sox and others add LIST or fact chunks).
 * buf may be just the start of a file whose full length is fileSize.
 */
export function parseWav(buf: Buffer, fileSize = buf.length): WavInfo {
    if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
        throw new Error('not a RIFF/WAVE file');
    }
    let fmt: Omit<WavInfo, 'dataBytes' | 'duration'> | undefined;
    let offset = 12;
    while (offset + 8 <= buf.length) {
        const id = buf.toString('ascii', offset, offset + 4);
        const size = buf.readUInt32LE(offset + 4);
        const body = offset + 8;
        if (id === 'fmt ' && body + 16 <= buf.length) {
            fmt = {
                format: buf.readUInt16LE(body),
                channels: buf.readUInt16LE(body + 2),
                sampleRate: buf.readUInt32LE(body + 4),
                bitsPerSample: buf.readUInt16LE(body + 14),
            };
        } else if (id === 'data') {
            if (!fmt) throw new Error('WAVE data before its fmt chunk');
            const bytesPerSecond = fmt.sampleRate * fmt.channels * Math.ceil(fmt.bitsPerSample / 8);
            if (!bytesPerSecond) throw new Error('WAVE fmt chunk has no sample rate');
            // A streamed WAV may claim more data than the file holds; trust what is there.
            const dataBytes = Math.max(0, Math.min(size, fileSize - body));
            return { ...fmt, dataBytes, duration: dataBytes / bytesPerSecond };
        }
        offset = body + size + (size % 2);
    }
    throw new Error('WAVE file has no data chunk');
}

const MP3_BITRATES_V1_L3 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const MP3_BITRATES_V2_L3 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];

/**
 * Estimates an MP3's length from its size and the bitrate of its first frame (exact for
 * constant bitrate, the usual case for short prompts). Undefined when no frame is found.
 */
export function estimateMp3Duration(buf: Buffer, fileSize = buf.length): number | undefined {
    let offset = 0;
    if (buf.toString('latin1', 0, 3) === 'ID3' && buf.length >= 10) {
        // ID3v2 size: four 7-bit bytes, plus the 10-byte header.
        offset = 10 + ((buf[6] << 21) | (buf[7] << 14) | (buf[8] << 7) | buf[9]);
    }
    for (; offset + 4 <= buf.length; offset++) {
        if (buf[offset] !== 0xff || (buf[offset + 1] & 0xe0) !== 0xe0) continue;
        const version = (buf[offset + 1] >> 3) & 3; // 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5
        const layer = (buf[offset + 1] >> 1) & 3; // 1 = Layer III
        const index = buf[offset + 2] >> 4;
        if (version === 1 || layer !== 1 || index === 0 || index === 15) continue;
        const kbps = (version === 3 ? MP3_BITRATES_V1_L3 : MP3_BITRATES_V2_L3)[index];
        return ((fileSize - offset) * 8) / (kbps * 1000);
    }
    return undefined;
}
