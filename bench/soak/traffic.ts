// The soak's load: taps at the entry gate and sales at the sales terminal (through the
// driver nodes), presses on the counter's HTTP interface, an open counter event stream,
// and a gallery page read now and then. Taps and presses are open loop: each goes out on
// its schedule whether or not earlier ones have been answered, and its latency counts
// from when it was due, so a stalled Node-RED shows up in full rather than delaying the
// requests that would measure it.
import type { NodeAnswer } from './flows';
import { SALE_PATH, TAP_PATH } from './flows';
import type { Recorder } from './tally';
import { Riders } from './riders';
import { CounterWatch } from './sse-watch';

export interface TrafficOptions {
    baseUrl: string;
    tapsPerMinute: number;
    pressesPerSecond: number;
    /** The shipped gate's repeat window. */
    repeatWindowMs: number;
    recorder: Recorder;
}

const REQUEST_TIMEOUT_MS = 10000;
/** Cards kept with a pass; well above the taps one gate sees in a repeat window. */
const SUPPLY = 120;
const SALES_IN_FLIGHT = 2;
const GALLERY_EVERY_MS = 5000;
/** One press in ten takes one off, as someone correcting a miscount would. */
const DECREMENT_EVERY = 10;

/** Calls tick at a steady rate until stopped, each with the time it was due (performance.now()). */
class Schedule {
    private timer: NodeJS.Timeout | undefined;
    private n = 0;

    constructor(private readonly perSecond: number, private readonly tick: (dueAt: number) => void) {}

    start(): void {
        const started = performance.now();
        const step = () => {
            const dueAt = started + (this.n * 1000) / this.perSecond;
            this.n++;
            this.tick(dueAt);
            const next = started + (this.n * 1000) / this.perSecond;
            this.timer = setTimeout(step, Math.max(0, next - performance.now()));
        };
        this.timer = setTimeout(step, 0);
    }

    stop(): void {
        if (this.timer) clearTimeout(this.timer);
        this.timer = undefined;
    }
}

interface Reply {
    status: number;
    body: unknown;
}

export class Traffic {
    readonly riders: Riders;
    /** Presses answered 200, so the count must end at increments minus decrements. */
    increments = 0;
    decrements = 0;
    /**
     * Presses without a 200: the change may or may not have happened (a 503 can come from
     * the read after it), so the final count may be off by up to these.
     */
    unsureIncrements = 0;
    unsureDecrements = 0;
    twoHourSold = 0;
    watch: CounterWatch | undefined;
    private readonly inFlight = new Set<Promise<void>>();
    private readonly schedules: Schedule[] = [];
    private salesInFlight = 0;
    private presses = 0;

    constructor(private readonly options: TrafficOptions) {
        this.riders = new Riders({
            supply: SUPPLY, strangerShare: 0.06, repeatShare: 0.06, refusedSaleShare: 0.05, repeatWindowMs: options.repeatWindowMs,
        });
    }

    async start(): Promise<void> {
        // The count starts from zero, so the final value says whether a press was lost.
        const reset = await this.request('POST', '/counter/reset');
        if (reset.status !== 200) throw new Error(`POST /counter/reset answered HTTP ${reset.status}`);
        this.watch = await CounterWatch.open(`${this.options.baseUrl}/counter/events`);
        this.schedules.push(
            new Schedule(this.options.tapsPerMinute / 60, (dueAt) => this.track(this.tap(dueAt))),
            new Schedule(this.options.pressesPerSecond, () => this.track(this.press())),
            new Schedule(1000 / GALLERY_EVERY_MS, () => this.track(this.readGallery())),
            new Schedule(4, () => this.topUpCards()),
        );
        for (const schedule of this.schedules) schedule.start();
    }

    /** Stops sending and waits for every request still out. */
    async stop(): Promise<void> {
        for (const schedule of this.schedules) schedule.stop();
        await Promise.all([...this.inFlight]);
    }

    close(): void {
        this.watch?.close();
    }

    async request(method: 'GET' | 'POST', path: string, body?: string, type = 'text/plain'): Promise<Reply> {
        const response = await fetch(`${this.options.baseUrl}${path}`, {
            method, body, headers: body === undefined ? undefined : { 'Content-Type': type },
            signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const text = await response.text();
        let parsed: unknown = text;
        try {
            parsed = JSON.parse(text);
        } catch {
            // not JSON: kept as text for the error message
        }
        return { status: response.status, body: parsed };
    }

    private track(work: Promise<void>): void {
        const tracked = work.catch((err: Error) => this.options.recorder.error('soak driver', err.message))
            .finally(() => this.inFlight.delete(tracked));
        this.inFlight.add(tracked);
    }

    private async ask(path: string, body: string, type?: string): Promise<NodeAnswer | undefined> {
        const recorder = this.options.recorder;
        try {
            const reply = await this.request('POST', path, body, type);
            if (reply.status === 200) return reply.body as NodeAnswer;
            recorder.error(`${path} HTTP ${reply.status}`, JSON.stringify(reply.body).slice(0, 200));
        } catch (err) {
            recorder.error(`${path} no answer`, (err as Error).message);
        }
        return undefined;
    }

    private async tap(dueAt: number): Promise<void> {
        const recorder = this.options.recorder;
        const sentAt = performance.now();
        const planned = this.riders.planTap(sentAt);
        const answer = await this.ask(TAP_PATH, planned.card);
        const latency = performance.now() - dueAt;
        const wrong = planned.settle(answer, performance.now());
        if (!answer) return;
        const reason = typeof answer.payload.reason === 'string' ? answer.payload.reason : undefined;
        recorder.decision(answer.topic, reason, latency, Math.max(0, sentAt - dueAt), typeof answer.nodeRedMs === 'number' ? answer.nodeRedMs : undefined);
        // 'unavailable': the gate had no answer from Redis within its timeout (the tap may
        // or may not have been charged; the riders stop using that card).
        if (reason === 'unavailable') recorder.error('gate: unavailable', planned.card);
        else if (wrong) recorder.error(`unexpected decision (${planned.kind})`, `${planned.card}: ${wrong}`);
    }

    private topUpCards(): void {
        while (this.riders.salesWanted > 0 && this.salesInFlight < SALES_IN_FLIGHT) {
            this.salesInFlight++;
            this.track(this.sell().finally(() => { this.salesInFlight--; }));
        }
    }

    private async sell(): Promise<void> {
        const recorder = this.options.recorder;
        const planned = this.riders.planSale();
        const answer = await this.ask(SALE_PATH, JSON.stringify({ card: planned.card, passType: planned.passType }), 'application/json');
        const wrong = planned.settle(answer);
        if (!answer) return;
        if (answer.topic === 'sold') {
            recorder.count('sold');
            if (planned.passType === 'TWO_HOUR') this.twoHourSold++;
        } else if (answer.topic === 'refused') {
            recorder.count('refusedSales');
        }
        if (answer.payload.reason === 'unavailable') recorder.error('sale: unavailable', planned.card);
        else if (wrong) recorder.error('unexpected sale answer', `${planned.card}: ${wrong}`);
    }

    private async press(): Promise<void> {
        const recorder = this.options.recorder;
        const decrement = ++this.presses % DECREMENT_EVERY === 0;
        const path = decrement ? '/counter/decrement' : '/counter/increment';
        try {
            const reply = await this.request('POST', path);
            const value = (reply.body as { value?: unknown }).value;
            if (reply.status !== 200 || typeof value !== 'number') {
                // A 503 means the change or the read after it failed: the change may have happened.
                if (decrement) this.unsureDecrements++;
                else this.unsureIncrements++;
                recorder.error(`${path} HTTP ${reply.status}`, JSON.stringify(reply.body).slice(0, 200));
                return;
            }
            if (decrement) this.decrements++;
            else this.increments++;
            recorder.count('presses');
        } catch (err) {
            if (decrement) this.unsureDecrements++;
            else this.unsureIncrements++;
            recorder.error(`${path} no answer`, (err as Error).message);
        }
    }

    private async readGallery(): Promise<void> {
        const recorder = this.options.recorder;
        try {
            const reply = await this.request('GET', '/gallery/api/images?limit=24');
            // Only a failed read counts: the page's content is the gallery tests' business.
            if (reply.status !== 200 || !Array.isArray(reply.body)) recorder.error(`gallery HTTP ${reply.status}`, JSON.stringify(reply.body).slice(0, 200));
        } catch (err) {
            recorder.error('gallery no answer', (err as Error).message);
        }
    }
}
