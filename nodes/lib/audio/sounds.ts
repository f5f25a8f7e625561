// Turns what a flow asks for (a shipped prompt id, a tone, or an absolute path to a sound
// file) into a file to play. Anything else is refused with a clear error rather than
// guessed at: a relative path would depend on Node-RED's working directory, and '..' in an
// id could reach outside the sounds folder.
import { promises as fs } from 'fs';
import * as path from 'path';
import { PROMPT_TEXT } from './prompts';
import { estimateMp3Duration, parseWav } from './wav';

/** The sounds folder beside the audio-prompt node (the same layout in nodes/ and dist/nodes/). */
export const SOUNDS_DIR = path.join(__dirname, '..', '..', 'audio-prompt', 'sounds');

export const TONES = ['chime', 'buzzer'] as const;

/** Every id with a shipped file: the spoken prompts, the gate's refusal, and the two tones. */
export const SHIPPED_SOUNDS: readonly string[] = [...Object.keys(PROMPT_TEXT), 'access-denied', ...TONES];

export type SoundType = 'wav' | 'mp3';

export interface Sound {
    /** What was asked for: the id, or the path as given. */
    prompt: string;
    file: string;
    type: SoundType;
    /** Seconds, when the file says (WAV) or lets us estimate it (constant-bitrate MP3). */
    duration?: number;
    /** Synthesised from text by espeak-ng (see speech.ts), not a recording. */
    spoken?: boolean;
}

export type SoundErrorCode = 'not-a-string' | 'unknown-prompt' | 'not-absolute' | 'bad-extension' | 'not-found' | 'bad-file' | 'text-too-long';

export class SoundError extends Error {
    constructor(readonly code: SoundErrorCode, readonly value: string) {
        super(`${code}: ${value}`);
        this.name = 'SoundError';
    }
}

export async function resolveSound(request: unknown, soundsDir = SOUNDS_DIR): Promise<Sound> {
    if (typeof request !== 'string' || request.trim() === '') {
        throw new SoundError('not-a-string', describe(request));
    }
    const prompt = request.trim();
    if (SHIPPED_SOUNDS.includes(prompt)) {
        return inspect(prompt, path.join(soundsDir, `${prompt}.wav`), 'wav');
    }
    if (!prompt.includes('/') && !prompt.includes('\\')) throw new SoundError('unknown-prompt', prompt);
    if (!path.isAbsolute(prompt)) throw new SoundError('not-absolute', prompt);
    // Refuse '..' outright instead of normalising it away: a path that climbs is a mistake.
    if (prompt.split(/[\\/]/).includes('..')) throw new SoundError('not-absolute', prompt);
    const ext = path.extname(prompt).toLowerCase();
    if (ext !== '.wav' && ext !== '.mp3') throw new SoundError('bad-extension', prompt);
    return inspect(prompt, prompt, ext === '.wav' ? 'wav' : 'mp3');
}

/** Enough of a file to find its format chunk or first frame behind any tags. */
const HEAD_BYTES = 64 * 1024;

/** A WAV file as a Sound, its length read from its header. */
export function inspectWav(prompt: string, file: string): Promise<Sound> {
    return inspect(prompt, file, 'wav');
}

async function inspect(prompt: string, file: string, type: SoundType): Promise<Sound> {
    const { head, size } = await readHead(file);
    if (type === 'mp3') return { prompt, file, type, duration: estimateMp3Duration(head, size) };
    try {
        return { prompt, file, type, duration: parseWav(head, size).duration };
    } catch {
        throw new SoundError('bad-file', file);
    }
}

async function readHead(file: string): Promise<{ head: Buffer; size: number }> {
    try {
        // Only regular files: reading a FIFO or a device could block forever.
        const stat = await fs.stat(file);
        if (!stat.isFile()) throw new Error('not a regular file');
        const handle = await fs.open(file, 'r');
        try {
            const { buffer, bytesRead } = await handle.read(Buffer.alloc(Math.min(HEAD_BYTES, stat.size)), 0, Math.min(HEAD_BYTES, stat.size), 0);
            return { head: buffer.subarray(0, bytesRead), size: stat.size };
        } finally {
            await handle.close();
        }
    } catch {
        throw new SoundError('not-found', file);
    }
}

function describe(value: unknown): string {
    if (value === null) return 'null';
    if (typeof value === 'string') return '""';
    return typeof value === 'object' ? (Array.isArray(value) ? 'array' : 'object') : typeof value;
}
