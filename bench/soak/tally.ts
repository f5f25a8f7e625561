// What happened in one report interval, and a few examples of each kind of error over
// the whole run (enough to find the cause without keeping every failure).

export class Tally {
    readonly tapLatenciesMs: number[] = [];
    /** The part of each tap's latency spent between the driver's function nodes in Node-RED. */
    readonly tapInNodeRedMs: number[] = [];
    /** How late each tap left the soak process after it was due (the soak's own share of the latency). */
    readonly tapSentLateMs: number[] = [];
    granted = 0;
    denied = 0;
    readonly denials: Record<string, number> = {};
    sold = 0;
    refusedSales = 0;
    presses = 0;
    readonly errors: Record<string, number> = {};

    get decisions(): number {
        return this.granted + this.denied;
    }

    get errorCount(): number {
        return Object.values(this.errors).reduce((sum, n) => sum + n, 0);
    }
}

export class Recorder {
    current = new Tally();
    readonly totals = new Tally();
    readonly examples: Record<string, string[]> = {};

    /** Counts an error of this kind in the interval and the run; keeps the first five details. */
    error(kind: string, detail: string): void {
        this.current.errors[kind] = (this.current.errors[kind] ?? 0) + 1;
        this.totals.errors[kind] = (this.totals.errors[kind] ?? 0) + 1;
        const examples = (this.examples[kind] ??= []);
        if (examples.length < 5) examples.push(detail);
    }

    decision(topic: string, reason: string | undefined, latencyMs: number, sentLateMs: number, inNodeRedMs: number | undefined): void {
        for (const tally of [this.current, this.totals]) {
            tally.tapLatenciesMs.push(latencyMs);
            tally.tapSentLateMs.push(sentLateMs);
            if (inNodeRedMs !== undefined) tally.tapInNodeRedMs.push(inNodeRedMs);
            if (topic === 'granted') tally.granted++;
            else {
                tally.denied++;
                const key = reason ?? 'unknown';
                tally.denials[key] = (tally.denials[key] ?? 0) + 1;
            }
        }
    }

    count(field: 'sold' | 'refusedSales' | 'presses'): void {
        this.current[field]++;
        this.totals[field]++;
    }

    /** Ends the interval: returns its tally and starts a new one. */
    rotate(): Tally {
        const done = this.current;
        this.current = new Tally();
        return done;
    }
}
