// Redis's clock as seen from here. Scripts that charge passes compare a deadline with
// TIME and do nothing when they run after it, which is what happens to commands that sat
// in a paused server's socket buffer after their caller gave up.
import type { RedisClient } from './client-factory';

export class ServerClock {
    /**
     * Redis's wall clock minus this process's monotonic clock (performance.now), in ms;
     * undefined until measured. Monotonic, so that a host whose wall clock is wrong, or is
     * stepped by NTP between two measurements, still computes the right deadline.
     */
    private offset?: number;

    /** One TIME round trip; its midpoint pairs the two clocks. Throws when it fails. */
    async measure(client: RedisClient): Promise<void> {
        const sent = performance.now();
        const [seconds, micros] = await client.time();
        const received = performance.now();
        const serverMs = Number(seconds) * 1000 + Number(micros) / 1000;
        this.offset = serverMs - (sent + received) / 2;
        this.lastMeasured = serverMs;
    }

    /** Redis's clock at the last measurement that answered (ms), or undefined. */
    lastMeasured?: number;

    /** Redis's clock now, reckoned from the last measurement (ms); undefined until measured. */
    now(): number | undefined {
        return this.offset === undefined ? undefined : performance.now() + this.offset;
    }

    /** Now plus `withinMs` on the server's clock, in ms; 0 while the offset is unknown. */
    deadline(withinMs: number): number {
        return this.offset === undefined ? 0 : Math.round(performance.now() + this.offset + withinMs);
    }
}
