// Which command plays a file, and with which arguments. The players are the usual ones on a
// Raspberry Pi: aplay (ALSA, WAV only), paplay (PulseAudio or PipeWire, WAV and MP3) and
// mpg123 (MP3). They are found on PATH each time, so installing one needs no redeploy.
import { execFile } from 'child_process';
import { findOnPath } from '../child-process';
import type { SoundType } from './sounds';

export const PLAYERS = ['aplay', 'paplay', 'mpg123'] as const;
export type PlayerName = (typeof PLAYERS)[number];
export type PlayerChoice = 'auto' | PlayerName;

const CAN_PLAY: Record<PlayerName, readonly SoundType[]> = {
    aplay: ['wav'],
    paplay: ['wav', 'mp3'],
    mpg123: ['mp3'],
};

/** The players tried, in order, when the choice is 'auto' (or cannot play this type). */
const AUTO_ORDER: Record<SoundType, readonly PlayerName[]> = {
    wav: ['aplay', 'paplay'],
    mp3: ['mpg123', 'paplay'],
};

export interface Player {
    name: PlayerName;
    /** Absolute path of the executable. */
    command: string;
}

export function isPlayerChoice(value: unknown): value is PlayerChoice {
    return value === 'auto' || (PLAYERS as readonly unknown[]).includes(value);
}

/**
 * The player for a file of this type. A named player is used for the types it can play;
 * other types fall back to the automatic choice (mpg123 cannot play the shipped WAV prompts,
 * aplay cannot play MP3). A named player that is not installed is not replaced by another.
 */
export function choosePlayer(choice: PlayerChoice, type: SoundType, searchPath?: string): Player | undefined {
    for (const name of candidatePlayers(choice, type)) {
        const command = findOnPath(name, searchPath);
        if (command) return { name, command };
    }
    return undefined;
}

/** The players that choosePlayer looks for, in order. */
export function candidatePlayers(choice: PlayerChoice, type: SoundType): readonly PlayerName[] {
    return choice !== 'auto' && CAN_PLAY[choice].includes(type) ? [choice] : AUTO_ORDER[type];
}

/** The arguments for one quiet playback of file on device ('' = the player's default). */
export function playerArgs(name: PlayerName, device: string, file: string): string[] {
    switch (name) {
        case 'aplay':
            return ['-q', ...(device ? ['-D', device] : []), file];
        case 'paplay':
            return [...(device ? [`--device=${device}`] : []), file];
        case 'mpg123':
            return ['-q', ...(device ? ['-a', device] : []), file];
    }
}

/**
 * Whether ALSA sees any sound card, from `aplay -l`: false when it says "no soundcards",
 * undefined when that cannot be told. Only a hint for the status shown at deploy: the
 * default device may still reach PulseAudio or PipeWire, so playback is always tried.
 */
export function probeSoundCards(aplay: string): Promise<boolean | undefined> {
    return new Promise((resolve) => {
        execFile(aplay, ['-l'], { timeout: 3000 }, (_err, stdout, stderr) => {
            const text = `${stdout}\n${stderr}`;
            if (/no soundcards found/i.test(text)) resolve(false);
            else if (/^card \d+:/m.test(text)) resolve(true);
            else resolve(undefined);
        });
    });
}
