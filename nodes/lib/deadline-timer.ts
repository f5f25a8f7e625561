// The one timer of a queue whose waiting entries each have a deadline to start by
// (performance.now() ms, Infinity for none), oldest first. It fires at the oldest entry's
// deadline, so a late entry is dropped at that moment, not when its turn finally comes
// (the audio prompts' and the camera's queues).
export class DeadlineTimer {
    private timer: NodeJS.Timeout | undefined;

    /** oldest: the oldest waiting entry's deadline, undefined when none (or stopped); expire: drops the late ones. */
    constructor(private readonly oldest: () => number | undefined, private readonly expire: () => void) {}

    arm(): void {
        this.cancel();
        const deadline = this.oldest();
        if (deadline === undefined || deadline === Infinity) return;
        this.timer = setTimeout(() => {
            this.expire();
            this.arm();
        }, Math.max(1, Math.ceil(deadline - performance.now())));
    }

    cancel(): void {
        clearTimeout(this.timer);
        this.timer = undefined;
    }
}
