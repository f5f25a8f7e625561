// A few GPIO lines driven together for a bit-banged protocol (the TM1637 display's CLK and
// DIO). Unlike OutputLine, where every write is a promise (and may be a process), set() is
// synchronous and only queues the level: a backend applies the levels in call order, and
// flush() tells when they are all on the pins. So a backend in another process (the hardware
// helper) takes a whole transaction in one message rather than one per edge.

export type Level = 0 | 1;

export interface GpioPort {
    /** Which backend drives the pins, for logs: 'python3 lgpio', 'simulated'... */
    readonly backend: string;
    /** Drives `pin` (one of the pins the port was opened with) low (0) or high (1), after every earlier set(). */
    set(pin: number, level: Level): void;
    /** Resolves once every set() so far has reached the pins; rejects if the port failed meanwhile. */
    flush(): Promise<void>;
    /** Releases the lines. */
    close(): Promise<void>;
}

/** One level change on a simulated port. */
export interface PinChange {
    pin: number;
    level: Level;
}

/**
 * Lines that exist only in memory: each set() is handed to `onChange` at once (a chip model
 * watches the pins there). flush() waits for the next turn of the event loop, as real I/O
 * would, so callers that send many frames still interleave with other work.
 */
export class SimulatedGpioPort implements GpioPort {
    readonly backend = 'simulated';
    readonly levels = new Map<number, Level>();
    /** Set this to make the next flush() fail, as a port whose process died would. */
    failure: Error | undefined;
    private closed = false;

    constructor(pins: number[], private readonly onChange?: (change: PinChange) => void, initial: Level = 1) {
        for (const pin of pins) this.levels.set(pin, initial);
    }

    level(pin: number): Level | undefined {
        return this.levels.get(pin);
    }

    set(pin: number, level: Level): void {
        if (this.closed) throw new Error('the GPIO port is closed');
        if (!this.levels.has(pin)) throw new Error(`GPIO ${pin} is not part of this port`);
        if (this.levels.get(pin) === level) return;
        this.levels.set(pin, level);
        this.onChange?.({ pin, level });
    }

    flush(): Promise<void> {
        return new Promise((resolve, reject) => setImmediate(() => {
            if (this.closed) reject(new Error('the GPIO port is closed'));
            else if (this.failure) reject(this.failure);
            else resolve();
        }));
    }

    async close(): Promise<void> {
        this.closed = true;
    }
}
