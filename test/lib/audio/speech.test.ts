// Speech for prompts without a recording, with the real espeak-ng. A counting wrapper put
// first on the search path runs the real one, so the tests see how often it was started.
import assert from 'assert/strict';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { findOnPath } from '../../../nodes/lib/child-process';
import { PROMPT_TEXT } from '../../../nodes/lib/audio/prompts';
import { SoundError } from '../../../nodes/lib/audio/sounds';
import { MAX_SPOKEN_CHARS, NoSpeechError, SpeechCache, speaksText } from '../../../nodes/lib/audio/speech';
import { parseWav } from '../../../nodes/lib/audio/wav';

function realEspeak(): string {
    const espeak = findOnPath('espeak-ng');
    if (!espeak) throw new Error('these tests need espeak-ng: apt-get install espeak-ng');
    return espeak;
}

describe('audio/speech: prompts spoken from their words', function () {
    this.timeout(20000);
    let dir: string;
    let bin: string;
    let log: string;
    const runs = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0);
    const cache = (maxFiles = 32) => new SpeechCache({ cacheDir: path.join(dir, 'cache'), maxFiles, searchPath: bin });

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'speech-'));
        bin = path.join(dir, 'bin');
        log = path.join(dir, 'runs.log');
        fs.mkdirSync(bin);
        fs.writeFileSync(path.join(bin, 'espeak-ng'), `#!/bin/sh\necho run >> ${JSON.stringify(log)}\nexec ${JSON.stringify(realEspeak())} "$@"\n`, { mode: 0o755 });
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('speaks what has no recording, or words other than the recording\'s; plays everything else', function () {
        assert.equal(speaksText('thank-you-day-pass', 'Thank you for buying a day pass.'), true);
        assert.equal(speaksText('select-a-pass', 'Please select a pass: day or five trip.'), true);
        assert.equal(speaksText('select-a-pass', PROMPT_TEXT['select-a-pass']), false, 'the recording says it');
        assert.equal(speaksText('thank-you-day-pass', ''), false, 'no words: an unknown prompt stays an error');
        assert.equal(speaksText('chime', 'Granted: card 04A1B2C3'), false, 'a tone is never replaced by words');
        assert.equal(speaksText('access-denied', 'Denied: no pass'), false);
        assert.equal(speaksText('/home/pi/welcome.wav', 'Welcome'), false, 'a file is played');
        assert.equal(speaksText(42, 'forty two'), false);
    });

    it('synthesises a text once into a WAV file in the voice of the shipped prompts', async function () {
        const speech = cache();
        const sound = await speech.soundOf('thank-you-day-pass', 'Thank you for buying a day pass.');
        assert.equal(sound.prompt, 'thank-you-day-pass');
        assert.equal(sound.type, 'wav');
        assert.equal(sound.spoken, true);
        assert.equal(path.dirname(sound.file), path.join(dir, 'cache'));
        const wav = parseWav(fs.readFileSync(sound.file));
        assert.ok(wav.duration > 1 && wav.duration < 5, `a short sentence lasts ${wav.duration} s`);
        assert.equal(sound.duration, wav.duration);
        const again = await Promise.all([1, 2, 3].map(() => speech.soundOf('thank-you-day-pass', 'Thank you for buying a day pass.')));
        assert.ok(again.every((s) => s.file === sound.file));
        assert.equal(runs(), 1, 'espeak-ng ran once for the same words');
        assert.deepEqual(fs.readdirSync(path.join(dir, 'cache')), [path.basename(sound.file)], 'no partial file is left');
        // A restarted Node-RED finds the file it made before.
        await cache().soundOf('thank-you-day-pass', 'Thank you for buying a day pass.');
        assert.equal(runs(), 1);
    });

    it('keeps at most maxFiles texts, the least recently used going first', async function () {
        const speech = cache(2);
        const [a] = [await speech.soundOf('p', 'One.'), await speech.soundOf('p', 'Two.')];
        await speech.soundOf('p', 'One.'); // now the most recently used
        const c = await speech.soundOf('p', 'Three.');
        await new Promise((r) => setTimeout(r, 100)); // the eviction removes the file in the background
        const kept = fs.readdirSync(path.join(dir, 'cache')).sort();
        assert.deepEqual(kept, [path.basename(a.file), path.basename(c.file)].sort());
        assert.equal(runs(), 3);
    });

    it('passes the words on stdin, so a text starting with a dash is spoken, not read as an option', async function () {
        const sound = await cache().soundOf('p', '-w /tmp/elsewhere.wav');
        assert.ok(parseWav(fs.readFileSync(sound.file)).duration > 0.5);
        assert.equal(fs.existsSync('/tmp/elsewhere.wav'), false);
    });

    it('refuses a text too long for a prompt, and says so when espeak-ng is not installed', async function () {
        await assert.rejects(cache().soundOf('p', 'x'.repeat(MAX_SPOKEN_CHARS + 1)), (err: unknown) => err instanceof SoundError && err.code === 'text-too-long');
        const without = new SpeechCache({ cacheDir: path.join(dir, 'cache'), searchPath: path.join(dir, 'nothing-here') });
        await assert.rejects(without.soundOf('p', 'Hello.'), NoSpeechError);
        assert.equal(runs(), 0);
    });

    it('does not keep a failed synthesis: the next request tries again', async function () {
        fs.writeFileSync(path.join(bin, 'espeak-ng'), `#!/bin/sh\necho run >> ${JSON.stringify(log)}\necho 'no voice data' >&2\nexit 1\n`, { mode: 0o755 });
        const speech = cache();
        await assert.rejects(speech.soundOf('p', 'Hello.'), /espeak-ng failed: no voice data/);
        await assert.rejects(speech.soundOf('p', 'Hello.'), /espeak-ng failed/);
        assert.equal(runs(), 2);
    });
});
