// The bcrypt Node-RED itself uses: @node-rs/bcrypt when its native build loads, else
// bcryptjs (node-red/red.js and @node-red/editor-api/lib/auth/users.js pick it the same
// way). Taken from node-red's own dependencies, so the demo adds none, and the hashes it
// makes are ones Node-RED accepts in adminAuth and httpNodeAuth. The demo only hashes;
// Node-RED does every comparison.
import { createRequire } from 'module';

interface Bcrypt {
    hashSync(password: string, cost: number): string;
}

/**
 * The cost `node-red admin hash-pw` uses (node-red-admin/lib/commands/hash.js). A
 * generated password has 144 random bits, so the work factor is not what protects it,
 * while Node-RED's httpNodeAuth checks every wrong password synchronously on its event
 * loop (the one the gates run on): a higher cost would make a guessing client slow the gates.
 */
export const BCRYPT_COST = 8;

let loaded: Bcrypt | undefined;

function nodeRedBcrypt(): Bcrypt {
    if (!loaded) {
        const fromNodeRed = createRequire(require.resolve('node-red/package.json'));
        try {
            loaded = fromNodeRed('@node-rs/bcrypt') as Bcrypt;
        } catch {
            loaded = fromNodeRed('bcryptjs') as Bcrypt;
        }
    }
    return loaded;
}

export function bcryptHash(password: string): string {
    return nodeRedBcrypt().hashSync(password, BCRYPT_COST);
}

/** What `node-red admin hash-pw` prints: $2a$, $2b$ or $2y$, a two-digit cost, 53 characters of salt and hash. */
export const BCRYPT_HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
