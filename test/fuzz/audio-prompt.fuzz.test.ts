// audio-prompt under 1,000 generated requests: shipped prompt ids, absolute paths to files
// that are no sound (a FIFO, a directory, a device, garbage, an empty MP3), relative and
// climbing paths, and wrong types. Each request is played and sent on, or refused with one
// of the node's error codes; a FIFO or device is never opened (it could block forever).
// The real aplay plays to ALSA's null device, as in test/nodes/audio-prompt.test.ts: no
// sound is needed, and unlike the real-time stand-in a prompt takes milliseconds.
import assert from 'assert/strict';
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import fc from 'fast-check';
import { SHIPPED_SOUNDS, SOUNDS_DIR } from '../../nodes/lib/audio/sounds';
import { realAplay } from '../lib/audio/fake-sound-card';
import { field, message, nastyValue, oddString } from './arbitraries';
import { fuzzFlow, fuzzMessages, fuzzSuite, loadFuzzFlow, Outcome, OutcomeTracker, refusalCode, Tally } from './harness';

const audioModule = require('../../nodes/audio-prompt/audio-prompt');

const CODES = ['not-a-string', 'unknown-prompt', 'not-absolute', 'bad-extension', 'not-found', 'bad-file'];

/** Files that look like sounds by name but are not: each must be refused without being opened for long. */
function makeDecoys(dir: string): string[] {
    fs.copyFileSync(path.join(SOUNDS_DIR, 'chime.wav'), path.join(dir, 'real.wav'));
    fs.writeFileSync(path.join(dir, 'garbage.wav'), 'RIFF....WAVEnot really');
    fs.writeFileSync(path.join(dir, 'empty.mp3'), '');
    fs.writeFileSync(path.join(dir, 'text.txt'), 'hello');
    fs.mkdirSync(path.join(dir, 'folder.wav'));
    fs.symlinkSync('/dev/zero', path.join(dir, 'zero.wav'));
    execFileSync('mkfifo', [path.join(dir, 'fifo.wav')]);
    return ['real.wav', 'garbage.wav', 'empty.mp3', 'text.txt', 'folder.wav', 'zero.wav', 'fifo.wav', 'missing.wav', 'REAL.WAV']
        .map((name) => path.join(dir, name));
}

describe('fuzz: audio-prompt', function () {
    this.timeout(120000);
    fuzzSuite({ redis: false });
    let dir: string;
    before(() => {
        realAplay(); // with the install hint where alsa-utils is missing
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuzz-audio-'));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('plays or refuses each of 1,000 generated requests, exactly once', async function () {
        const decoys = makeDecoys(dir);
        // Batches of 8 at once, each played: room for all of them in the queue, and time, so that
        // what is checked is the handling of each request, not the queue's limits (tested in
        // test/nodes/audio-prompt.test.ts).
        await loadFuzzFlow([audioModule], fuzzFlow({ type: 'audio-prompt', name: '', prompt: '', player: 'auto', device: 'null', maxQueue: 8, maxWait: 60 }, 1));
        const tracker = new OutcomeTracker(1);
        const request = fc.oneof(
            { arbitrary: fc.tuple(fc.constantFrom(...SHIPPED_SOUNDS), fc.constantFrom('', ' ', '\n')).map(([id, pad]) => pad + id + pad), weight: 2 },
            { arbitrary: fc.constantFrom(...decoys), weight: 3 },
            { arbitrary: fc.constantFrom(...decoys).map((file) => file.replace(dir, `${dir}/../${path.basename(dir)}`)), weight: 1 },
            { arbitrary: fc.constantFrom('chime.wav', './chime.wav', 'sounds/chime', '../sounds/chime.wav', 'CHIME', 'chime\u0000', '/x.wav\u0000.wav'), weight: 1 },
            { arbitrary: oddString, weight: 3 },
            { arbitrary: nastyValue, weight: 3 },
        );
        const messages = message({ payload: request, topic: field(oddString) });
        const kinds = new Tally();
        const check = (o: Outcome) => {
            if (o.errors.length) return kinds.add(refusalCode(o, CODES));
            assert.equal(o.outputs.length, 1);
            const audio = o.outputs[0].msg.audio as { prompt: string; file: string; played: boolean };
            assert.equal(typeof o.sent.payload, 'string');
            assert.equal(audio.prompt, (o.sent.payload as string).trim());
            assert.ok([path.join(dir, 'real.wav'), path.join(dir, 'empty.mp3')].includes(audio.file) || path.dirname(audio.file) === SOUNDS_DIR,
                `played ${audio.file}`);
            // aplay plays every WAV to the null device; this machine may have no MP3 player.
            if (audio.file.endsWith('.wav')) assert.equal(audio.played, true);
            kinds.add('played');
        };
        const sent = await fuzzMessages(tracker, { seed: 5301, runs: 125, batch: 8, messages, check });
        assert.ok(sent >= 1000);
        kinds.assertReached(['played', ...CODES]);
        assert.equal(tracker.unsolicited.length, 0);

        const [id] = tracker.send([{ payload: 'access-granted' }]);
        await tracker.waitEnded([id], 10000);
        assert.equal((tracker.outcomes.get(id)?.outputs[0]?.msg.audio as { played: boolean }).played, true);
    });
});
