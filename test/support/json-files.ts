import fs from 'fs';
import path from 'path';

/** Every .json file under a folder, at any depth ([] when the folder does not exist). */
export function jsonFilesUnder(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) return jsonFilesUnder(full);
        return entry.name.endsWith('.json') ? [full] : [];
    });
}
