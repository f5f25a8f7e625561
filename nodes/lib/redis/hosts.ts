// Host lists typed into the config node's editor (sentinels, cluster seed nodes).

export interface HostPort {
    host: string;
    port: number;
}

/** Parses "host:port, host:port" lists typed into the editor. */
export function parseHostList(text: string | undefined, defaultPort: number): HostPort[] {
    if (!text) return [];
    return text.split(/[\s,]+/).filter(Boolean).map((item) => {
        // host, host:port, [ipv6] or [ipv6]:port
        const match = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d+))?$/.exec(item);
        if (!match) throw new Error(`not a host[:port]: ${item}`);
        const port = match[3] ? Number(match[3]) : defaultPort;
        if (port < 1 || port > 65535) throw new Error(`bad port in ${item}`);
        return { host: match[1] ?? match[2], port };
    });
}
