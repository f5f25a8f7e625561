import assert from 'assert';
import { fork } from 'child_process';
import { once } from 'events';
import { appendFile, copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'fs/promises';
import os from 'os';
import path from 'path';
import { journalFile, TapJournal } from '../../../nodes/lib/transit/journal';
import type { JournalEntry } from '../../../nodes/lib/transit/offline';
import type { ChildReport } from './journal-child';

function entry(tapId: string, overrides: Partial<JournalEntry> = {}): JournalEntry {
    const now = Date.now();
    return { tapId, card: '04A1B2C3', gate: 'gate-1', at: now, floor: now - 5000, wall: now + 7, policy: 'known-passes', granted: true, ...overrides };
}

async function lines(file: string): Promise<string[]> {
    const text = await readFile(file, 'utf8');
    assert.ok(text === '' || text.endsWith('\n'), 'the journal ends with a whole line');
    return text.split('\n').slice(0, -1);
}

const seqs = (j: TapJournal) => j.pending().map((t) => t.seq);

describe('the offline tap journal (journal.ts)', function () {
    let dir: string;
    let file: string;
    const open: TapJournal[] = [];
    async function openJournal(): Promise<TapJournal> {
        const j = await TapJournal.open(file);
        open.push(j);
        return j;
    }

    beforeEach(async function () {
        dir = await mkdtemp(path.join(os.tmpdir(), 'journal-test-'));
        file = journalFile(path.join(dir, 'user dir'), 'gate:north-1');
    });
    afterEach(async function () {
        await Promise.all(open.splice(0).map((j) => j.close()));
        await rm(dir, { recursive: true, force: true });
    });

    it('names one file per gate under the user directory, with no ":" in the name', function () {
        assert.strictEqual(journalFile('/data', 'gate:north-1'), path.join('/data', 'redis-iot-journal', 'gate%3Anorth-1.jsonl'));
        assert.strictEqual(journalFile('/data', 'g.1_A-b'), path.join('/data', 'redis-iot-journal', 'g.1_A-b.jsonl'));
        assert.throws(() => journalFile('/data', '../etc/passwd'));
        assert.throws(() => journalFile('/data', ''));
    });

    it('keeps a time pass grant\'s type and validity across a reopen, and refuses a validity that is not a time', async function () {
        let j = await openJournal();
        const timed = entry('t1', { passType: 'TWO_HOUR', validUntil: Date.now() + 60000 });
        await j.append(timed);
        await assert.rejects(j.append({ ...entry('t2'), validUntil: 'soon' } as unknown as JournalEntry), TypeError);
        await j.close();
        j = await openJournal();
        assert.deepStrictEqual(j.pending(), [{ ...timed, seq: 1 }]);
        await j.close();
    });

    it('journals taps in seq order, keeps them pending until marked replayed, and resumes after a reopen', async function () {
        let j = await openJournal();
        assert.deepStrictEqual([j.pendingCount, j.lastEntry, j.repaired], [0, undefined, 0]);
        const first = entry('t1', { reason: 'offline', policy: 'open', granted: false });
        const tap = await j.append({ ...first, extra: 'dropped' } as JournalEntry);
        assert.deepStrictEqual(tap, { ...first, seq: 1 });
        await j.append(entry('t2'));
        await j.append(entry('t3'));
        assert.deepStrictEqual(seqs(j), [1, 2, 3]);
        const before = j.pending();
        await j.markReplayed(2);
        assert.deepStrictEqual(seqs(j), [3]);
        assert.strictEqual(before.length, 3, 'a pending() list already handed out does not change');
        assert.strictEqual((await lines(file)).length, 4);
        await j.markReplayed(0);
        await j.markReplayed(2);
        assert.strictEqual((await lines(file)).length, 4, 'no marker for taps already marked');
        await assert.rejects(j.markReplayed(-1), RangeError);
        await j.close();
        await assert.rejects(j.append(entry('late')), /closed/);

        j = await openJournal();
        assert.deepStrictEqual([seqs(j), j.lastEntry?.tapId, j.repaired], [[3], 't3', 0]);
        const { at, floor, wall, ...rest } = j.pending()[0];
        assert.deepStrictEqual(rest, { tapId: 't3', card: '04A1B2C3', gate: 'gate-1', policy: 'known-passes', granted: true, seq: 3 });
        assert.deepStrictEqual([floor - at, wall - at], [-5000, 7]);
        // A bad entry or marker is refused without taking a seq.
        await assert.rejects(j.append(entry('t?', { at: NaN })), TypeError);
        await assert.rejects(j.append(entry('')), TypeError);
        await assert.rejects(j.markReplayed(4), RangeError);
        assert.strictEqual((await j.append(entry('t4'))).seq, 4);
    });

    it('compacts the file once nothing is pending, keeping the seq count and the newest tap', async function () {
        let j = await openJournal();
        for (let i = 1; i <= 20; i++) await j.append(entry(`t${i}`));
        await j.markReplayed(10);
        assert.strictEqual((await lines(file)).length, 21);
        await j.markReplayed(20);
        assert.deepStrictEqual([j.pendingCount, j.lastEntry?.seq, j.lastEntry?.tapId], [0, 20, 't20']);
        assert.strictEqual((await lines(file)).length, 2, 'the newest tap and its marker');
        assert.strictEqual((await j.append(entry('t21'))).seq, 21, 'appends go to the compacted file');
        await j.close();

        j = await openJournal();
        assert.deepStrictEqual([seqs(j), j.lastEntry?.tapId, j.repaired], [[21], 't21', 0]);
        await j.markReplayed(21);
        await j.close();
        j = await openJournal();
        const wall = j.lastEntry?.wall ?? 0;
        assert.deepStrictEqual([j.pendingCount, j.lastEntry?.seq], [0, 21]);
        assert.ok(Math.abs(wall - Date.now()) < 60_000, 'the newest tap keeps its wall clock across compaction and reopen');
        assert.strictEqual((await j.append(entry('t22'))).seq, 22);
        await assert.rejects(stat(`${file}.tmp`), { code: 'ENOENT' });
    });

    it('syncs before it answers: one fdatasync per append in turn, and one per batch for appends that arrive together', async function () {
        const j = await openJournal();
        for (let i = 1; i <= 5; i++) {
            await j.append(entry(`s${i}`));
            assert.strictEqual((await lines(file)).length, i, 'the line is in the file when the append resolves');
        }
        assert.strictEqual(j.syncs, 5);
        const taps = await Promise.all(Array.from({ length: 200 }, (_, i) => j.append(entry(`c${i}`))));
        assert.deepStrictEqual(taps.map((t) => t.seq), Array.from({ length: 200 }, (_, i) => i + 6));
        const onDisk = (await lines(file)).slice(5).map((l) => JSON.parse(l) as { seq: number; tapId: string });
        assert.deepStrictEqual(onDisk.map((t) => [t.seq, t.tapId]), taps.map((t) => [t.seq, t.tapId]), 'call order on disk');
        assert.ok(j.syncs - 5 < 10, `200 appends at once took ${j.syncs - 5} fdatasyncs`);
        // A marker queued among appends keeps its place: taps after it stay pending.
        const mixed = [j.append(entry('m1')), j.markReplayed(205), j.append(entry('m2'))];
        await Promise.all(mixed);
        assert.deepStrictEqual(seqs(j), [206, 207]);
    });

    describe('a torn or corrupt tail (power cut, SIGKILL mid-write)', function () {
        // `next` is the line the journal would write for the next tap (seq 4), without its '\n'.
        const tails: [string, (next: string) => string, number][] = [
            ['a partial line', (next) => next.slice(0, 40), 1],
            ['a whole line without its newline', (next) => next, 1],
            ['NUL bytes (blocks allocated, never written)', () => '\0'.repeat(600), 1],
            ['NUL bytes with a newline among them', () => '\0'.repeat(100) + '\n' + '\0'.repeat(50), 2],
            ['valid JSON missing fields', () => '{"seq":4,"tapId":"x"}\n', 1],
            ['a whole tap without a checksum', () => JSON.stringify({ ...entry('forged'), seq: 4 }) + '\n', 1],
            ['a line whose checksum does not match', (next) => next.replace('"card":"04A1', '"card":"14A1') + '\n', 1],
            ['garbage, then a partial line', (next) => 'xq#\u00ff\u00fe{{\n' + next.slice(0, 60), 2],
        ];
        for (const [name, tail, bad] of tails) {
            it(`cuts ${name}, keeps every good entry and appends cleanly after`, async function () {
                let j = await openJournal();
                for (const id of ['a', 'b', 'c']) await j.append(entry(id));
                await j.markReplayed(1);
                await j.close();
                const good = await readFile(file, 'utf8');
                await copyFile(file, `${file}.ahead`);
                const ahead = await TapJournal.open(`${file}.ahead`);
                await ahead.append(entry('d'));
                await ahead.close();
                const next = (await lines(ahead.file))[4];
                assert.match(next, /^\{"seq":4,/);
                await appendFile(file, tail(next));

                j = await openJournal();
                assert.deepStrictEqual([seqs(j), j.pending().map((t) => t.tapId), j.repaired], [[2, 3], ['b', 'c'], bad]);
                assert.strictEqual(await readFile(file, 'utf8'), good, 'the tail is cut back to the last good line');
                assert.strictEqual((await j.append(entry('d'))).seq, 4);
                await j.close();
                j = await openJournal();
                assert.deepStrictEqual([seqs(j), j.repaired], [[2, 3, 4], 0]);
                assert.strictEqual((await lines(file)).length, 5);
            });
        }
    });

    it('skips a corrupt line in the middle without dropping the good entries after it, until compaction', async function () {
        let j = await openJournal();
        for (let i = 1; i <= 4; i++) await j.append(entry(`t${i}`));
        await j.close();
        const good = await lines(file);
        // Line 2 damaged in place, and a stray copy of line 1 (an old seq) after line 3.
        const damaged = [good[0], good[1].replace('"tapId":"t2"', '"tapId":"t9"'), good[2], good[0], good[3]];
        await writeFile(file, damaged.join('\n') + '\n');

        j = await openJournal();
        assert.deepStrictEqual([seqs(j), j.repaired, j.lastEntry?.tapId], [[1, 3, 4], 2, 't4']);
        assert.strictEqual((await lines(file)).length, 5, 'lines in the middle are left where they are');
        assert.strictEqual((await j.append(entry('t5'))).seq, 5);
        await j.markReplayed(5);
        await j.close();
        j = await openJournal();
        assert.deepStrictEqual([j.pendingCount, j.repaired, j.lastEntry?.seq], [0, 0, 5]);
    });

    it('loses at most the taps being written when the process is SIGKILLed, five times over the same file', async function () {
        this.timeout(60_000);
        const child = path.join(__dirname, 'journal-child.js');
        const acked = new Map<number, string>();
        let expectedRepaired = 0, lastSeq = 0, replayedUpTo = 0;
        for (let round = 1; round <= 5; round++) {
            const inFlight = round % 2 === 1 ? 1 : 8; // one at a time, then several sharing each fdatasync
            const proc = fork(child, [file, String(inFlight), String(round)], { execPath: process.execPath, execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
            const closed = once(proc, 'close');
            let roundAcks = 0;
            const ready = new Promise<NonNullable<ChildReport['ready']>>((resolve, reject) => {
                proc.on('message', (msg: ChildReport) => {
                    if (msg.ready) resolve(msg.ready);
                    if (msg.acked) { acked.set(msg.acked.seq, msg.acked.tapId); roundAcks++; }
                });
                proc.once('exit', (code) => reject(new Error(`the child exited (${code}) before it was ready`)));
            });
            const state = await ready;
            assert.deepStrictEqual(state, { repaired: expectedRepaired, lastSeq }, `round ${round}: the child resumes the journal`);
            await new Promise((resolve) => setTimeout(resolve, 300));
            proc.kill('SIGKILL');
            await closed; // after the IPC channel is drained: every acknowledgement has arrived
            assert.ok(roundAcks > 0, `round ${round}: the child appended nothing`);

            // Checked on a copy: the next child opens the file exactly as the kill left it.
            const copy = `${file}.check`;
            await copyFile(file, copy);
            const j = await TapJournal.open(copy);
            const pending = j.pending();
            await j.close();
            assert.ok(j.repaired <= 1, `round ${round}: ${j.repaired} bad lines`);
            assert.deepStrictEqual(pending.map((t) => t.seq), Array.from({ length: pending.length }, (_, i) => replayedUpTo + i + 1), 'no seq is missing');
            for (const tap of pending) {
                assert.deepStrictEqual([tap.card, tap.gate, tap.policy, tap.granted, tap.floor], ['C0FFEE01', 'kill-gate', 'open', true, tap.at - 1000]);
                if (acked.has(tap.seq)) assert.strictEqual(tap.tapId, acked.get(tap.seq));
            }
            lastSeq = j.lastEntry?.seq ?? 0;
            const maxAcked = Math.max(...acked.keys());
            for (let seq = replayedUpTo + 1; seq <= maxAcked; seq++) assert.ok(pending[seq - replayedUpTo - 1]?.seq === seq, `acknowledged tap ${seq} is lost`);
            const unacked = pending.filter((t) => t.seq > state.lastSeq && !acked.has(t.seq)).length;
            assert.ok(unacked <= inFlight, `round ${round}: ${unacked} taps journaled beyond the acknowledged ones (${inFlight} in flight)`);
            expectedRepaired = j.repaired;

            if (round === 3) {
                // Redis is back between two kills: everything is replayed and the file compacted.
                const live = await TapJournal.open(file);
                await live.markReplayed(lastSeq);
                await live.close();
                replayedUpTo = lastSeq;
                expectedRepaired = 0;
            }
        }
    });
});
