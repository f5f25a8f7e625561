// The words of every spoken prompt, kept in prompts.json, the one place they are written:
// scripts/make-prompts.sh speaks them into the shipped WAV files and transit-sale sends the
// same words as msg.text, so what a screen shows always matches what the speaker says.
import words from './prompts.json';

export const PROMPT_TEXT: Readonly<Record<string, string>> = Object.freeze({ ...words });

/** The words of a shipped prompt; an unknown id is a programming error, so it throws. */
export function promptText(id: string): string {
    if (!Object.prototype.hasOwnProperty.call(PROMPT_TEXT, id)) throw new Error(`unknown prompt: ${id}`);
    return PROMPT_TEXT[id];
}
