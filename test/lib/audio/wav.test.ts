import assert from 'assert/strict';
import { estimateMp3Duration, parseWav } from '../../../nodes/lib/audio/wav';
import { silentMp3, wavBytes } from './sound-files';

describe('audio/wav', function () {
    it('reads format and length from a plain PCM header', () => {
        const info = parseWav(wavBytes({ rate: 16000, dataBytes: 48000 }));
        assert.deepEqual(info, { format: 1, channels: 1, sampleRate: 16000, bitsPerSample: 16, dataBytes: 48000, duration: 1.5 });
    });

    it('walks past other chunks (LIST, odd sizes are padded)', () => {
        const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([5, 0, 0, 0]), Buffer.from('abcde'), Buffer.from([0])]);
        const info = parseWav(wavBytes({ rate: 22050, channels: 2, dataBytes: 88200, extra: list }));
        assert.equal(info.channels, 2);
        assert.equal(info.duration, 1);
    });

    it('trusts the file size over a data size that claims more (a streamed WAV), also from just the head', () => {
        const whole = wavBytes({ dataBytes: 16000 });
        whole.writeUInt32LE(0xffffffff, 40);
        assert.equal(parseWav(whole).duration, 0.5);
        assert.equal(parseWav(whole.subarray(0, 100), whole.length).duration, 0.5);
    });

    it('refuses what is not a WAVE file', () => {
        assert.throws(() => parseWav(Buffer.from('ID3 not a wave file at all')), /not a RIFF\/WAVE/);
        assert.throws(() => parseWav(wavBytes().subarray(0, 36)), /no data chunk/);
    });

    it('estimates a constant-bitrate MP3 from its first frame, behind an ID3 tag too', () => {
        // 100 frames of 1152 samples at 44.1 kHz play 2.612 s; 41700 bytes at 128 kbit/s say 2.606 s.
        assert.ok(Math.abs((estimateMp3Duration(silentMp3(100)) ?? 0) - 2.612) < 0.01);
        assert.ok(Math.abs((estimateMp3Duration(silentMp3(100, true)) ?? 0) - 2.612) < 0.01);
        assert.equal(estimateMp3Duration(Buffer.from('no frames here')), undefined);
    });
});
