// Stand-ins for the original transit demo's devices (simonprickett/transit-pass-demo):
// each sends exactly the commands its original program sends, with the same key names,
// fields and JSON, quoted from it below. They are written from the originals, not from our
// code, so a test using them checks that our nodes work next to real original devices.
import Redis from 'ioredis';

/**
 * json.dumps(msgPayload, separators=(',', ':')) for the payloads the originals build:
 * Python keeps the dict's insertion order and, with those separators, writes no spaces,
 * which JSON.stringify of an object built in the same order also does.
 */
const dumps = (payload: Record<string, unknown>) => JSON.stringify(payload);

/** entry-gate/entry-gate.py: one card at a time, read-then-write, publish only. */
export class OriginalGate {
    constructor(private readonly redis: Redis) {}

    /** The body of its main loop after `cardSerialNumber = waitForCard()`. */
    async tap(cardSerialNumber: string): Promise<'granted' | 'denied'> {
        // cardPass = getPassForCard(cardSerialNumber)  ->  r.hgetall(cardSerialNumber)
        const cardPass = await this.redis.hgetall(cardSerialNumber);
        if (Object.keys(cardPass).length === 0) {
            // sendMessage('pass-denied', {'cardSerialNumber': cardSerialNumber})
            await this.redis.publish('pass-denied', dumps({ cardSerialNumber }));
            return 'denied';
        }
        const passType = cardPass.passType;
        if (passType === 'SINGLE_USE') {
            // r.delete(cardSerialNumber); sendMessage('pass-used:' + PASS_TYPE_SINGLE_USE, {'cardSerialNumber': ..., 'pass': cardPass})
            await this.redis.del(cardSerialNumber);
            await this.redis.publish('pass-used:SINGLE_USE', dumps({ cardSerialNumber, pass: cardPass }));
        } else if (passType === 'TWO_HOUR') {
            // passTtl = r.ttl(cardSerialNumber); if (not passTtl): r.expire(..., TWO_HOURS) and pass-activated
            const passTtl = await this.redis.ttl(cardSerialNumber);
            if (!passTtl) {
                await this.redis.expire(cardSerialNumber, 7200);
                await this.redis.publish('pass-activated:TWO_HOUR', dumps({ cardSerialNumber, pass: cardPass, remainingTime: 7200 }));
            }
            await this.redis.publish('pass-used:TWO_HOUR', dumps({ cardSerialNumber, pass: cardPass, remainingTime: passTtl }));
        } else {
            // tripsRemaining = cardPass.get('tripsRemaining'); if (tripsRemaining == '1'): r.delete(...)
            // else: r.hincrby(cardSerialNumber, 'tripsRemaining', -1)
            const tripsRemaining = cardPass.tripsRemaining;
            const remainingTrips = tripsRemaining === '1' ? 0 : Number(tripsRemaining) - 1;
            if (tripsRemaining === '1') await this.redis.del(cardSerialNumber);
            else await this.redis.hincrby(cardSerialNumber, 'tripsRemaining', -1);
            // sendMessage('pass-used:' + PASS_TYPE_TEN_TRIP, {'cardSerialNumber': ..., 'pass': cardPass, 'remainingTrips': ...})
            await this.redis.publish('pass-used:TEN_TRIP', dumps({ cardSerialNumber, pass: cardPass, remainingTrips }));
        }
        return 'granted';
    }
}

/** sales-terminal/sales-terminal.py: the sale after the card was tapped twice. */
export class OriginalTerminal {
    constructor(private readonly redis: Redis) {}

    async sell(cardSerialNumber: string, passType: 'SINGLE_USE' | 'TEN_TRIP' | 'TWO_HOUR'): Promise<boolean> {
        // if (hasExistingPass(cardSerialNumber)): cardHasPassError()  ->  r.exists(cardSerialNumber)
        if (await this.redis.exists(cardSerialNumber)) return false;
        // generatePass(passType): {'passType': PASS_TYPE_TEN_TRIP, 'tripsRemaining': 10}, or {'passType': ...}
        const newPass: Record<string, string | number> = passType === 'TEN_TRIP' ? { passType, tripsRemaining: 10 } : { passType };
        // r.hmset(cardSerialNumber, newPass)
        await this.redis.hset(cardSerialNumber, newPass);
        // r.publish('pass-issued:' + passType, json.dumps({'cardSerialNumber': ..., 'pass': newPass}, separators=(',', ':')))
        await this.redis.publish(`pass-issued:${passType}`, dumps({ cardSerialNumber, pass: newPass }));
        return true;
    }
}

interface MonitorEvent {
    cardSerialNumber?: string;
    pass?: { passType?: string };
    remainingTrips?: number;
}

/**
 * system-monitor/server.js: node-redis-pubsub's r.on() for each of its five channels, each
 * printing one line (chalk colours left out). The lines are its template strings.
 */
export class OriginalMonitor {
    readonly lines: string[] = [];
    private readonly sub: Redis;

    private constructor(port: number) {
        this.sub = new Redis(port);
    }

    static async start(port: number): Promise<OriginalMonitor> {
        const monitor = new OriginalMonitor(port);
        const decode = (t: string | undefined) => ({ SINGLE_USE: 'single trip', TWO_HOUR: 'two hour', TEN_TRIP: 'ten trip' } as Record<string, string>)[t ?? ''];
        const handlers: Record<string, (m: MonitorEvent) => string> = {
            'pass-issued:*': (msg) => `Card ${msg.cardSerialNumber} was issued a ${decode(msg.pass?.passType)} pass.`,
            'pass-activated:TWO_HOUR': (msg) => `Card ${msg.cardSerialNumber} two hour pass activated.`,
            'pass-used:*': (msg) => `Card ${msg.cardSerialNumber} started a journey.`,
            'pass-used:TEN_TRIP': (msg) => `Card ${msg.cardSerialNumber} has ${msg.remainingTrips} of 10 trips remaining.`,
            'pass-denied': (msg) => `Card ${msg.cardSerialNumber} tried to start a journey without a valid pass!`,
        };
        // node-redis-pubsub subscribes every r.on() channel as a pattern (psubscribe).
        monitor.sub.on('pmessage', (pattern: string, _channel: string, message: string) => {
            monitor.lines.push(handlers[pattern](JSON.parse(message) as MonitorEvent));
        });
        await monitor.sub.psubscribe(...Object.keys(handlers));
        return monitor;
    }

    stop(): Promise<unknown> {
        return this.sub.quit();
    }
}
