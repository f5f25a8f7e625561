// The sales terminal's conversation, as in the original: tap a card, choose a pass, tap
// the same card again to buy it (another card cancels). Pure state, no I/O: the node
// performs the actions this returns, which keeps the workflow testable on its own.
/** A product's id (see products.ts): the session does not need to know what it sells. */
type PassType = string;

export type SalePhase =
    | { phase: 'idle' }
    | { phase: 'choosing'; card: string }
    | { phase: 'confirming'; card: string; passType: PassType };

export type SaleEvent =
    | { type: 'card'; card: string }
    | { type: 'select'; passType: PassType }
    | { type: 'cancel' }
    | { type: 'timeout' };

export type SaleAction =
    /** Check whether the card may buy (it has no pass and is not blocked); answer with checked(). */
    | { action: 'check'; card: string }
    | { action: 'prompt'; prompt: string; card?: string; passType?: PassType }
    | { action: 'sell'; card: string; passType: PassType }
    | { action: 'refuse'; card: string; reason: RefuseReason }
    /** Nothing to do for this event in this phase (a button pressed before any card). */
    | { action: 'ignore'; why: string };

export type RefuseReason = 'card-already-has-pass' | 'blocked' | 'mismatch' | 'timeout' | 'cancelled' | 'unavailable';

/** Why a card may not buy a pass at all, as the check finds it. */
export type CardRefusal = 'card-already-has-pass' | 'blocked';

export class SaleSession {
    private state: SalePhase = { phase: 'idle' };

    get current(): SalePhase {
        return this.state;
    }

    get busy(): boolean {
        return this.state.phase !== 'idle';
    }

    handle(event: SaleEvent): SaleAction[] {
        const s = this.state;
        switch (event.type) {
            case 'card':
                if (s.phase === 'confirming') {
                    this.state = { phase: 'idle' };
                    if (event.card === s.card) return [{ action: 'sell', card: s.card, passType: s.passType }];
                    return [
                        { action: 'prompt', prompt: 'mismatch-cancel', card: event.card },
                        { action: 'refuse', card: s.card, reason: 'mismatch' },
                    ];
                }
                // A tap while idle or still choosing starts (over) with this card.
                this.state = { phase: 'idle' };
                return [{ action: 'check', card: event.card }];
            case 'select':
                if (s.phase === 'idle') return [{ action: 'ignore', why: 'no-card' }];
                this.state = { phase: 'confirming', card: s.card, passType: event.passType };
                return [{ action: 'prompt', prompt: 'tap-card-to-confirm', card: s.card, passType: event.passType }];
            case 'cancel':
            case 'timeout': {
                if (s.phase === 'idle') return [{ action: 'ignore', why: 'idle' }];
                this.state = { phase: 'idle' };
                // Every way a sale ends is spoken, so a screen showing the last prompt never
                // still asks for a pass after the sale has gone.
                const [prompt, reason] = event.type === 'cancel' ? ['sale-cancelled', 'cancelled'] as const : ['timeout-cancel', 'timeout'] as const;
                return [{ action: 'prompt', prompt, card: s.card }, { action: 'refuse', card: s.card, reason }];
            }
        }
    }

    /** The answer to a 'check' action: why this card may not buy a pass, or undefined when it may. */
    checked(card: string, refusal: CardRefusal | undefined): SaleAction[] {
        if (refusal) {
            this.state = { phase: 'idle' };
            return [
                { action: 'prompt', prompt: refusal === 'blocked' ? 'card-blocked' : 'card-already-has-pass', card },
                { action: 'refuse', card, reason: refusal },
            ];
        }
        this.state = { phase: 'choosing', card };
        return [{ action: 'prompt', prompt: 'select-a-pass', card }];
    }

    reset(): void {
        this.state = { phase: 'idle' };
    }
}
