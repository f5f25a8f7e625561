// The outage the offline gate fault test plays (issue 15): passes of every product sold,
// and the taps planned for two gate runtimes of two gates each, seeded, so every run taps
// the same way: cards tapped in both runtimes more often than their rides allow, time
// passes first used offline, blocked cards, cards without a pass, and warm cards tapped
// first, across the cut.
import type { Product } from '../../nodes/lib/transit/products';
import type { PlannedCard } from './offline-check';
import { offlineCard, OfflineWorld, PRODUCTS, ridesOf, seeded, startsOnFirstUse } from './offline-rig';

export type Where = { runtime: number; gate: number };
export type PlannedTap = Where & { card: string };
export const CARDS_PER_PRODUCT = 100;

/**
 * Sells the passes and plans the taps: every product's cards, some tapped at gates in both
 * runtimes more often than their rides allow, time passes first used offline, blocked
 * cards and cards without a pass; `warm` cards are tapped first, across the cut.
 */
export async function planOutage(world: OfflineWorld): Promise<{ cards: PlannedCard[]; perRuntime: PlannedTap[][] }> {
    const rand = seeded(15);
    const cards: PlannedCard[] = [];
    const warm: PlannedTap[] = [];
    const rest: PlannedTap[] = [];
    const anywhere = (): Where => ({ runtime: Math.floor(rand() * 2), gate: Math.floor(rand() * 2) });
    const some = (max: number) => 1 + Math.floor(rand() * max);
    const at = (card: string, where: Where, n = 1, into = rest) => { for (let i = 0; i < n; i++) into.push({ ...where, card }); };
    const sellAll = async (product: Product, n: number) => {
        const sold = Array.from({ length: n }, () => offlineCard());
        await Promise.all(sold.map((card) => world.sell(card, product)));
        return sold;
    };
    const byId = (id: string) => PRODUCTS.find((p) => p.id === id) as Product;

    for (const product of PRODUCTS) {
        const sold = await sellAll(product, CARDS_PER_PRODUCT);
        for (const [i, card] of sold.entries()) {
            let rides = ridesOf(product);
            if (product.id === 'SINGLE_USE' && i < 25) {
                at(card, { runtime: 0, gate: i % 2 });
                at(card, { runtime: 1, gate: i % 2 });
            } else if (product.id === 'TEN_TRIP' && i < 50) {
                // Two rides left: charged online first, eight times.
                for (let t = 0; t < 8; t++) await world.store.tap(card, 'pre-gate', `pre-${card}-${t}`, 0);
                rides = 2;
                if (i < 10) {
                    at(card, { runtime: 0, gate: 0 }, 3); // the third is refused by the gate itself
                    at(card, { runtime: 1, gate: 1 });
                } else {
                    at(card, { runtime: 0, gate: i % 2 }, 2);
                    at(card, { runtime: 1, gate: i % 2 });
                }
            } else if (product.id === 'RIDES5' && i < 30) {
                at(card, { runtime: 0, gate: i % 2 }, 3);
                at(card, { runtime: 1, gate: (i + 1) % 2 }, 3);
            } else if (startsOnFirstUse(product)) {
                at(card, anywhere(), some(3)); // one gate: its first tap is the first
            } else {
                for (let t = some(product.id === 'SINGLE_USE' ? 1 : 3); t > 0; t--) at(card, anywhere());
            }
            cards.push({ card, kind: 'pass', product, rides });
        }
    }
    for (const [j, card] of (await sellAll(byId('TEN_TRIP'), 20)).entries()) {
        at(card, { runtime: 0, gate: j % 2 }, 2, warm);
        at(card, { runtime: 1, gate: j % 2 }, 2, warm);
        cards.push({ card, kind: 'pass', product: byId('TEN_TRIP'), rides: 10 });
    }
    for (const card of await sellAll(byId('TEN_TRIP'), 10)) {
        await world.admin.block(card, 'lost', 'staff', `block-${card}`);
        for (let t = some(2); t > 0; t--) at(card, anywhere());
        cards.push({ card, kind: 'blocked', blockedFor: 'lost' });
    }
    for (let i = 0; i < 10; i++) {
        const card = offlineCard();
        at(card, anywhere());
        cards.push({ card, kind: 'none' });
    }
    // Fisher-Yates with the seeded generator: taps of one card come in any order, at any gate.
    for (let i = rest.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [rest[i], rest[j]] = [rest[j], rest[i]];
    }
    const perRuntime = [0, 1].map((r) => [...warm, ...rest].filter((t) => t.runtime === r));
    return { cards, perRuntime };
}
