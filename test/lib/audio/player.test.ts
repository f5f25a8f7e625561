import assert from 'assert/strict';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { candidatePlayers, choosePlayer, isPlayerChoice, playerArgs, probeSoundCards } from '../../../nodes/lib/audio/player';
import { findOnPath } from '../../../nodes/lib/child-process';
import { realAplay } from './fake-sound-card';

/** A folder with executables of the given names (never run here, only found). */
function binWith(...names: string[]): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audio-bin-'));
    for (const name of names) fs.writeFileSync(path.join(dir, name), '#!/bin/sh\n', { mode: 0o755 });
    return dir;
}

describe('audio/player: finding and calling a player', function () {
    const dirs: string[] = [];
    const bin = (...names: string[]) => {
        const dir = binWith(...names);
        dirs.push(dir);
        return dir;
    };
    after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

    it('finds executables on the search path, in order', () => {
        const first = bin('aplay');
        const second = bin('aplay', 'mpg123');
        const searchPath = [first, second].join(path.delimiter);
        assert.equal(findOnPath('aplay', searchPath), path.join(first, 'aplay'));
        assert.equal(findOnPath('mpg123', searchPath), path.join(second, 'mpg123'));
        assert.equal(findOnPath('paplay', searchPath), undefined);
    });

    it('skips files that are not executable, folders, and relative PATH entries', () => {
        const dir = bin();
        fs.writeFileSync(path.join(dir, 'aplay'), 'not executable', { mode: 0o644 });
        fs.mkdirSync(path.join(dir, 'paplay'));
        assert.equal(findOnPath('aplay', dir), undefined);
        assert.equal(findOnPath('paplay', dir), undefined);
        const cwd = process.cwd();
        process.chdir(bin('aplay'));
        try {
            assert.equal(findOnPath('aplay', `.${path.delimiter}${path.delimiter}`), undefined);
        } finally {
            process.chdir(cwd);
        }
    });

    it('auto picks aplay then paplay for WAV, mpg123 then paplay for MP3', () => {
        const all = bin('aplay', 'paplay', 'mpg123');
        assert.equal(choosePlayer('auto', 'wav', all)?.name, 'aplay');
        assert.equal(choosePlayer('auto', 'mp3', all)?.name, 'mpg123');
        const pulseOnly = bin('paplay');
        assert.equal(choosePlayer('auto', 'wav', pulseOnly)?.name, 'paplay');
        assert.equal(choosePlayer('auto', 'mp3', pulseOnly)?.command, path.join(pulseOnly, 'paplay'));
        assert.equal(choosePlayer('auto', 'wav', bin('mpg123')), undefined);
    });

    it('a chosen player plays what it can; other types are chosen automatically', () => {
        const all = bin('aplay', 'paplay', 'mpg123');
        assert.equal(choosePlayer('paplay', 'wav', all)?.name, 'paplay');
        assert.equal(choosePlayer('paplay', 'mp3', all)?.name, 'paplay');
        assert.equal(choosePlayer('mpg123', 'wav', all)?.name, 'aplay');
        assert.equal(choosePlayer('aplay', 'mp3', all)?.name, 'mpg123');
        // A chosen player that is missing is not silently replaced by another.
        assert.equal(choosePlayer('paplay', 'wav', bin('aplay')), undefined);
        assert.deepEqual(candidatePlayers('paplay', 'wav'), ['paplay']);
        assert.deepEqual(candidatePlayers('auto', 'wav'), ['aplay', 'paplay']);
    });

    it('knows the valid choices', () => {
        for (const ok of ['auto', 'aplay', 'paplay', 'mpg123']) assert.ok(isPlayerChoice(ok));
        for (const bad of ['', 'sox', 'APLAY', undefined, 1]) assert.ok(!isPlayerChoice(bad));
    });

    it('builds quiet argument lists with the device only when one is set', () => {
        assert.deepEqual(playerArgs('aplay', '', '/a b.wav'), ['-q', '/a b.wav']);
        assert.deepEqual(playerArgs('aplay', 'plughw:1,0', '/a.wav'), ['-q', '-D', 'plughw:1,0', '/a.wav']);
        assert.deepEqual(playerArgs('paplay', '', '/a.wav'), ['/a.wav']);
        assert.deepEqual(playerArgs('paplay', 'alsa_output.usb', '/a.wav'), ['--device=alsa_output.usb', '/a.wav']);
        assert.deepEqual(playerArgs('mpg123', '', '/a.mp3'), ['-q', '/a.mp3']);
        assert.deepEqual(playerArgs('mpg123', 'hw:1', '/a.mp3'), ['-q', '-a', 'hw:1', '/a.mp3']);
    });

    it('tells from aplay -l whether ALSA has a sound card, as the kernel lists them', async () => {
        const present = await probeSoundCards(realAplay());
        const cards = fs.existsSync('/proc/asound/cards') ? fs.readFileSync('/proc/asound/cards', 'utf8') : '';
        assert.equal(present, /^\s*\d+ \[/m.test(cards));
    });

    it('cannot tell when the command is not aplay', async () => {
        assert.equal(await probeSoundCards('/bin/true'), undefined);
        assert.equal(await probeSoundCards(path.join(bin(), 'missing')), undefined);
    });
});
