// Preloaded into every Node process of a test run (NODE_OPTIONS=--require, set by
// scripts/test.sh when TEST_NODE_CLOCK_AHEAD_DAYS is set): moves this process's wall
// clock that many days ahead of the machine's, which redis-server, openssl and chromium
// keep. That is what a Node-RED host with a wrong clock looks like, and the suite must
// pass on it because the product decides and ages by Redis's clock.
//
// Only JavaScript's Date moves: Date.now(), new Date() and Date() as a function. Monotonic
// clocks (performance.now, process.hrtime, timers) keep running as they are, as they do
// when a real clock is wrong. libfaketime cannot do this: Debian's redis-server does not
// start under it, and it would move every process, not only Node's.
const days = Number(process.env.TEST_NODE_CLOCK_AHEAD_DAYS);
if (!Number.isFinite(days)) throw new Error(`TEST_NODE_CLOCK_AHEAD_DAYS must be a number of days, not ${JSON.stringify(process.env.TEST_NODE_CLOCK_AHEAD_DAYS)}`);
const aheadMs = days * 86_400_000;
const RealDate = Date;

function ShiftedDate(this: unknown, ...args: unknown[]): Date | string {
    // Date() called without new returns the current time as a string.
    if (!new.target) return new RealDate(RealDate.now() + aheadMs).toString();
    return Reflect.construct(RealDate, args.length ? args : [RealDate.now() + aheadMs], new.target) as Date;
}
// Statics (UTC, parse) and the prototype are the real Date's, so instanceof and every
// Date method keep working on dates made either way.
Object.setPrototypeOf(ShiftedDate, RealDate);
ShiftedDate.prototype = RealDate.prototype;
ShiftedDate.now = (): number => RealDate.now() + aheadMs;
globalThis.Date = ShiftedDate as unknown as DateConstructor;

export const nodeClockAheadMs = aheadMs;
