// The sales terminal without Node-RED: the conversation (SaleSession), the Redis sale,
// the one-at-a-time queue and the confirmation timeout. The transit-sale node turns
// messages into requests and what this says into messages and statuses.
import { isUnavailableError } from '../redis/errors';
import { InvalidCardError } from '../card-id';
import { findProduct, Product, productWords, thankYouPrompt } from './products';
import { PROMPT_TEXT } from '../audio/prompts';
import { RefuseReason, SaleAction, SaleEvent, SaleSession } from './sale-session';
import { checkOperationId, TransitStore } from './store';

/** What a message asks: a sale at once, or a step of the conversation. */
export type SaleRequest =
    | { type: 'direct'; card: string; product: Product; saleId: string }
    | { type: 'session'; event: SaleEvent; saleId: string };

export interface SoldPass {
    card: string;
    passType: string;
    issuedAt?: number;
    tripsRemaining?: number;
    label?: string;
    expiresAt?: number;
}

/** What the terminal says, in order, each about the request it answers (undefined: the timeout). */
export type TerminalOutput =
    | { kind: 'prompt'; prompt: string; text: string; card?: string; passType?: string }
    | { kind: 'sold'; pass: SoldPass; saleId: string }
    | { kind: 'refused'; card: string | null; reason: RefuseReason | 'invalid-card' }
    | { kind: 'waiting'; step: 'select-a-pass' | 'tap-card-to-confirm' | 'tap-card-first' };

export interface TerminalSettings {
    store: TransitStore;
    catalogue: readonly Product[];
    terminalId: string;
    /** How long a started sale waits for the next step, in ms; 0: for ever. */
    timeoutMs: number;
}

/** A sale id that cannot be part of a key: the flow's mistake, not the customer's. */
export class BadSaleIdError extends Error {
    constructor(readonly cause: Error) {
        super(cause.message);
        this.name = 'BadSaleIdError';
    }
}

type Say<M> = (output: TerminalOutput, origin: M | undefined) => void;

export class SalesTerminal<M> {
    private readonly session = new SaleSession();
    // Requests are handled one after another: a tap arriving while the previous one is
    // still being checked in Redis must see the state that check leaves.
    private queue: Promise<void> = Promise.resolve();
    private timer: NodeJS.Timeout | undefined;

    constructor(private readonly settings: TerminalSettings, private readonly say: Say<M>,
        private readonly onTimeoutError: (err: unknown) => void) {}

    get catalogue(): readonly Product[] {
        return this.settings.catalogue;
    }

    /** The words of the prompt inviting a choice, from the catalogue ("single trip, ten trip or two hour"). */
    get choices(): string {
        const words = this.settings.catalogue.map(productWords);
        return words.length > 1 ? `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}` : words[0];
    }

    product(value: unknown): Product {
        return findProduct(this.settings.catalogue, value);
    }

    /**
     * Queues a request; `parse` runs in its turn (a refused card is answered after the
     * requests before it). Resolves when it has been handled; rejects with what the flow
     * should be told (the customer has already been answered).
     */
    submit(origin: M, parse: () => SaleRequest): Promise<void> {
        const step = this.queue.then(() => this.run(origin, parse)).finally(() => this.restartTimer());
        this.queue = step.catch(() => undefined);
        return step;
    }

    close(): void {
        if (this.timer) clearTimeout(this.timer);
        this.session.reset();
    }

    private async run(origin: M, parse: () => SaleRequest): Promise<void> {
        let request: SaleRequest;
        try {
            request = parse();
        } catch (err) {
            // A screen wants to show an unreadable card as a refusal; the flow still gets the error.
            if (err instanceof InvalidCardError) this.say({ kind: 'refused', card: null, reason: 'invalid-card' }, origin);
            throw err;
        }
        if (request.type === 'direct') return this.sell(origin, request.card, request.product, request.saleId);
        return this.perform(origin, this.session.handle(request.event), request.saleId);
    }

    private prompt(origin: M | undefined, prompt: string, extra: { card?: string; passType?: string } = {}, text = PROMPT_TEXT[prompt]): void {
        this.say({ kind: 'prompt', prompt, text, ...extra }, origin);
    }

    private unavailable(origin: M | undefined, card: string, err: unknown): void {
        this.session.reset();
        this.prompt(origin, 'system-unavailable', { card });
        this.say({ kind: 'refused', card, reason: 'unavailable' }, origin);
        if (!isUnavailableError(err)) throw err;
    }

    private async sell(origin: M | undefined, card: string, product: Product, saleId: string): Promise<void> {
        try {
            checkOperationId(saleId, 'sale id');
        } catch (err) {
            throw new BadSaleIdError(err as Error);
        }
        let sale;
        try {
            sale = await this.settings.store.sell(card, product, saleId, this.settings.terminalId);
        } catch (err) {
            return this.unavailable(origin, card, err);
        }
        if (!sale.sold) {
            const reason = sale.reason ?? 'card-already-has-pass';
            this.prompt(origin, reason === 'blocked' ? 'card-blocked' : reason, { card });
            return this.say({ kind: 'refused', card, reason }, origin);
        }
        // The original three have recorded prompts with these very words; any other product
        // is spoken from its name (audio-prompt synthesises words it has no recording of).
        this.prompt(origin, thankYouPrompt(product), { card, passType: product.id }, `Thank you for buying a ${productWords(product)} pass.`);
        const pass: SoldPass = { card, passType: product.id, issuedAt: sale.issuedAt };
        if (sale.tripsRemaining !== undefined) pass.tripsRemaining = sale.tripsRemaining;
        if (sale.label !== undefined) pass.label = sale.label;
        if (sale.expiresAt !== undefined) pass.expiresAt = sale.expiresAt;
        this.say({ kind: 'sold', pass, saleId }, origin);
    }

    private async perform(origin: M | undefined, actions: SaleAction[], saleId: string): Promise<void> {
        for (const a of actions) {
            switch (a.action) {
                case 'check': {
                    let refusal;
                    try {
                        refusal = await this.settings.store.saleRefusal(a.card);
                    } catch (err) {
                        return this.unavailable(origin, a.card, err);
                    }
                    await this.perform(origin, this.session.checked(a.card, refusal), saleId);
                    break;
                }
                case 'prompt':
                    if (a.prompt === 'select-a-pass') {
                        this.prompt(origin, a.prompt, { card: a.card }, `Please select a pass: ${this.choices}.`);
                    } else {
                        this.prompt(origin, a.prompt, { card: a.card, passType: a.passType });
                    }
                    if (a.prompt === 'select-a-pass' || a.prompt === 'tap-card-to-confirm') this.say({ kind: 'waiting', step: a.prompt }, origin);
                    break;
                case 'sell':
                    await this.sell(origin, a.card, this.product(a.passType), saleId);
                    break;
                case 'refuse':
                    this.say({ kind: 'refused', card: a.card, reason: a.reason }, origin);
                    break;
                case 'ignore':
                    this.say({ kind: 'waiting', step: 'tap-card-first' }, origin);
                    break;
            }
        }
    }

    private restartTimer(): void {
        if (this.timer) clearTimeout(this.timer);
        this.timer = undefined;
        if (!this.session.busy || this.settings.timeoutMs === 0) return;
        this.timer = setTimeout(() => {
            this.queue = this.queue.then(() => this.perform(undefined, this.session.handle({ type: 'timeout' }), ''))
                .catch(this.onTimeoutError)
                .finally(() => this.restartTimer());
        }, this.settings.timeoutMs);
    }
}
