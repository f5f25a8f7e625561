// The entry gate flow's light sequencer (a function node in examples/Transit ticketing 2 - entry gate.json),
// run as Node-RED runs it, with timers on a virtual clock: green for 5 s after a grant, red
// flashing after a denial, then the resting light, red while Redis is there and yellow
// while it is away. Its wall clock can jump (a Pi's does when NTP first answers): the
// lights must not care.
import assert from 'assert';
import path from 'path';
import vm from 'vm';
import { examplesDir, readFlowFile } from '../../scripts/demo/flows';
import { REPO_ROOT } from '../../scripts/demo/paths';
import { DAY_MS } from '../support/wall-clock';

type Lights = { red: number; yellow: number; green: number };
const RED = { red: 1, yellow: 0, green: 0 };
const YELLOW = { red: 0, yellow: 1, green: 0 };

/** The sequencer with its own context, a virtual clock for its timers and a wall clock the test can step. */
function sequencer() {
    const node = readFlowFile(path.join(examplesDir(REPO_ROOT), 'Transit ticketing 2 - entry gate.json')).find((n) => n.name === 'light sequencer');
    assert.ok(node, 'the gate flow has its light sequencer');
    let now = 0;
    let wallStep = 0;
    let timers: Array<{ at: number; run: () => void; id: number }> = [];
    let nextId = 1;
    const shown: Array<{ at: number; lights: Lights }> = [];
    const store = new Map<string, unknown>();
    const RealDate = Date;
    // The wall clock runs with the virtual time, plus any step.
    const wallNow = () => RealDate.now() + now + wallStep;
    const SteppedDate = Object.assign(function () { return new RealDate(wallNow()); }, { now: wallNow });
    const sandbox = {
        context: { get: (k: string) => store.get(k), set: (k: string, v: unknown) => store.set(k, v) },
        // Copied out of the function's context, whose objects have that context's prototypes.
        node: { send: (msg: { payload: Lights }) => shown.push({ at: now, lights: { ...msg.payload } }) },
        setTimeout: (run: () => void, delay: number) => {
            const id = nextId++;
            timers.push({ at: now + delay, run, id });
            return id;
        },
        clearTimeout: (id: number) => { timers = timers.filter((t) => t.id !== id); },
        Date: SteppedDate,
    };
    const fn = new vm.Script(`(function (msg) {\n${node.func}\n})`).runInNewContext(sandbox) as (msg: object) => unknown;
    return {
        shown,
        send: (topic: string, payload?: unknown) => fn({ topic, payload }),
        stepWallClock: (ms: number) => { wallStep += ms; },
        advance(ms: number) {
            const until = now + ms;
            for (;;) {
                const due = timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
                if (!due) break;
                timers = timers.filter((t) => t !== due);
                now = due.at;
                due.run();
            }
            now = until;
        },
        last: () => shown[shown.length - 1]?.lights,
    };
}

describe('entry gate flow: light sequencer', function () {
    it('ends a denial on yellow when Redis went away during it, and shows red at once when Redis returns', function () {
        const s = sequencer();
        s.send('rest');
        s.advance(0);
        assert.deepStrictEqual(s.last(), RED);
        s.send('denied');
        s.advance(100);
        s.send('redis', false);
        s.advance(4000);
        assert.ok(!s.shown.some((x) => x.lights.yellow), 'the flashing is not interrupted');
        s.advance(1000);
        assert.deepStrictEqual(s.last(), YELLOW, 'rests on yellow: Redis is away');
        const count = s.shown.length;
        s.send('redis', true);
        assert.deepStrictEqual([s.shown.length, s.last()], [count + 1, RED], 'red at once, while idle');
    });

    it("ignores the wall clock: a step back by NTP during a grant does not hold the next resting light", function () {
        for (const stepMs of [-10 * DAY_MS, 10 * DAY_MS]) {
            const s = sequencer();
            s.send('granted');
            s.advance(100);
            s.stepWallClock(stepMs);
            s.advance(5000);
            assert.deepStrictEqual(s.last(), RED, 'the green ended on red');
            s.send('redis', false);
            assert.deepStrictEqual(s.last(), YELLOW, `stepped ${stepMs / DAY_MS} days: yellow at once when Redis goes away`);
        }
    });
});
