// A paused or half-open Redis (a cut cable, a forgetful NAT, a handshake never answered)
// keeps the socket up while answering nothing, and a subscriber only waits for messages:
// only a round trip of our own shows it. The rule for every client: three missed checks
// in a row drop the socket, so ioredis reconnects (and resubscribes) as soon as the
// server answers again.
import type { RedisClient } from './client-factory';

const MISSES_BEFORE_RECONNECT = 3;

/** Counts missed round trips and calls `drop` at the third in a row. */
export class MissCounter {
    private inARow = 0;

    constructor(private readonly drop: () => void) {}

    answered(): void {
        this.inARow = 0;
    }

    missed(): void {
        this.inARow += 1;
        if (this.inARow < MISSES_BEFORE_RECONNECT) return;
        this.inARow = 0;
        this.drop();
    }
}

/** The health check of one subscriber client: a PING, allowed in subscriber mode. */
export class SubscriberWatch {
    private readonly misses: MissCounter;

    constructor(private readonly client: RedisClient) {
        this.misses = new MissCounter(() => client.disconnect(true));
    }

    /** One check: a ping answered within `pingMs`, or a miss. */
    async check(pingMs: number): Promise<void> {
        // Still handshaking since the last check: a handshake never answered is a miss too.
        if (this.client.status === 'connect') {
            this.misses.missed();
            return;
        }
        if (this.client.status !== 'ready') return;
        try {
            await pingWithin(this.client, pingMs);
            this.misses.answered();
        } catch {
            this.misses.missed();
        }
    }
}

async function pingWithin(client: RedisClient, ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('ping timed out')), ms);
    });
    try {
        await Promise.race([client.ping(), timeout]);
    } finally {
        clearTimeout(timer);
    }
}
