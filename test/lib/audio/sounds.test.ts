import assert from 'assert/strict';
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { resolveSound, SoundError, SOUNDS_DIR } from '../../../nodes/lib/audio/sounds';
import { silentMp3, wavBytes } from './sound-files';

async function refusal(request: unknown): Promise<string> {
    try {
        await resolveSound(request);
    } catch (err) {
        assert.ok(err instanceof SoundError, String(err));
        return err.code;
    }
    assert.fail(`${JSON.stringify(request)} was accepted`);
}

describe('audio/sounds: what a payload plays', function () {
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audio-sounds-'));
        fs.writeFileSync(path.join(dir, 'beep.wav'), wavBytes({ dataBytes: 8000 }));
        fs.writeFileSync(path.join(dir, 'LOUD.WAV'), wavBytes({ dataBytes: 8000 }));
        fs.writeFileSync(path.join(dir, 'song.mp3'), silentMp3(50));
        fs.writeFileSync(path.join(dir, 'fake.wav'), 'this is text, not sound');
        fs.writeFileSync(path.join(dir, 'empty.wav'), '');
        fs.mkdirSync(path.join(dir, 'folder.wav'));
        execFileSync('mkfifo', [path.join(dir, 'pipe.wav')]);
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('plays a shipped prompt id from the sounds folder, with its length', async () => {
        const sound = await resolveSound('select-a-pass');
        assert.equal(sound.file, path.join(SOUNDS_DIR, 'select-a-pass.wav'));
        assert.equal(sound.prompt, 'select-a-pass');
        assert.equal(sound.type, 'wav');
        assert.ok((sound.duration ?? 0) > 3);
        assert.equal((await resolveSound('  access-denied ')).prompt, 'access-denied');
    });

    it('plays the tones', async () => {
        assert.equal((await resolveSound('chime')).file, path.join(SOUNDS_DIR, 'chime.wav'));
        assert.equal((await resolveSound('buzzer')).file, path.join(SOUNDS_DIR, 'buzzer.wav'));
    });

    it('plays an absolute path to an existing .wav or .mp3 (any case)', async () => {
        const wav = await resolveSound(path.join(dir, 'beep.wav'));
        assert.deepEqual(wav, { prompt: path.join(dir, 'beep.wav'), file: path.join(dir, 'beep.wav'), type: 'wav', duration: 0.25 });
        assert.equal((await resolveSound(path.join(dir, 'LOUD.WAV'))).type, 'wav');
        const mp3 = await resolveSound(path.join(dir, 'song.mp3'));
        assert.equal(mp3.type, 'mp3');
        assert.ok(Math.abs((mp3.duration ?? 0) - 1.306) < 0.01);
    });

    it('refuses unknown ids, and ids that are not strings', async () => {
        assert.equal(await refusal('no-such-prompt'), 'unknown-prompt');
        assert.equal(await refusal('Select-A-Pass'), 'unknown-prompt');
        assert.equal(await refusal('constructor'), 'unknown-prompt');
        for (const bad of [42, null, undefined, {}, ['chime'], true, '', '   ', Buffer.from('chime')]) {
            assert.equal(await refusal(bad), 'not-a-string', String(bad));
        }
    });

    it('refuses relative paths and paths that climb with ..', async () => {
        assert.equal(await refusal('sounds/chime.wav'), 'not-absolute');
        assert.equal(await refusal('./chime.wav'), 'not-absolute');
        assert.equal(await refusal('../audio-prompt/sounds/chime.wav'), 'not-absolute');
        assert.equal(await refusal(`${SOUNDS_DIR}/../sounds/chime.wav`), 'not-absolute');
    });

    it('refuses other file types, missing files, folders, FIFOs and files that are not WAV', async () => {
        assert.equal(await refusal('/etc/passwd'), 'bad-extension');
        assert.equal(await refusal(path.join(dir, 'tune.ogg')), 'bad-extension');
        assert.equal(await refusal(path.join(dir, 'missing.wav')), 'not-found');
        assert.equal(await refusal(path.join(dir, 'folder.wav')), 'not-found');
        assert.equal(await refusal(path.join(dir, 'pipe.wav')), 'not-found'); // and returns: a FIFO is never opened
        assert.equal(await refusal(path.join(dir, 'fake.wav')), 'bad-file');
        assert.equal(await refusal(path.join(dir, 'empty.wav')), 'bad-file');
    });

    it('says what was wrong in the error', async () => {
        await assert.rejects(resolveSound('nope'), { name: 'SoundError', code: 'unknown-prompt', value: 'nope' });
        await assert.rejects(resolveSound(7), { code: 'not-a-string', value: 'number' });
    });
});
