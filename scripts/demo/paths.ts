// Where things live. The compiled files sit in dist/scripts/demo/, three levels below
// the repository root, so the demo and the tests find the repo the same way.
import path from 'path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** The git-ignored folder that holds the demo's Redis data and Node-RED user dir. */
export function demoStateDir(repoRoot: string = REPO_ROOT): string {
    return path.join(repoRoot, '.demo');
}
