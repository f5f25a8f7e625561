// Steps this process's wall clock (Date.now) for the length of a test, as NTP does to a Pi
// whose clock was days off after a boot. Monotonic clocks keep running as they are.

export const DAY_MS = 86_400_000;

export async function withWallClockStepped<T>(stepMs: number, run: () => Promise<T> | T): Promise<T> {
    const wallClock = Date.now;
    Date.now = () => wallClock() + stepMs;
    try {
        return await run();
    } finally {
        Date.now = wallClock;
    }
}
