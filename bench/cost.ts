// What a run of operations costs this process, for a Pi's budget on paper (issue 13):
// CPU time and V8 heap bytes allocated, each divided by the number of operations.
import v8 from 'v8';

export interface Cost {
    /** process.cpuUsage() user + system over the run, per operation, in µs: every thread of the process, the GC's too. */
    cpuMicros: number;
    /** V8 heap bytes allocated over the run, per operation (see heapAllocated). */
    heapBytes: number;
}

/**
 * Starts counting; `stop(ops)` gives the cost per operation. V8 keeps no running total of
 * bytes allocated that Node exposes, so it is rebuilt from what it does expose: the used
 * heap at the end minus at the start, plus what each garbage collection in between freed
 * (v8.GCProfiler records the used heap before and after every one). Buffers' bytes live
 * outside the V8 heap and are not counted; the caller's own bookkeeping (its promises and
 * its array of latencies) is.
 */
export function startCost(): { stop(ops: number): Cost } {
    const profiler = new v8.GCProfiler();
    profiler.start();
    const usedAtStart = v8.getHeapStatistics().used_heap_size;
    const cpuAtStart = process.cpuUsage();
    return {
        stop(ops: number): Cost {
            const cpu = process.cpuUsage(cpuAtStart);
            const usedAtEnd = v8.getHeapStatistics().used_heap_size;
            const { statistics } = profiler.stop();
            const freed = statistics.reduce((sum, gc) => sum + gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize, 0);
            const n = Math.max(1, ops);
            return { cpuMicros: (cpu.user + cpu.system) / n, heapBytes: (usedAtEnd - usedAtStart + freed) / n };
        },
    };
}
