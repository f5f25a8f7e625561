// The soak's riders: which card taps next, which card the sales terminal sells to, and
// what each answer must be. The model knows every pass it bought and every ride taken,
// so each decision is checked against what the pass allows (a lost or doubled charge
// shows up as an unexpected answer), and a card is never tapped while an earlier tap or
// sale of it is still in flight.
import type { PassType } from '../../nodes/lib/transit/pass-types';
import type { NodeAnswer } from './flows';

interface Pass {
    card: string;
    passType: PassType;
    /** Entries left before the rider stops using the card (a two hour rider stops after a few). */
    ridesLeft: number;
    tripsRemaining?: number;
    lastTapAt: number;
    lastGrantAt: number;
    repeated: boolean;
    busy: boolean;
}

type TapKind = 'ride' | 'repeat' | 'stranger';

interface PlannedTap {
    card: string;
    kind: TapKind;
    /** Settles the model with the gate's answer; returns what was wrong with it, if anything. */
    settle(answer: NodeAnswer | undefined, at: number): string | undefined;
}

interface PlannedSale {
    card: string;
    passType: PassType;
    settle(answer: NodeAnswer | undefined): string | undefined;
}

interface RiderOptions {
    /** Cards holding a pass the driver keeps ready for riders. */
    supply: number;
    /** Share of taps by a card that never had a pass (denied: no-pass). */
    strangerShare: number;
    /** Share of taps that repeat a granted card within the gate's repeat window (denied: repeat-tap). */
    repeatShare: number;
    /** Share of sales to a card that already holds a pass (refused). */
    refusedSaleShare: number;
    /** The gate's repeat window, ms. */
    repeatWindowMs: number;
}

const PASS_MIX: Array<[PassType, number]> = [['SINGLE_USE', 0.4], ['TEN_TRIP', 0.35], ['TWO_HOUR', 0.25]];

export class Riders {
    private readonly passes = new Map<string, Pass>();
    private nextCard = 1;
    private nextStranger = 1;
    private pendingSales = 0;

    constructor(private readonly options: RiderOptions) {}

    /** Cards with a pass, and sales still in flight that will add one. */
    get supplied(): number {
        return this.passes.size + this.pendingSales;
    }

    get salesWanted(): number {
        return Math.max(0, this.options.supply - this.supplied);
    }

    planSale(): PlannedSale {
        const holder = Math.random() < this.options.refusedSaleShare ? this.pick((p) => !p.busy) : undefined;
        if (holder) {
            holder.busy = true;
            const passType = this.passType();
            return {
                card: holder.card, passType,
                settle: (answer) => {
                    holder.busy = false;
                    return expect(answer, 'refused', { reason: 'card-already-has-pass' });
                },
            };
        }
        const card = cardId(0xc0000000 + this.nextCard++);
        const passType = this.passType();
        this.pendingSales++;
        return {
            card, passType,
            settle: (answer) => {
                this.pendingSales--;
                const wrong = expect(answer, 'sold', passType === 'TEN_TRIP' ? { passType, tripsRemaining: 10 } : { passType });
                if (!wrong) this.passes.set(card, newPass(card, passType));
                return wrong;
            },
        };
    }

    planTap(now: number): PlannedTap {
        const roll = Math.random();
        if (roll < this.options.repeatShare) {
            // Well inside the window, measured from when the grant was answered.
            const recent = this.pick((p) => !p.busy && !p.repeated && now - p.lastGrantAt < this.options.repeatWindowMs / 2);
            if (recent) return this.repeatTap(recent);
        }
        if (roll < this.options.repeatShare + this.options.strangerShare) return this.strangerTap();
        // Past the window (with a margin) since its last tap, so a grant is due.
        const ready = this.pick((p) => !p.busy && now - p.lastTapAt > this.options.repeatWindowMs + 1000);
        return ready ? this.rideTap(ready) : this.strangerTap();
    }

    private rideTap(pass: Pass): PlannedTap {
        pass.busy = true;
        const wanted: Record<string, unknown> = { passType: pass.passType };
        if (pass.tripsRemaining !== undefined) wanted.remainingTrips = pass.tripsRemaining - 1;
        return {
            card: pass.card, kind: 'ride',
            settle: (answer, at) => {
                pass.busy = false;
                pass.lastTapAt = at;
                const wrong = expect(answer, 'granted', wanted);
                if (wrong) {
                    // Whatever Redis holds for this card now is unknown: stop using it.
                    this.passes.delete(pass.card);
                    return wrong;
                }
                pass.lastGrantAt = at;
                pass.repeated = false;
                if (pass.tripsRemaining !== undefined) pass.tripsRemaining--;
                if (--pass.ridesLeft <= 0) this.passes.delete(pass.card);
                return undefined;
            },
        };
    }

    private repeatTap(pass: Pass): PlannedTap {
        pass.busy = true;
        pass.repeated = true;
        return {
            card: pass.card, kind: 'repeat',
            settle: (answer, at) => {
                pass.busy = false;
                pass.lastTapAt = at;
                return expect(answer, 'denied', { reason: 'repeat-tap' });
            },
        };
    }

    private strangerTap(): PlannedTap {
        const card = cardId(0x5a000000 + (this.nextStranger++ % 0xffffff));
        return { card, kind: 'stranger', settle: (answer) => expect(answer, 'denied', { reason: 'no-pass' }) };
    }

    private passType(): PassType {
        let roll = Math.random();
        for (const [type, share] of PASS_MIX) {
            if (roll < share) return type;
            roll -= share;
        }
        return 'SINGLE_USE';
    }

    /** A matching pass, looking from a random place so that every card gets its turn. */
    private pick(matches: (pass: Pass) => boolean): Pass | undefined {
        const all = [...this.passes.values()];
        const start = Math.floor(Math.random() * all.length);
        for (let i = 0; i < all.length; i++) {
            const pass = all[(start + i) % all.length] as Pass;
            if (matches(pass)) return pass;
        }
        return undefined;
    }
}

function newPass(card: string, passType: PassType): Pass {
    const ridesLeft = passType === 'SINGLE_USE' ? 1 : passType === 'TEN_TRIP' ? 10 : 2 + Math.floor(Math.random() * 5);
    return {
        card, passType, ridesLeft, tripsRemaining: passType === 'TEN_TRIP' ? 10 : undefined,
        lastTapAt: 0, lastGrantAt: 0, repeated: false, busy: false,
    };
}

function cardId(n: number): string {
    return n.toString(16).toUpperCase().padStart(8, '0');
}

/** Undefined when the answer has this topic and these payload fields; otherwise what differs. */
function expect(answer: NodeAnswer | undefined, topic: string, fields: Record<string, unknown>): string | undefined {
    if (!answer) return 'no answer';
    const got = answer.payload ?? {};
    const differs = Object.entries(fields).filter(([key, value]) => got[key] !== value);
    if (answer.topic === topic && differs.length === 0) return undefined;
    const reason = typeof got.reason === 'string' ? ` (${got.reason})` : '';
    return `wanted ${topic} ${JSON.stringify(fields)}, got ${answer.topic}${reason} ${JSON.stringify(got)}`;
}
