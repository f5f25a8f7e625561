// The simulated camera as a program, what rpicam-still is to the real camera: it takes
// rpicam-still's size, quality and thumbnail options (captureArgs), draws the test card for
// the moment it is given, and writes the JPEG to stdout. runCapture runs it as it runs the
// real program, with the same time limit, kill and checks.
//
// It runs apart from Node-RED because jpeg-js's encoder is plain JavaScript: about 100 ms
// of CPU and tens of MB of heap for a 1280 x 720 picture. In a worker thread that heap stayed
// resident in Node-RED's process: with a capture every 5 s, Node-RED 5 on Node.js 24 sat
// some 70 MB above its floor (V8 pools the pages a thread frees for the whole process). A
// process hands everything back when it exits.
import { parseArgs } from 'util';
import { captureArgs, captureThumbnail } from './command';
import type { CameraSettings } from './settings';
import { makeTestCard } from './test-card';

/**
 * A young generation of 1 MB: the encoder's garbage dies young, and the process peaked at 75 MB
 * instead of 119 MB for a 1280 x 720 picture, in the same 0.3 s of CPU (Node.js 20).
 */
const NODE_FLAGS = ['--max-semi-space-size=1'];

/** The program and its arguments for one simulated still, taken at `time`, labelled with the camera's name. */
export function simulatedStillCommand(settings: CameraSettings, time: Date, label: string): { program: string; args: string[] } {
    // "--label=…": a camera named "-x" stays the label's value instead of becoming an option.
    return { program: process.execPath, args: [...NODE_FLAGS, __filename, ...captureArgs(settings), `--time=${time.getTime()}`, `--label=${label}`] };
}

function positiveInteger(text: string | undefined, name: string): number {
    const value = Number(text);
    if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} needs a positive whole number, not ${JSON.stringify(text)}`);
    return value;
}

/** The options this program reads from its command line; the rest of rpicam-still's are accepted and ignored. */
export function simulatedStillOptions(argv: string[]): Parameters<typeof makeTestCard>[0] {
    const { values } = parseArgs({
        args: argv,
        strict: false,
        options: { width: { type: 'string' }, height: { type: 'string' }, quality: { type: 'string' }, time: { type: 'string' }, label: { type: 'string' } },
    });
    const text = (name: keyof typeof values) => (typeof values[name] === 'string' ? values[name] as string : undefined);
    const width = positiveInteger(text('width'), 'width');
    const height = positiveInteger(text('height'), 'height');
    const time = new Date(positiveInteger(text('time'), 'time'));
    return {
        width, height, time,
        quality: positiveInteger(text('quality'), 'quality'),
        label: text('label') ?? '',
        thumbnail: captureThumbnail({ width, height }),
    };
}

if (require.main === module) {
    try {
        process.stdout.write(makeTestCard(simulatedStillOptions(process.argv.slice(2))));
    } catch (err) {
        process.stderr.write(`ERROR: simulated camera: ${(err as Error).message}\n`);
        process.exitCode = 1;
    }
}
