// What a Dashboard 2.0 chart (ui-chart) shows in the browser: the series of its ECharts
// instance, found through the Vue app the dashboard mounts on #app (from its root vnode) (the ui-chart component,
// DBUIChart, keeps its ECharts instance as `chart`). Each series is its name and its points'
// [x, y] as ECharts holds them, so a test reads the figures that are drawn, not a message.
import type { Page } from 'playwright-core';

export interface ChartSeries {
    name: string;
    points: Array<[unknown, number]>;
}

/** The chart's series, or null while the chart widget (or its ECharts instance) is not there yet. */
export async function chartSeries(page: Page, widgetId: string): Promise<ChartSeries[] | null> {
    return page.evaluate((id) => {
        interface VNode { component?: Instance | null; children?: unknown; suspense?: { activeBranch?: VNode } | null }
        interface Instance { type: { name?: string }; props: Record<string, unknown>; subTree?: VNode; proxy?: Record<string, unknown> }
        // Vue keeps the root vnode on the element it is mounted on (in production builds too).
        const root = (document.querySelector('#app') as unknown as { _vnode?: VNode } | null)?._vnode;
        const inVNode = (vnode: VNode | undefined | null): Instance | undefined => {
            if (!vnode || typeof vnode !== 'object') return undefined;
            if (vnode.component) return inInstance(vnode.component);
            if (vnode.suspense?.activeBranch) return inVNode(vnode.suspense.activeBranch);
            if (Array.isArray(vnode.children)) {
                for (const child of vnode.children as VNode[]) {
                    const found = inVNode(child);
                    if (found) return found;
                }
            }
            return undefined;
        };
        const inInstance = (instance: Instance): Instance | undefined =>
            (instance.type.name === 'DBUIChart' && instance.props.id === id ? instance : inVNode(instance.subTree));
        const chart = inVNode(root)?.proxy?.chart as { getOption(): { series?: Array<{ name?: string; data?: unknown[] }> } } | null | undefined;
        if (!chart) return null;
        return (chart.getOption().series ?? []).map((series) => ({
            name: String(series.name ?? ''),
            points: (series.data ?? []).map((point) => {
                const value = (Array.isArray(point) ? point : (point as { value?: unknown[] } | null)?.value) ?? [];
                return [value[0], Number(value[1])] as [unknown, number];
            }),
        }));
    }, widgetId);
}
