// Editor fields arrive as strings or numbers; these turn them into checked values with a
// message that names the field, so a node can refuse a bad setting at deploy.

/** An integer setting within [min, max]; empty means the fallback. */
export function integerSetting(value: string | number | undefined, fallback: number, min: number, max: number, what: string): number {
    const number = value === '' || value === undefined ? fallback : Number(value);
    if (!Number.isInteger(number) || number < min || number > max) throw new Error(`invalid ${what}: ${value}`);
    return number;
}
