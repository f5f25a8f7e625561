// Which failures of a Redis command mean "Redis is not there right now": callers answer
// those as unavailable (a gate denies, a terminal refuses) instead of as their own fault.

/** True for errors that mean "Redis did not answer", as opposed to a reply error. */
export function isUnavailableError(err: unknown): boolean {
    if (!(err instanceof Error)) return false;
    // Reply errors are answers (WRONGTYPE, a script error) except these, which mean the
    // server cannot take commands right now.
    if (err.name === 'ReplyError') return /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|READONLY|NOREPLICAS)\b/.test(err.message);
    return true;
}
