// The one connection state of a Redis deployment, which the config node fans out to its
// users' statuses. It follows the command client's socket and the health check's round
// trips; every change goes to `onChange`, once.

export type ConnectionState = 'connecting' | 'connected' | 'disconnected' | 'error';

export class ConnectionStateMachine {
    private _state: ConnectionState = 'connecting';
    private _detail = '';
    private everReady = false;
    private closed = false;

    constructor(private readonly onChange: (state: ConnectionState, detail: string) => void) {}

    get state(): ConnectionState {
        return this._state;
    }

    /** Why the state is what it is (an error message), or ''. */
    get detail(): string {
        return this._detail;
    }

    /** The command client is ready, or a round trip came back. */
    connected(): void {
        this.everReady = true;
        this.set('connected');
    }

    // An error (refused, wrong password) stays on show through the retries that follow
    // it, instead of flickering back to "connecting" on every attempt.
    socketClosed(): void {
        if (this._state === 'error') return;
        this.set(this.everReady ? 'disconnected' : 'connecting');
    }

    /** A client error: shown unless the connection is up (errors during retries are noise then). */
    clientError(message: string): void {
        if (this._state !== 'connected') this.set('error', message);
    }

    /** A round trip that failed: the server is not answering, whatever the socket says. */
    checkFailed(message: string): void {
        this.set('error', message);
    }

    /** After close no change is reported: the users are gone. */
    close(): void {
        this.closed = true;
    }

    private set(state: ConnectionState, detail = ''): void {
        if (this.closed || (state === this._state && detail === this._detail)) return;
        this._state = state;
        this._detail = detail;
        this.onChange(state, detail);
    }
}
