import assert from 'assert/strict';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { PlaybackOptions, PlaybackQueue, playbackLimitMs, PlayResult } from '../../../nodes/lib/audio/playback';
import { findOnPath } from '../../../nodes/lib/child-process';
import { resolveSound, Sound } from '../../../nodes/lib/audio/sounds';
import { FakeSoundCard, isRunning, makeFakeSoundCard, realAplay } from './fake-sound-card';
import { silentMp3, wavBytes } from './sound-files';
import { DAY_MS, withWallClockStepped } from '../../support/wall-clock';

const realPath = () => path.dirname(realAplay());

describe('audio/playback: one sound at a time', function () {
    this.timeout(20000);
    let chime: Sound;
    let buzzer: Sound;
    let card: FakeSoundCard | undefined;
    let tmp: string;
    before(async () => {
        chime = await resolveSound('chime');
        buzzer = await resolveSound('buzzer');
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'audio-playback-'));
    });
    afterEach(() => card?.remove());
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    const queue = (options: Partial<PlaybackOptions>) => new PlaybackQueue({ player: 'auto', device: 'null', ...options });

    /** An aplay that says what aplay says on a machine without a sound card, and logs each run. */
    function aplayWithoutSoundCard(): { bin: string; runs: string } {
        const bin = fs.mkdtempSync(path.join(tmp, 'bin-'));
        const runs = path.join(bin, 'runs.log');
        fs.writeFileSync(path.join(bin, 'aplay'), `#!/bin/sh\necho run >> ${runs}\necho 'aplay: main:831: audio open error: No such file or directory' >&2\nexit 1\n`, { mode: 0o755 });
        return { bin, runs };
    }

    it('plays a shipped sound with the real aplay on the null device', async () => {
        const result = await queue({ searchPath: realPath() }).play(chime);
        assert.deepEqual(result, { outcome: 'played', player: 'aplay' });
    });

    it('reports a device that cannot be opened as no sound device', async () => {
        const result = await queue({ searchPath: realPath(), device: 'no-such-device' }).play(chime);
        assert.equal(result.outcome, 'no-sound-device');
        assert.equal(result.player, 'aplay');
        assert.match(result.detail ?? '', /audio open error/);
    });

    it('after finding no sound device, does not start the player again for every sound', async () => {
        // Starting a player stalls Node-RED for tens of ms at a large heap; a gate without a
        // speaker would pay that on every tap.
        const { bin, runs } = aplayWithoutSoundCard();
        const q = queue({ searchPath: bin });
        const first = await q.play(chime);
        const second = await q.play(buzzer);
        assert.equal(first.outcome, 'no-sound-device');
        assert.deepEqual(second, first);
        assert.equal(fs.readFileSync(runs, 'utf8'), 'run\n', 'the player ran once');
    });

    it('looks for a sound card again a minute later by the monotonic clock, whatever NTP does to the wall clock', async () => {
        const { bin, runs } = aplayWithoutSoundCard();
        const q = queue({ searchPath: bin });
        assert.equal((await q.play(chime)).outcome, 'no-sound-device');
        // A minute passes while the wall clock is stepped back ten days (a Pi's first NTP answer
        // after a boot can step it either way): the queue tries the player again.
        const monotonic = performance.now;
        const minuteLater = monotonic.call(performance) + 61_000;
        performance.now = () => minuteLater;
        try {
            await withWallClockStepped(-10 * DAY_MS, () => q.play(buzzer));
        } finally {
            performance.now = monotonic;
        }
        assert.equal(fs.readFileSync(runs, 'utf8'), 'run\nrun\n', 'the player ran again');
    });

    it('reports a file the player rejects as a failure, with its complaint', async () => {
        const file = path.join(tmp, 'not-pcm.wav');
        fs.writeFileSync(file, wavBytes({ format: 0x55 }));
        const result = await queue({ searchPath: realPath() }).play(await resolveSound(file));
        assert.equal(result.outcome, 'player-failed');
        assert.match(result.detail ?? '', /not PCM/);
    });

    it('resolves with no-player when none is installed, naming what it looked for', async () => {
        const empty = fs.mkdtempSync(path.join(tmp, 'bin-'));
        const q = queue({ searchPath: empty });
        assert.deepEqual(await q.play(chime), { outcome: 'no-player', detail: 'aplay or paplay' });
        assert.deepEqual(await q.play({ ...chime, type: 'mp3' }), { outcome: 'no-player', detail: 'mpg123 or paplay' });
    });

    it('plays MP3 files with mpg123', async function () {
        const mpg123 = findOnPath('mpg123');
        if (!mpg123) this.skip();
        const file = path.join(tmp, 'silence.mp3');
        fs.writeFileSync(file, silentMp3(20));
        const result = await queue({ searchPath: path.dirname(mpg123) }).play(await resolveSound(file));
        assert.deepEqual(result, { outcome: 'played', player: 'mpg123' });
    });

    it('keeps the order of requests even when a later look-up finishes first, and skips failed look-ups', async () => {
        card = makeFakeSoundCard('realtime');
        const q = queue({ searchPath: card.binDir });
        const later = new Promise<Sound>((resolve) => setTimeout(() => resolve(chime), 150));
        const results = await Promise.all([q.play(later), q.play(Promise.reject(new Error('no such sound'))), q.play(buzzer)]);
        assert.deepEqual(results.map((r) => r.outcome), ['played', 'no-sound', 'played']);
        assert.deepEqual(card.events().filter((e) => e.event === 'start').map((e) => e.file), [chime.file, buzzer.file]);
    });

    it('plays queued sounds in order, never two at once, each resolving after it has played', async () => {
        card = makeFakeSoundCard('realtime');
        const q = queue({ searchPath: card.binDir });
        const t0 = Date.now();
        const order: string[] = [];
        const done: Array<{ id: string; at: number }> = [];
        const track = (sound: Sound) => q.play(sound, () => order.push(sound.prompt)).then((r: PlayResult) => {
            done.push({ id: sound.prompt, at: Date.now() - t0 });
            return r;
        });
        const results = await Promise.all([track(chime), track(buzzer), track(chime)]);
        assert.deepEqual(results.map((r) => r.outcome), ['played', 'played', 'played']);
        assert.deepEqual(order, ['chime', 'buzzer', 'chime']);
        assert.deepEqual(done.map((d) => d.id), ['chime', 'buzzer', 'chime']);

        const events = card.events();
        assert.deepEqual(events.map((e) => e.event), ['start', 'end', 'start', 'end', 'start', 'end']);
        for (let i = 2; i < events.length; i += 2) assert.ok(events[i].t >= events[i - 1].t, 'a player started before the previous one ended');
        // Each request resolved no earlier than the real length of the sounds before it and its own.
        const lengths = [chime, buzzer, chime].map((s) => (s.duration ?? 0) * 1000);
        let total = 0;
        done.forEach((d, i) => {
            total += lengths[i];
            assert.ok(d.at >= total * 0.95, `${d.id} resolved at ${d.at} ms, before ${total} ms of sound`);
        });
        assert.deepEqual(events[0].args, ['-q', '-D', 'null', chime.file]);
    });

    it('kills a player that hangs past the sound length, even one that ignores SIGTERM', async () => {
        card = makeFakeSoundCard('hang');
        const options = { searchPath: card.binDir, graceMs: 200, killAfterMs: 300 };
        const limit = playbackLimitMs(chime, { player: 'auto', device: '', ...options });
        assert.equal(limit, Math.ceil((chime.duration ?? 0) * 1250) + 200);
        const t0 = Date.now();
        const result = await queue(options).play(chime);
        const elapsed = Date.now() - t0;
        assert.equal(result.outcome, 'timeout');
        assert.ok(elapsed >= limit + 300 && elapsed < limit + 2000, `took ${elapsed} ms for a limit of ${limit} ms`);
        const events = card.events();
        assert.deepEqual(events.map((e) => e.event), ['start', 'sigterm']);
        assert.ok(!isRunning(events[0].pid), 'the hung player is still running');
    });

    it('gives sounds of unknown length a fixed limit', () => {
        assert.equal(playbackLimitMs({ ...chime, duration: undefined }, { player: 'auto', device: '', unknownLengthMs: 5000 }), 5000);
        assert.equal(playbackLimitMs({ ...chime, duration: 2 }, { player: 'auto', device: '' }), 5500);
    });

    it('stop() kills the sound playing, drops the queue, and refuses new sounds', async () => {
        card = makeFakeSoundCard('realtime');
        const q = queue({ searchPath: card.binDir });
        const select = await resolveSound('select-a-pass');
        const pending = [q.play(select), q.play(chime), q.play(buzzer)];
        assert.equal(q.length, 3);
        const fake = card;
        await new Promise<void>((resolve) => {
            const poll = setInterval(() => {
                if (fake.events().length) {
                    clearInterval(poll);
                    resolve();
                }
            }, 20);
        });
        const t0 = Date.now();
        await q.stop();
        assert.ok(Date.now() - t0 < 1500, 'stop waited for the whole sound');
        assert.deepEqual((await Promise.all(pending)).map((r) => r.outcome), ['stopped', 'stopped', 'stopped']);
        assert.equal(q.length, 0);
        const events = card.events();
        assert.deepEqual(events.map((e) => e.event), ['start']);
        assert.ok(!isRunning(events[0].pid));
        assert.deepEqual(await q.play(chime), { outcome: 'stopped' });
    });
});

// The bounded queue, with the stand-in sound card that takes as long as each sound: whether a
// sound was dropped is checked against what the card logged, not against how fast this
// machine is.
describe('audio/playback: a bounded queue', function () {
    this.timeout(20000);
    let chime: Sound;
    let card: FakeSoundCard;
    beforeEach(async () => {
        chime = await resolveSound('chime');
        card = makeFakeSoundCard('realtime');
    });
    afterEach(() => card.remove());

    const queue = (options: Partial<PlaybackOptions>) => new PlaybackQueue({ player: 'auto', device: 'null', searchPath: card.binDir, ...options });

    interface Tracked { seq: number; asked: number; started?: number; settled?: number; result?: PlayResult }

    /** Asks for `count` chimes at once, recording when each was asked for, started and settled. */
    async function chimes(q: PlaybackQueue, count: number): Promise<Tracked[]> {
        const tracked: Tracked[] = [];
        const pending = Array.from({ length: count }, (_, seq) => {
            const t: Tracked = { seq, asked: Date.now() };
            tracked.push(t);
            return q.play(chime, () => {
                t.started = Date.now();
            }).then((result) => {
                t.settled = Date.now();
                t.result = result;
            });
        });
        await Promise.all(pending);
        return tracked;
    }

    /** Played sounds in the order asked, one at a time, each started (by the card's log) in its turn. */
    function assertPlayedInOrder(tracked: Tracked[]) {
        const played = tracked.filter((t) => t.result?.outcome === 'played');
        const events = card.events();
        assert.deepEqual(events.map((e) => e.event), played.flatMap(() => ['start', 'end']));
        for (let i = 2; i < events.length; i += 2) assert.ok(events[i].t >= events[i - 1].t, 'two sounds overlapped');
        for (let i = 1; i < played.length; i++) assert.ok(played[i].started! >= played[i - 1].settled!, 'order');
        return { played, events };
    }

    it('drops a sound that cannot start within maxWaitMs, at that time, and plays the rest in order', async () => {
        const maxWaitMs = 1500;
        // Four chimes of 1.15 s: the first starts at once; the fourth cannot start before 3.45 s.
        const tracked = await chimes(queue({ maxWaitMs }), 4);
        const { played, events } = assertPlayedInOrder(tracked);
        const late = tracked.filter((t) => t.result?.outcome === 'late');
        assert.equal(played.length + late.length, 4, JSON.stringify(tracked.map((t) => t.result)));
        assert.equal(tracked[0].result?.outcome, 'played');
        assert.equal(tracked[3].result?.outcome, 'late');
        // The dropped ones come last: once one is late, every later one is too.
        assert.deepEqual(tracked.map((t) => t.result?.outcome), [...played.map(() => 'played'), ...late.map(() => 'late')]);
        for (const t of played) assert.ok(t.started! - t.asked <= maxWaitMs, `sound ${t.seq} started ${t.started! - t.asked} ms after it was asked for`);
        const lastEnd = events[events.length - 1].t;
        for (const t of late) {
            assert.equal(t.started, undefined);
            assert.ok(t.settled! - t.asked >= maxWaitMs - 5, `sound ${t.seq} dropped after ${t.settled! - t.asked} ms`);
            // Dropped while the card was still busy, not at its turn after the sounds before it.
            assert.ok(t.settled! < lastEnd, `sound ${t.seq} was dropped only once the card was free`);
        }
    });

    it('a sound asked for with maxWaiting sounds already waiting is dropped at once', async () => {
        const q = queue({ maxWaiting: 2, maxWaitMs: 30000 });
        const first = q.play(chime);
        assert.equal(q.full, false, 'an idle queue is never full');
        const waiting = [q.play(chime), q.play(chime)];
        assert.equal(q.full, true);
        const t0 = Date.now();
        const dropped = await Promise.all([q.play(chime), q.play(chime)]);
        assert.deepEqual(dropped, [{ outcome: 'queue-full' }, { outcome: 'queue-full' }]);
        assert.equal(card.events().filter((e) => e.event === 'end').length, 0, 'dropped only after a sound ended');
        assert.ok(Date.now() - t0 < 1000);
        assert.deepEqual((await Promise.all([first, ...waiting])).map((r) => r.outcome), ['played', 'played', 'played']);
        assert.equal(card.events().length, 6);
        assert.equal(q.full, false);
    });

    it('maxWaiting 0 plays a sound only when none is playing', async () => {
        const q = queue({ maxWaiting: 0 });
        const results = await Promise.all([q.play(chime), q.play(chime)]);
        assert.deepEqual(results.map((r) => r.outcome), ['played', 'queue-full']);
        assert.equal((await q.play(chime)).outcome, 'played', 'an idle queue takes a sound');
    });

    it('a look-up that takes longer than maxWaitMs makes its sound late, and the next one plays', async () => {
        const q = queue({ maxWaitMs: 200 });
        const slow = new Promise<Sound>((resolve) => setTimeout(() => resolve(chime), 400));
        const results = await Promise.all([q.play(slow), q.play(chime)]);
        assert.deepEqual(results.map((r) => r.outcome), ['late', 'late']);
        assert.deepEqual(card.events(), []);
        assert.equal((await q.play(chime)).outcome, 'played');
    });

    it('stop() ends waiting sounds as stopped before their deadline, and no timer fires after', async () => {
        const q = queue({ maxWaitMs: 300, maxWaiting: 5 });
        const pending = [q.play(chime), q.play(chime)];
        await q.stop();
        assert.deepEqual((await Promise.all(pending)).map((r) => r.outcome), ['stopped', 'stopped']);
        await new Promise((resolve) => setTimeout(resolve, 400));
        assert.equal(q.length, 0);
    });
});
