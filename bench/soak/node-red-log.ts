// Node-RED's console output during the soak: written whole to a log file, with its
// error and warning lines counted (and a few kept) so they show in the report.
import fs from 'fs';

export class NodeRedLog {
    errors = 0;
    warnings = 0;
    readonly examples: string[] = [];
    /** Called for each error line once the traffic runs (start-up lines are only counted). */
    onError: ((line: string) => void) | undefined;
    private readonly out: fs.WriteStream;
    private partial = '';

    constructor(readonly file: string) {
        this.out = fs.createWriteStream(file);
    }

    take(text: string): void {
        this.out.write(text);
        const lines = (this.partial + text).split('\n');
        this.partial = lines.pop() ?? '';
        for (const line of lines) {
            const error = line.includes('[error]');
            if (!error && !line.includes('[warn]')) continue;
            if (error) this.errors++;
            else this.warnings++;
            if (this.examples.length < 20) this.examples.push(line.trim().slice(0, 300));
            if (error) this.onError?.(line.trim());
        }
    }

    close(): Promise<void> {
        return new Promise((resolve) => this.out.end(resolve));
    }
}
