// The passes a sales terminal sells: a catalogue of products that users edit in the
// transit-products config node. A sold pass describes itself in its hash (see
// SELL_SCRIPT), so gates honour any product without knowing the catalogue; the original
// three keep the original's layout, so the original gate and monitor keep working.
import { numberSetting } from '../settings';
import { PASS_SLUG, PASS_TYPES, PASS_WORDS, PassType, TEN_TRIP_RIDES, TWO_HOUR_MS } from './pass-types';

export type Starts = 'sale' | 'first-use';

export interface Product {
    /** Stored as the pass's `passType` and part of its event channels (`pass-used:<id>`). */
    id: string;
    label: string;
    /** Rides the pass gives; 0: unlimited. */
    rides: number;
    /** Seconds the pass is valid once started; 0: no limit. */
    validity: number;
    /** When the validity starts: at the sale, or at the first ride. */
    starts: Starts;
}

/** The original system's three passes, as products. */
export const ORIGINAL_PRODUCTS: readonly Product[] = Object.freeze([
    { id: 'SINGLE_USE', label: 'single trip', rides: 1, validity: 0, starts: 'sale' },
    { id: 'TEN_TRIP', label: 'ten trip', rides: TEN_TRIP_RIDES, validity: 0, starts: 'sale' },
    { id: 'TWO_HOUR', label: 'two hour', rides: 0, validity: TWO_HOUR_MS / 1000, starts: 'first-use' },
].map((p) => Object.freeze(p as Product)));

// Part of channel names and of the Lua script's arguments: letters, digits, _ and -.
const PRODUCT_ID = /^[A-Za-z0-9_-]{1,32}$/;
const MAX_PRODUCTS = 50;
/** Ten years: longer is a typing mistake, and stays within Redis's expiry range. */
const MAX_VALIDITY_S = 10 * 365 * 24 * 3600;
const MAX_RIDES = 10000;

export class CatalogueError extends Error {
    constructor(message: string) {
        super(message);
        this.name = 'CatalogueError';
    }
}

/** Checks a catalogue as the config node stores it; throws CatalogueError naming the first fault. */
export function parseCatalogue(value: unknown): Product[] {
    if (!Array.isArray(value)) throw new CatalogueError('the products must be a list');
    if (value.length === 0) throw new CatalogueError('the catalogue has no products');
    if (value.length > MAX_PRODUCTS) throw new CatalogueError(`at most ${MAX_PRODUCTS} products`);
    const seen = new Set<string>();
    return value.map((entry: unknown, i) => {
        const where = `product ${i + 1}`;
        if (!entry || typeof entry !== 'object') throw new CatalogueError(`${where} is not an object`);
        const e = entry as Record<string, unknown>;
        const id = typeof e.id === 'string' ? e.id.trim() : '';
        if (!PRODUCT_ID.test(id)) throw new CatalogueError(`${where}: id ${JSON.stringify(e.id)} must be 1 to 32 letters, digits, _ or -`);
        const key = id.toUpperCase();
        if (seen.has(key)) throw new CatalogueError(`${where}: duplicate id ${id}`);
        seen.add(key);
        const label = typeof e.label === 'string' && e.label.trim() ? e.label.trim().slice(0, 60) : id;
        const rides = whole(e.rides, `${where} (${id}): rides`, MAX_RIDES);
        const validity = whole(e.validity, `${where} (${id}): validity`, MAX_VALIDITY_S);
        const starts = e.starts === undefined || e.starts === '' ? 'sale' : e.starts;
        if (starts !== 'sale' && starts !== 'first-use') {
            throw new CatalogueError(`${where} (${id}): starts must be "sale" or "first-use", not ${JSON.stringify(starts)}`);
        }
        if (rides === 0 && validity === 0) throw new CatalogueError(`${where} (${id}): unlimited rides need a validity`);
        return { id, label, rides, validity, starts };
    });
}

/** A count typed into the editor's product list, read by the one numeric settings parser. */
function whole(value: unknown, what: string, max: number): number {
    let n: number | undefined;
    try {
        n = numberSetting(value, what, { min: 0, max, integer: true });
    } catch {
        n = undefined;
    }
    if (n === undefined) throw new CatalogueError(`${what} must be a whole number from 0 to ${max}, not ${JSON.stringify(value)}`);
    return n;
}

const ORIGINAL_ALIASES = new Map<string, PassType>(Object.entries({
    single_use: 'SINGLE_USE', single: 'SINGLE_USE', 'single-trip': 'SINGLE_USE', 'one-trip': 'SINGLE_USE',
    ten_trip: 'TEN_TRIP', ten: 'TEN_TRIP', 'ten-trip': 'TEN_TRIP',
    two_hour: 'TWO_HOUR', 'two-hour': 'TWO_HOUR', '2h': 'TWO_HOUR',
} as Record<string, PassType>));

export class UnknownPassTypeError extends Error {
    constructor(value: unknown, catalogue: readonly Product[]) {
        const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeof value;
        super(`unknown pass type ${shown}: use ${catalogue.map((p) => p.id).join(', ')}`);
        this.name = 'UnknownPassTypeError';
    }
}

/**
 * The product a button or message names: its id in any case, or for the original three
 * also the short names the node always took ("ten", "2h").
 */
export function findProduct(catalogue: readonly Product[], value: unknown): Product {
    if (typeof value === 'string') {
        const asked = value.trim().toLowerCase();
        const id = ORIGINAL_ALIASES.get(asked)?.toLowerCase() ?? asked;
        const found = catalogue.find((p) => p.id.toLowerCase() === id);
        if (found) return found;
    }
    throw new UnknownPassTypeError(value, catalogue);
}

/**
 * An original pass type sold with the original's rules: stored in the original's layout
 * (`passType`, and `tripsRemaining` for a ten trip), which the original gate understands.
 */
export function isOriginalProduct(product: Product): product is Product & { id: PassType } {
    const original = ORIGINAL_PRODUCTS.find((p) => p.id === product.id);
    return !!original && original.rides === product.rides && original.validity === product.validity && original.starts === product.starts;
}

/** What people call a pass of this product ("ten trip", "day"). */
export function productWords(product: Product): string {
    return isOriginalProduct(product) ? PASS_WORDS[product.id] : product.label;
}

/** The id of the prompt thanking for a product: the original's recording for its three. */
export function thankYouPrompt(product: Product): string {
    const slug = (PASS_TYPES as readonly string[]).includes(product.id) ? PASS_SLUG[product.id as PassType] : product.id.toLowerCase().replace(/_/g, '-');
    return `thank-you-${slug}-pass`;
}
