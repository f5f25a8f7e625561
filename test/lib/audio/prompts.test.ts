// The shipped sounds: one valid WAV for every id the nodes use, with the words in one place.
import assert from 'assert/strict';
import { execFileSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { PROMPT_TEXT, promptText } from '../../../nodes/lib/audio/prompts';
import { resolveSound, SHIPPED_SOUNDS, SOUNDS_DIR } from '../../../nodes/lib/audio/sounds';
import { parseWav } from '../../../nodes/lib/audio/wav';
import { realAplay } from './fake-sound-card';

// The prompt ids of transit-sale's first output (fixed by the spec, and card-blocked for a card
// on the deny list) and the gate's two sounds.
const SALE_PROMPTS = [
    'select-a-pass', 'tap-card-to-confirm', 'thank-you-single-trip-pass', 'thank-you-ten-trip-pass',
    'thank-you-two-hour-pass', 'card-already-has-pass', 'card-blocked', 'mismatch-cancel', 'timeout-cancel', 'sale-cancelled',
    'selected-single-trip-pass', 'selected-ten-trip-pass', 'selected-two-hour-pass', 'system-unavailable',
];

describe('audio/prompts and the shipped sounds', function () {
    it('has words for every sale prompt and for access-granted', () => {
        for (const id of [...SALE_PROMPTS, 'access-granted']) assert.match(promptText(id), /^[A-Z].*[.!?]$/, id);
        assert.equal(promptText('mismatch-cancel'), 'You presented a different card. Transaction cancelled.');
        assert.equal(promptText('select-a-pass'), 'Please select a pass: single trip, ten trip or two hour.');
        assert.throws(() => promptText('no-such-prompt'), /unknown prompt: no-such-prompt/);
        assert.throws(() => promptText('toString'), /unknown prompt/);
    });

    it('cannot be changed at run time (transit-sale shares the object)', () => {
        assert.throws(() => {
            (PROMPT_TEXT as Record<string, string>)['select-a-pass'] = 'changed';
        }, TypeError);
    });

    it('ships exactly one file per id, and nothing else', () => {
        assert.deepEqual([...SHIPPED_SOUNDS].sort(), [...SALE_PROMPTS, 'access-granted', 'access-denied', 'chime', 'buzzer'].sort());
        assert.deepEqual(fs.readdirSync(SOUNDS_DIR).sort(), SHIPPED_SOUNDS.map((id) => `${id}.wav`).sort());
    });

    it('every shipped file is a mono 16 kHz 16-bit PCM WAV of a sensible length', async () => {
        for (const id of SHIPPED_SOUNDS) {
            const info = parseWav(fs.readFileSync(path.join(SOUNDS_DIR, `${id}.wav`)));
            assert.deepEqual([info.format, info.channels, info.sampleRate, info.bitsPerSample], [1, 1, 16000, 16], id);
            assert.ok(info.duration >= 0.5 && info.duration <= 6, `${id}: ${info.duration} s`);
            const sound = await resolveSound(id);
            assert.equal(sound.duration, info.duration);
        }
        // The spoken prompts are longer than the tones; the buzzer is about 0.8 s as in the brief.
        const seconds = (id: string) => parseWav(fs.readFileSync(path.join(SOUNDS_DIR, `${id}.wav`))).duration;
        assert.ok(seconds('select-a-pass') > 3);
        assert.ok(Math.abs(seconds('buzzer') - 0.8) < 0.05);
    });

    it('every shipped file is accepted by the real aplay', function () {
        const aplay = realAplay();
        for (const id of SHIPPED_SOUNDS) {
            execFileSync(aplay, ['-q', '-D', 'null', path.join(SOUNDS_DIR, `${id}.wav`)], { stdio: 'pipe' });
        }
    });

    it('the editor offers every shipped sound and the help names each', () => {
        const nodeDir = path.join(SOUNDS_DIR, '..');
        const editor = fs.readFileSync(path.join(nodeDir, 'audio-prompt.html'), 'utf8');
        const select = editor.slice(editor.indexOf('id="node-input-prompt"'), editor.indexOf('</select>', editor.indexOf('id="node-input-prompt"')));
        const offered = [...select.matchAll(/<option value="([^"]*)"/g)].map((m) => m[1]);
        assert.deepEqual(offered, ['', ...SHIPPED_SOUNDS]);
        const help = fs.readFileSync(path.join(nodeDir, 'locales', 'en-US', 'audio-prompt.html'), 'utf8');
        for (const id of SHIPPED_SOUNDS) assert.ok(help.includes(`<code>${id}</code>`), id);
    });
});
