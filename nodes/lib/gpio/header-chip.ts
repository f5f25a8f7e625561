// Which GPIO chip carries the Raspberry Pi's 40-pin header. Chip numbers changed between
// kernels (Pi 5: gpiochip4, then gpiochip0 from 6.6.47); labels did not, so every backend
// picks the chip by label.

/** Header GPIO chip labels, best first: Pi 5 (RP1), Pi 4, Pi 0-3. */
export const HEADER_CHIP_LABELS = ['pinctrl-rp1', 'pinctrl-bcm2711', 'pinctrl-bcm2835'];

/** Why a backend cannot run here: "no Raspberry Pi GPIO chip (pinctrl-rp1, … or pinctrl-bcm2835) found". */
export const NO_HEADER_CHIP = `no Raspberry Pi GPIO chip (${HEADER_CHIP_LABELS.slice(0, -1).join(', ')} or ${HEADER_CHIP_LABELS.at(-1)}) found`;

export interface ChipName {
    /** The chip's device name, e.g. gpiochip0. */
    name: string;
    label: string;
}

/** The header chip among these, or undefined when none has a Raspberry Pi header label. */
export function pickHeaderChip(chips: ChipName[]): string | undefined {
    for (const label of HEADER_CHIP_LABELS) {
        const match = chips.find((chip) => chip.label === label);
        if (match) return match.name;
    }
    return undefined;
}

/** Reads `gpiodetect` output such as "gpiochip0 [pinctrl-rp1] (54 lines)". */
export function chipsFromGpiodetect(output: string): ChipName[] {
    return output.split('\n')
        .map((line) => /^(\S+)\s+\[([^\]]+)\]/.exec(line.trim()))
        .filter((m) => m !== null)
        .map((m) => ({ name: m[1], label: m[2] }));
}

/** Picks the header chip from `gpiodetect` output. */
export function headerChipFromGpiodetect(output: string): string | undefined {
    return pickHeaderChip(chipsFromGpiodetect(output));
}

export function checkBcmPin(pin: number): void {
    if (!Number.isInteger(pin) || pin < 0 || pin > 53) throw new Error(`invalid BCM pin ${pin}`);
}
