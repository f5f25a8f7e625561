// Preloaded (node --expose-gc -r) into the Node-RED processes the peer bench measures:
// SIGWINCH runs a full garbage collection. Without it a process's resident memory 30 to
// 60 s after start-up is either still holding start-up's garbage or not, depending on
// when V8 chose to collect it (35 MB either way on the same flows), which swamps the
// difference between the two sides. Node-RED uses SIGINT, SIGTERM, SIGHUP and SIGUSR2;
// SIGWINCH is otherwise ignored by a process without a terminal.
process.on('SIGWINCH', () => (globalThis as { gc?: () => void }).gc?.());
