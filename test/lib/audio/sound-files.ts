// Small sound files built byte by byte for the audio tests.

/** A PCM WAV with optional extra chunks before fmt and data. */
export function wavBytes(opts: { rate?: number; channels?: number; bits?: number; dataBytes?: number; extra?: Buffer; format?: number } = {}): Buffer {
    const { rate = 16000, channels = 1, bits = 16, dataBytes = 32000, extra = Buffer.alloc(0), format = 1 } = opts;
    const fmt = Buffer.alloc(24);
    fmt.write('fmt ', 0);
    fmt.writeUInt32LE(16, 4);
    fmt.writeUInt16LE(format, 8);
    fmt.writeUInt16LE(channels, 10);
    fmt.writeUInt32LE(rate, 12);
    fmt.writeUInt32LE((rate * channels * bits) / 8, 16);
    fmt.writeUInt16LE((channels * bits) / 8, 20);
    fmt.writeUInt16LE(bits, 22);
    const dataHeader = Buffer.alloc(8);
    dataHeader.write('data', 0);
    dataHeader.writeUInt32LE(dataBytes, 4);
    const body = Buffer.concat([Buffer.from('WAVE'), extra, fmt, dataHeader, Buffer.alloc(dataBytes)]);
    const riff = Buffer.alloc(8);
    riff.write('RIFF', 0);
    riff.writeUInt32LE(body.length, 4);
    return Buffer.concat([riff, body]);
}

/** A constant-bitrate MP3 of silent MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz, 417 bytes each). */
export function silentMp3(frames: number, id3 = false): Buffer {
    const frame = Buffer.alloc(417);
    frame.set([0xff, 0xfb, 0x90, 0x00]);
    const tag = Buffer.from([0x49, 0x44, 0x33, 3, 0, 0, 0, 0, 0, 20, ...new Array(20).fill(0xff)]);
    return Buffer.concat([...(id3 ? [tag] : []), ...new Array(frames).fill(frame)]);
}
