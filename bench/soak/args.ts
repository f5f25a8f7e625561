// `npm run soak -- --minutes N --interval S [--warmup S]`.

export interface SoakArgs {
    minutes: number;
    intervalS: number;
    /** Intervals that start before this many seconds are warm-up and left out of the RSS trend. */
    warmupS: number;
    /** Seconds between pictures: 1 (ten times the original's fastest), or more to see what the camera costs. */
    cameraIntervalS: number;
}

const USAGE = 'usage: npm run soak -- [--minutes N (default 30)] [--interval S (default 60)] [--warmup S (default: a sixth of the run, at least one interval)] [--camera-interval S (default 1)]';

export function parseArgs(argv: string[]): SoakArgs {
    const values: Record<string, number> = {};
    for (let i = 0; i < argv.length; i += 2) {
        const name = argv[i] ?? '';
        const text = argv[i + 1];
        if (name === '--help' || name === '-h') throw new Error(USAGE);
        if (!['--minutes', '--interval', '--warmup', '--camera-interval'].includes(name)) throw new Error(`unknown option ${name}\n${USAGE}`);
        const value = Number(text);
        if (text === undefined || !Number.isFinite(value) || value <= 0) throw new Error(`${name} needs a positive number\n${USAGE}`);
        values[name.slice(2)] = value;
    }
    const minutes = values.minutes ?? 30;
    const intervalS = values.interval ?? 60;
    if (intervalS > minutes * 60) throw new Error(`--interval ${intervalS} is longer than the run (${minutes} min)`);
    const warmupS = values.warmup ?? Math.max(intervalS, (minutes * 60) / 6);
    return { minutes, intervalS, warmupS, cameraIntervalS: values['camera-interval'] ?? 1 };
}
