// Gate speaker at a busy gate (issue 13): taps closer together than a chime is long, played
// through the stand-in sound card that takes as long as each sound (test/lib/audio/
// fake-sound-card.ts, so no speaker is needed). How long after its tap each chime starts,
// with the node's default limits (a chime that cannot start within 2 s is dropped, at most
// 5 waiting) beside the unbounded queue of earlier releases, where the delay grows with
// every tap and a rider hears the chime of a rider several taps earlier.
import { findOnPath } from '../nodes/lib/child-process';
import { PlaybackOptions, PlaybackQueue } from '../nodes/lib/audio/playback';
import { resolveSound, Sound } from '../nodes/lib/audio/sounds';
import { makeFakeSoundCard } from '../test/lib/audio/fake-sound-card';
import { max, median, progress } from './stats';
import { count, ms, row, TableRow } from './table';

const SYSTEM = 'Gate speaker';
const TAPS = 12;
const TAP_INTERVAL_MS = 500;

export interface AudioBench {
    results: Record<string, unknown>;
    rows: TableRow[];
}

interface Run {
    /** Tap to chime start, for the chimes played. */
    startDelays: number[];
    dropped: number;
    p50: number;
    worst: number;
}

async function gate(sound: Sound, options: PlaybackOptions): Promise<Run> {
    const queue = new PlaybackQueue(options);
    const startDelays: number[] = [];
    const plays: Array<Promise<unknown>> = [];
    let dropped = 0;
    for (let tap = 0; tap < TAPS; tap++) {
        const tapped = performance.now();
        plays.push(queue.play(sound, () => startDelays.push(performance.now() - tapped)).then((r) => {
            if (r.outcome === 'late' || r.outcome === 'queue-full') dropped++;
        }));
        await new Promise((resolve) => setTimeout(resolve, TAP_INTERVAL_MS));
    }
    await Promise.all(plays);
    return { startDelays, dropped, p50: median(startDelays), worst: max(startDelays) };
}

export async function benchAudio(): Promise<AudioBench> {
    if (!findOnPath('aplay')) {
        progress('audio: skipped, aplay is not on PATH (apt-get install alsa-utils)');
        return { results: { skipped: 'aplay is not on PATH' }, rows: [] };
    }
    const card = makeFakeSoundCard('realtime');
    try {
        const chime = await resolveSound('chime');
        const base: PlaybackOptions = { player: 'aplay', device: 'null', searchPath: card.binDir };
        progress(`audio: ${TAPS} taps ${TAP_INTERVAL_MS} ms apart, a ${chime.duration?.toFixed(2)} s chime each, bounded and unbounded`);
        const bounded = await gate(chime, { ...base, maxWaitMs: 2000, maxWaiting: 5 });
        const unbounded = await gate(chime, base);
        const what = `${TAPS} taps ${TAP_INTERVAL_MS} ms apart, ${chime.duration?.toFixed(2)} s chime`;
        const rows = [
            row(SYSTEM, `${what}: tap to chime start, p50 / worst`, ms(bounded.p50, bounded.worst),
                'unbounded queue (before issue 13)', ms(unbounded.p50, unbounded.worst)),
            row(SYSTEM, `${what}: chimes played`, count(TAPS - bounded.dropped), 'unbounded queue: every one, late', count(TAPS - unbounded.dropped)),
        ];
        return { results: { taps: TAPS, tapIntervalMs: TAP_INTERVAL_MS, chimeSeconds: chime.duration, bounded, unbounded }, rows };
    } finally {
        card.remove();
    }
}
