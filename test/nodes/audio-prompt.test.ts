// The audio-prompt node with real players: the real aplay on ALSA's null device, and a
// stand-in sound card that takes as long as the sound (see test/lib/audio/fake-sound-card.ts)
// wherever timing matters. PATH is pointed at the players each test should find.
import assert from 'assert/strict';
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import type { Node } from 'node-red';
import { shorten } from '../../nodes/common/status';
import { PROMPT_TEXT } from '../../nodes/lib/audio/prompts';
import { SOUNDS_DIR } from '../../nodes/lib/audio/sounds';
import { parseWav } from '../../nodes/lib/audio/wav';
import { FakeSoundCard, isRunning, makeFakeSoundCard, realAplay } from '../lib/audio/fake-sound-card';
import { catchNode, collect, FlowNode, helper, load, loggedBy, statusOf, waitFor } from '../support/flow';

const audioModule = require('../../nodes/audio-prompt/audio-prompt');

type Status = { fill?: string; shape?: string; text?: string };

const seconds = (id: string) => parseWav(fs.readFileSync(path.join(SOUNDS_DIR, `${id}.wav`))).duration;

function flow(props: Record<string, unknown> = {}): FlowNode[] {
    return [
        { id: 'tab', type: 'tab' },
        { id: 'audio', type: 'audio-prompt', z: 'tab', name: '', prompt: '', player: 'auto', device: 'null', wires: [['out']], ...props },
        { id: 'out', type: 'helper', z: 'tab' },
        { id: 'catcher', type: 'catch', z: 'tab', scope: ['audio'], wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'tab' },
    ];
}

async function loaded(props: Record<string, unknown> = {}) {
    await load([audioModule, catchNode], flow(props));
    const node = helper.getNode('audio') as Node;
    return { node, out: collect('out'), caught: collect('caught'), send: (msg: Record<string, unknown>) => node.receive(msg as never) };
}

/** Every status the node has set, oldest first. */
function statusHistory(id: string): Status[] {
    const node = helper.getNode(id) as Node;
    const spy = node.status as unknown as { getCalls(): Array<{ thisValue: unknown; args: unknown[] }> };
    return spy.getCalls().filter((c) => c.thisValue === node).map((c) => c.args[0] as Status);
}

describe('audio-prompt node', function () {
    this.timeout(20000);
    const originalPath = process.env.PATH;
    let card: FakeSoundCard | undefined;
    let emptyBin: string;
    const usePlayersIn = (dir: string) => {
        process.env.PATH = dir;
    };
    before(() => {
        realAplay(); // fail early, with the install hint, where alsa-utils is missing
        emptyBin = fs.mkdtempSync(path.join(os.tmpdir(), 'no-players-'));
    });
    afterEach(async () => {
        await helper.unload();
        process.env.PATH = originalPath;
        card?.remove();
        card = undefined;
    });
    after(() => fs.rmSync(emptyBin, { recursive: true, force: true }));

    it('plays msg.payload with the real aplay and passes the message on with msg.audio', async () => {
        const { out, send } = await loaded();
        send({ payload: 'chime', topic: 'gate-1', _keep: 1 });
        await waitFor(() => out.length === 1, 5000, 'the message');
        assert.deepEqual(out[0].audio, { prompt: 'chime', file: path.join(SOUNDS_DIR, 'chime.wav'), played: true });
        assert.equal(out[0].payload, 'chime');
        assert.equal(out[0].topic, 'gate-1');
        assert.deepEqual(statusOf('audio'), {});
    });

    it('plays the configured prompt whatever msg.payload holds', async () => {
        const { out, send } = await loaded({ prompt: 'access-denied' });
        send({ payload: { card: '04A1B2C3', reason: 'no-pass' } });
        await waitFor(() => out.length === 1, 5000, 'the message');
        assert.deepEqual(out[0].audio, { prompt: 'access-denied', file: path.join(SOUNDS_DIR, 'access-denied.wav'), played: true });
        assert.deepEqual(out[0].payload, { card: '04A1B2C3', reason: 'no-pass' });
    });

    it('speaks words that have no recording with espeak-ng, and plays the recording when the words are its own', async () => {
        // How long espeak-ng takes on a busy machine is not under test here: nothing may be dropped.
        const { out, send } = await loaded({ maxWait: 60 });
        send({ payload: 'thank-you-day-pass', text: 'Thank you for buying a day pass.' });
        send({ payload: 'select-a-pass', text: PROMPT_TEXT['select-a-pass'] });
        send({ payload: 'select-a-pass', text: 'Please select a pass: day or five trip.' });
        await waitFor(() => out.length === 3, 15000, 'the three prompts');
        const [day, recorded, catalogue] = out.map((m) => m.audio as { prompt: string; file: string; played: boolean; spoken?: boolean });
        assert.deepEqual([day.prompt, day.played, day.spoken], ['thank-you-day-pass', true, true]);
        assert.notEqual(path.dirname(day.file), SOUNDS_DIR);
        assert.ok(parseWav(fs.readFileSync(day.file)).duration > 1, 'the words were synthesised');
        assert.deepEqual(recorded, { prompt: 'select-a-pass', file: path.join(SOUNDS_DIR, 'select-a-pass.wav'), played: true });
        assert.deepEqual([catalogue.prompt, catalogue.spoken], ['select-a-pass', true]);
        assert.deepEqual(statusOf('audio'), {});
    });

    it('without espeak-ng: words without a recording pass on as text only, in their turn, with a grey status', async () => {
        const aplayOnly = fs.mkdtempSync(path.join(os.tmpdir(), 'aplay-only-'));
        fs.symlinkSync(realAplay(), path.join(aplayOnly, 'aplay'));
        try {
            usePlayersIn(aplayOnly);
            const { out, caught, send } = await loaded();
            send({ payload: 'chime' });
            send({ payload: 'thank-you-day-pass', text: 'Thank you for buying a day pass.' });
            await waitFor(() => out.length === 2, 5000, 'both messages');
            assert.deepEqual(out.map((m) => (m.audio as { prompt: string }).prompt), ['chime', 'thank-you-day-pass'], 'in order');
            assert.deepEqual(out[1].audio, { prompt: 'thank-you-day-pass', played: false, spoken: false });
            assert.equal(out[1].text, 'Thank you for buying a day pass.');
            assert.deepEqual(statusOf('audio'), { fill: 'grey', shape: 'ring', text: 'audio-prompt.status.no-speech' });
            assert.deepEqual(caught, []);
        } finally {
            fs.rmSync(aplayOnly, { recursive: true, force: true });
        }
    });

    it('sends each message only when its sound has ended, in order, one sound at a time', async () => {
        card = makeFakeSoundCard('realtime');
        usePlayersIn(card.binDir);
        // Over 2.6 s of sound before the last one starts: more than the default maxWait (see below).
        const { out, send } = await loaded({ maxWait: 60 });
        const arrived: number[] = [];
        (helper.getNode('out') as Node).on('input', () => arrived.push(Date.now() - t0));
        const ids = ['tap-card-to-confirm', 'chime', 'buzzer'];
        const t0 = Date.now();
        ids.forEach((id, i) => send({ payload: id, seq: i }));
        await waitFor(() => statusHistory('audio').some((s) => s.fill === 'blue'), 2000, 'the playing status');
        assert.deepEqual(statusOf('audio'), { fill: 'blue', shape: 'dot', text: 'audio-prompt.status.playing' });
        await waitFor(() => out.length === 3, 15000, 'three messages');

        assert.deepEqual(out.map((m) => m.seq), [0, 1, 2]);
        assert.ok(out.every((m) => (m.audio as { played: boolean }).played));
        let total = 0;
        ids.forEach((id, i) => {
            total += seconds(id) * 1000;
            assert.ok(arrived[i] >= total * 0.95, `${id} was sent at ${arrived[i]} ms, before ${Math.round(total)} ms of sound`);
        });
        const events = card.events();
        assert.deepEqual(events.map((e) => e.event), ['start', 'end', 'start', 'end', 'start', 'end']);
        assert.deepEqual(events.filter((e) => e.event === 'start').map((e) => path.basename(e.file ?? '')), ids.map((id) => `${id}.wav`));
        for (let i = 2; i < events.length; i += 2) assert.ok(events[i].t >= events[i - 1].t, 'two sounds overlapped');
        assert.deepEqual(statusOf('audio'), {});
    });

    it('bad input is an error a Catch node sees, and nothing is played or sent', async () => {
        card = makeFakeSoundCard('realtime');
        usePlayersIn(card.binDir);
        const { out, caught, send } = await loaded();
        const bad: Array<[unknown, string, string?]> = [
            [42, 'not-a-string'], [undefined, 'not-a-string'], [{ id: 'chime' }, 'not-a-string'],
            ['no-such-prompt', 'unknown-prompt'], ['sounds/chime.wav', 'not-absolute'],
            [`${SOUNDS_DIR}/../sounds/chime.wav`, 'not-absolute'], ['/etc/passwd', 'bad-extension'],
            [path.join(emptyBin, 'missing.wav'), 'not-found'], ['thank-you-day-pass', 'text-too-long', 'x'.repeat(401)],
        ];
        bad.forEach(([payload, , text], i) => send({ payload, seq: i, text }));
        await waitFor(() => caught.length === bad.length, 5000, 'every error');
        const bySeq = new Map(caught.map((m) => [m.seq, (m.error as { message: string }).message]));
        bad.forEach(([, code], i) => assert.equal(bySeq.get(i), `InputError: audio-prompt.errors.${code}`, `input ${i}`));
        assert.equal(statusOf('audio').fill, 'red');
        await new Promise((r) => setTimeout(r, 100));
        assert.equal(out.length, 0);
        assert.deepEqual(card.events(), []);
    });

    it('without any player: grey status at deploy, and messages pass on at once with played false', async () => {
        usePlayersIn(emptyBin);
        const { out, send } = await loaded();
        assert.deepEqual(statusOf('audio'), { fill: 'grey', shape: 'ring', text: 'audio-prompt.status.no-player' });
        const t0 = Date.now();
        send({ payload: 'select-a-pass' });
        send({ payload: 'chime' });
        await waitFor(() => out.length === 2, 2000, 'both messages');
        assert.ok(Date.now() - t0 < 1000, 'the messages waited for sound that never played');
        assert.deepEqual(out.map((m) => m.audio), [
            { prompt: 'select-a-pass', file: path.join(SOUNDS_DIR, 'select-a-pass.wav'), played: false },
            { prompt: 'chime', file: path.join(SOUNDS_DIR, 'chime.wav'), played: false },
        ]);
        assert.deepEqual(statusOf('audio'), { fill: 'grey', shape: 'ring', text: 'audio-prompt.status.no-player' });
    });

    it('without a player, messages leave in the order they came even when the first one\'s sound takes longer to find', async function () {
        // espeak-ng alone on PATH: the first message's words are synthesised (tens of ms), the
        // second's chime is read at once, and neither is played.
        const espeak = execFileSync('sh', ['-c', 'command -v espeak-ng || true']).toString().trim();
        if (!espeak) this.skip();
        const onlySpeech = fs.mkdtempSync(path.join(os.tmpdir(), 'speech-only-'));
        try {
            fs.symlinkSync(espeak, path.join(onlySpeech, 'espeak-ng'));
            usePlayersIn(onlySpeech);
            const { out, send } = await loaded();
            send({ payload: 'order-test', text: `Message ${Date.now()} goes first.` });
            send({ payload: 'chime' });
            await waitFor(() => out.length === 2, 10000, 'both messages');
            assert.deepEqual(out.map((m) => (m.audio as { prompt: string }).prompt), ['order-test', 'chime']);
        } finally {
            fs.rmSync(onlySpeech, { recursive: true, force: true });
        }
    });

    it('a chosen player that is not installed counts as no player', async function () {
        const aplayDir = path.dirname(realAplay());
        if (fs.existsSync(path.join(aplayDir, 'paplay'))) this.skip(); // PulseAudio's paplay is installed here
        usePlayersIn(aplayDir);
        const { out, send } = await loaded({ player: 'paplay' });
        send({ payload: 'chime' });
        await waitFor(() => out.length === 1, 2000, 'the message');
        assert.equal((out[0].audio as { played: boolean }).played, false);
        assert.deepEqual(statusOf('audio'), { fill: 'grey', shape: 'ring', text: 'audio-prompt.status.no-player' });
    });

    it('without a usable sound device: grey status, and messages pass on with played false', async () => {
        const { out, send } = await loaded({ device: 'no-such-device' });
        send({ payload: 'buzzer' });
        await waitFor(() => out.length === 1, 3000, 'the message');
        assert.equal((out[0].audio as { played: boolean }).played, false);
        assert.deepEqual(statusOf('audio'), { fill: 'grey', shape: 'ring', text: shorten('audio-prompt.status.no-sound-device') });
    });

    it('says at deploy when ALSA has no sound card for the default device', async function () {
        const cards = fs.existsSync('/proc/asound/cards') ? fs.readFileSync('/proc/asound/cards', 'utf8') : '';
        if (/^\s*\d+ \[/m.test(cards)) this.skip(); // this machine has a sound card
        usePlayersIn(path.dirname(realAplay()));
        await loaded({ device: '' });
        await waitFor(() => statusOf('audio').fill === 'grey', 3000, 'the no sound card status');
        assert.deepEqual(statusOf('audio'), { fill: 'grey', shape: 'ring', text: shorten('audio-prompt.status.no-sound-device') });
    });

    it('kills a hung player after the sound length plus grace, and passes the message on', async () => {
        card = makeFakeSoundCard('hang');
        usePlayersIn(card.binDir);
        const { out, send } = await loaded();
        const t0 = Date.now();
        send({ payload: 'chime' });
        await waitFor(() => out.length === 1, 10000, 'the message');
        const elapsed = Date.now() - t0;
        assert.ok(elapsed >= seconds('chime') * 1250 + 3000, `gave up after ${elapsed} ms`);
        assert.equal((out[0].audio as { played: boolean }).played, false);
        assert.deepEqual(statusOf('audio'), { fill: 'red', shape: 'ring', text: 'audio-prompt.status.timeout' });
        const [start] = card.events();
        assert.ok(!isRunning(start.pid), 'the hung player is still running');
    });

    it('closing stops the sound at once and drops the queue without sending', async () => {
        card = makeFakeSoundCard('realtime');
        usePlayersIn(card.binDir);
        const { out, send } = await loaded();
        send({ payload: 'select-a-pass' });
        send({ payload: 'chime' });
        const fake = card;
        await waitFor(() => fake.events().length === 1, 2000, 'the first sound');
        const t0 = Date.now();
        await helper.unload();
        assert.ok(Date.now() - t0 < 1500, 'closing waited for the sound to end');
        const events = card.events();
        assert.deepEqual(events.map((e) => e.event), ['start']);
        assert.ok(!isRunning(events[0].pid), 'the player outlived the node');
        await new Promise((r) => setTimeout(r, 200));
        assert.equal(out.length, 0);
    });

    describe('a bounded queue (maxWait, maxQueue)', function () {
        const chimeFile = path.join(SOUNDS_DIR, 'chime.wav');
        const dropWarnings = () => loggedBy('audio', 30).filter((e) => e.msg === 'audio-prompt.log.dropped');

        it('drops a prompt that cannot start within maxWait: sent on at once with dropped late, a yellow status, one warning at once and one later', async () => {
            card = makeFakeSoundCard('realtime');
            usePlayersIn(card.binDir);
            const fake = card;
            const { out, caught, send } = await loaded({ maxWait: 0.5 });
            const arrived = new Map<unknown, number>();
            (helper.getNode('out') as Node).on('input', (msg: Record<string, unknown>) => arrived.set(msg.seq, Date.now()));
            [0, 1, 2, 3].forEach((seq) => send({ payload: 'chime', seq }));
            await waitFor(() => out.length === 4, 10000, () => `four messages (${out.length})`);

            // The first chime (1.15 s) still plays when the others' half second is up.
            assert.deepEqual(out.map((m) => m.seq), [1, 2, 3, 0]);
            assert.deepEqual(out[3].audio, { prompt: 'chime', file: chimeFile, played: true });
            for (const m of out.slice(0, 3)) assert.deepEqual(m.audio, { prompt: 'chime', file: chimeFile, played: false, dropped: 'late' });
            const events = fake.events();
            assert.deepEqual(events.map((e) => e.event), ['start', 'end']);
            for (const seq of [1, 2, 3]) assert.ok((arrived.get(seq) ?? Infinity) < events[1].t, `message ${seq} waited for the sound before it`);
            assert.deepEqual(caught, []);

            assert.ok(statusHistory('audio').some((st) => st.fill === 'yellow' && st.text === 'audio-prompt.status.dropped-late'));
            // Once the rush is over, the drops stay on show.
            assert.deepEqual(statusOf('audio'), { fill: 'yellow', shape: 'ring', text: 'audio-prompt.status.dropped-late' });
            // One warning for the first drop; the two dropped with it are counted in the next, seconds later.
            assert.equal(dropWarnings().length, 1);
            await waitFor(() => dropWarnings().length === 2, 8000, 'the warning with the rest of the drops');
            assert.equal(dropWarnings()[1].level, 30);

            // The next message finds the node idle: it plays, and the status is clear again.
            send({ payload: 'chime', seq: 4 });
            await waitFor(() => out.length === 5, 5000, 'the fifth message');
            assert.deepEqual(out[4].audio, { prompt: 'chime', file: chimeFile, played: true });
            assert.deepEqual(statusOf('audio'), {});
            assert.equal(dropWarnings().length, 2);
        });

        it('drops a prompt arriving with maxQueue already waiting, at once, without synthesising it; bad input is still an error', async () => {
            card = makeFakeSoundCard('realtime');
            usePlayersIn(card.binDir);
            const fake = card;
            const { out, caught, send } = await loaded({ maxQueue: 1, maxWait: 60 });
            send({ payload: 'chime', seq: 0 });
            send({ payload: 'buzzer', seq: 1 });
            send({ payload: 'chime', seq: 2 });
            send({ payload: 'thank-you-day-pass', text: 'Thank you for buying a day pass.', seq: 3 });
            send({ payload: 42, seq: 4 });
            await waitFor(() => out.length === 4 && caught.length === 1, 10000, () => `four messages and an error (${out.length}, ${caught.length})`);

            // The two dropped go on at once, ahead of the two that play, which keep their order.
            assert.deepEqual(out.slice(0, 2).map((m) => m.seq).sort(), [2, 3]);
            assert.deepEqual(out.slice(2).map((m) => m.seq), [0, 1]);
            const bySeq = new Map(out.map((m) => [m.seq, m.audio]));
            assert.deepEqual(bySeq.get(2), { prompt: 'chime', file: chimeFile, played: false, dropped: 'queue-full' });
            assert.deepEqual(bySeq.get(3), { prompt: 'thank-you-day-pass', spoken: false, played: false, dropped: 'queue-full' });
            assert.deepEqual([bySeq.get(0), bySeq.get(1)].map((a) => (a as { played: boolean }).played), [true, true]);
            assert.equal(caught[0].seq, 4);
            assert.equal((caught[0].error as { message: string }).message, 'InputError: audio-prompt.errors.not-a-string');

            const events = fake.events();
            assert.deepEqual(events.map((e) => e.event), ['start', 'end', 'start', 'end']);
            assert.deepEqual(events.filter((e) => e.event === 'start').map((e) => path.basename(e.file ?? '')), ['chime.wav', 'buzzer.wav']);
            assert.ok(events[2].t >= events[1].t, 'two sounds overlapped');
            // The status text is cut to what the editor shows (and the helper does not translate).
            const full = shorten('audio-prompt.status.dropped-queue-full');
            assert.ok(statusHistory('audio').some((st) => st.text === full));
            assert.deepEqual(statusOf('audio'), { fill: 'yellow', shape: 'ring', text: full });
            assert.equal(dropWarnings().length, 1);
        });

        it('counts both kinds of drop in the status', async () => {
            card = makeFakeSoundCard('realtime');
            usePlayersIn(card.binDir);
            const { out, send } = await loaded({ maxQueue: 1, maxWait: 0.5 });
            [0, 1, 2].forEach((seq) => send({ payload: 'chime', seq }));
            await waitFor(() => out.length === 3, 10000, 'three messages');
            assert.deepEqual(out.map((m) => [m.seq, (m.audio as { dropped?: string }).dropped]), [[2, 'queue-full'], [1, 'late'], [0, undefined]]);
            assert.deepEqual(statusOf('audio'), { fill: 'yellow', shape: 'ring', text: 'audio-prompt.status.dropped-both' });
        });

        for (const [field, value] of [['maxWait', 0], ['maxWait', 'soon'], ['maxQueue', -1], ['maxQueue', 2.5]] as const) {
            it(`a bad ${field} (${value}) turns the status red and fails every message`, async () => {
                card = makeFakeSoundCard('realtime');
                usePlayersIn(card.binDir);
                const { out, caught, send } = await loaded({ [field]: value });
                assert.equal(statusOf('audio').fill, 'red');
                send({ payload: 'chime' });
                await waitFor(() => caught.length === 1, 2000, 'the error');
                assert.equal((caught[0].error as { message: string }).message, 'InputError: audio-prompt.errors.bad-setting');
                assert.equal(out.length, 0);
                assert.deepEqual(card.events(), []);
            });
        }
    });
});
