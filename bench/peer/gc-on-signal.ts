// Preloaded (node --expose-gc -r) into the Node-RED processes the memory benches measure
// (bench/memory.ts, bench/peer/rss.ts): SIGWINCH runs V8's last-resort collection (all
// available garbage, several full GCs). Without it a process's resident memory 30 to 60 s
// after start-up is either still holding start-up's garbage or not, depending on when V8
// chose to collect it (35 MB either way on the same flows), which swamps what is measured.
// A plain full GC is not enough: V8 keeps the pages it freed in a pool, still resident,
// and hands them back only once it sees the process busy again. An idle Node-RED 5 on
// Node.js 24 held 423 pages of 256 KB (74 MB) for a 52 MB heap; the last-resort flavour
// releases them (161 MB down to 121 MB). Node-RED uses SIGINT, SIGTERM, SIGHUP and
// SIGUSR2; SIGWINCH is otherwise ignored by a process without a terminal.
type Gc = (options?: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;
process.on('SIGWINCH', () => (globalThis as { gc?: Gc }).gc?.({ type: 'major', execution: 'sync', flavor: 'last-resort' }));
