// pi-camera: any input takes a still with rpicam-still (or libcamera-still) and sends the
// JPEG on in msg.payload with msg.image metadata. Captures are queued, because only one
// process can hold the camera; without a camera it sends a simulated test card instead.
// The queue is bounded (maxQueue, maxWait): a capture beyond it fails with an error that a
// Catch node sees, rather than a picture taken long after its trigger.
import type { Node, NodeAPI, NodeDef, NodeStatus } from 'node-red';
import { handleInput, InputError, refuseInput } from '../common/input';
import { CameraSource, chooseSource, takeStill } from '../lib/camera/camera';
import { CaptureError } from '../lib/camera/errors';
import { CaptureQueue } from '../lib/camera/queue';
import { CAMERA_QUEUE_DEFAULTS, CameraSettings, parseCameraSettings, RawCameraSettings } from '../lib/camera/settings';
import { DropReport } from '../lib/drop-report';
import { checkCamera, DEFAULT_CAMERA } from '../lib/images/ids';
import { parseQueueLimits, QueueLimits, RawQueueLimits } from '../lib/queue-limits';

interface PiCameraDef extends NodeDef, RawCameraSettings, RawQueueLimits {
    cameraName?: string;
}

export = function register(RED: NodeAPI): void {
    function PiCamera(this: Node, config: PiCameraDef) {
        RED.nodes.createNode(this, config);
        const node = this;

        let settings: CameraSettings;
        let cameraName: string;
        let limits: QueueLimits;
        try {
            settings = parseCameraSettings(config);
            cameraName = cameraNameSetting(config.cameraName);
            limits = parseQueueLimits(config, CAMERA_QUEUE_DEFAULTS);
        } catch (err) {
            refuseInput(node, RED._('pi-camera.errors.bad-setting', { detail: (err as Error).message }), 'bad-setting');
            return;
        }
        const queue = new CaptureQueue(limits);
        // Node-RED logs an error only when no Catch node handles it: refusals are logged here
        // too, at once and then at most every few seconds with the counts.
        const refusals = new DropReport(['late', 'queue-full'] as const, (counts, count) => node.warn(RED._('pi-camera.log.refused', {
            count, late: counts.late, full: counts['queue-full'], maxWait: limits.maxWaitMs / 1000, maxQueue: limits.maxWaiting,
        })));

        const simulatedStatus: NodeStatus = { fill: 'grey', shape: 'ring', text: RED._('pi-camera.status.simulated') };
        let idleStatus: NodeStatus = {};
        const source: Promise<CameraSource> = chooseSource(settings).then((chosen) => {
            if (chosen.kind === 'simulated') {
                idleStatus = simulatedStatus;
                node.status(idleStatus);
                // Say once why there are no real pictures: the flow still works, with test cards.
                if (chosen.reason !== 'mode') node.log(RED._(`pi-camera.log.${chosen.reason}`));
            }
            return chosen;
        });

        const asInputError = (err: unknown): never => {
            if (err instanceof CaptureError) {
                throw new InputError(RED._(`pi-camera.errors.${err.code}`, { detail: err.detail }), err.code);
            }
            throw err;
        };

        handleInput(node, async (msg, send) => {
            const chosen = await source;
            let still;
            try {
                still = await queue.run((signal) => {
                    node.status({ fill: 'blue', shape: 'dot', text: RED._('pi-camera.status.capturing') });
                    return takeStill(chosen, settings, cameraName, signal);
                });
            } catch (err) {
                if (err instanceof CaptureError && err.code === 'stopped') return; // closing: the flow is being replaced
                if (err instanceof CaptureError && (err.code === 'late' || err.code === 'queue-full')) refusals.add(err.code);
                asInputError(err);
                return;
            }
            if (queue.length === 0) node.status(chosen.kind === 'real' ? { fill: 'green', shape: 'dot', text: new Date(still.timestamp).toLocaleTimeString() } : idleStatus);
            msg.payload = still.jpeg;
            msg.image = {
                timestamp: still.timestamp,
                width: still.width,
                height: still.height,
                size: still.jpeg.length,
                mimeType: 'image/jpeg',
                camera: cameraName,
                ...(still.lux === undefined ? {} : { lux: still.lux }),
            };
            send(msg);
        });

        node.on('close', (_removed: boolean, done: () => void) => {
            refusals.stop();
            void queue.stop().then(done, done);
        });
    }

    RED.nodes.registerType('pi-camera', PiCamera);
};

/**
 * The name sent with each picture (and drawn on the test card): text that redis-image-store
 * accepts as a camera name, so a flow file holding a number, an object or pages of text
 * here is a bad setting at deploy rather than a store error at every picture.
 */
function cameraNameSetting(value: unknown): string {
    if (value === undefined || value === null) return DEFAULT_CAMERA;
    if (typeof value !== 'string') throw new Error(`invalid camera name: a ${typeof value}, not text`);
    try {
        return checkCamera(value.trim());
    } catch {
        throw new Error('invalid camera name: at most 64 characters, no control characters');
    }
}
