// Card ids for tests that share a Redis: each test file picks its own prefix, so that a
// glance at a key tells which suite made it.

let cards = 0;

/** A card id no other test uses: `prefix` (hex), then this process, the time and a count, uppercase as gates normalise it. */
export function uniqueCard(prefix: string): string {
    cards += 1;
    return `${prefix}${process.pid.toString(16)}${Date.now().toString(16)}${cards.toString(16)}`.toUpperCase();
}
