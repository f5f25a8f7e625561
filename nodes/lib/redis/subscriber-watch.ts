// A subscriber client only waits for messages and has no command timeout, so a dead
// socket (half-open after a cut cable or a forgetful NAT, or a handshake that is never
// answered) shows only through a round trip of our own. Three missed checks in a row drop
// the socket; ioredis then reconnects and resubscribes. PING is allowed in subscriber mode.
import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';

const MISSES_BEFORE_RECONNECT = 3;

export class SubscriberWatch {
    private missed = 0;

    /** One health check of `client`: a ping answered within `pingMs`, or a miss. */
    async check(client: Redis | Cluster, pingMs: number): Promise<void> {
        if (client.status === 'connect') {
            this.miss(client);
            return;
        }
        if (client.status !== 'ready') return;
        try {
            await pingWithin(client, pingMs);
            this.missed = 0;
        } catch {
            this.miss(client);
        }
    }

    private miss(client: Redis | Cluster): void {
        this.missed += 1;
        if (this.missed < MISSES_BEFORE_RECONNECT) return;
        this.missed = 0;
        client.disconnect(true);
    }
}

async function pingWithin(client: Redis | Cluster, ms: number): Promise<void> {
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
