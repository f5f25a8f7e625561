// Image ids and the key names derived from them. New ids are `<capture ms>-<seq>` (seq
// from one INCR, so two images never share an id, even in the same millisecond or from
// two Pis); the original capture script's ids are unix seconds (10 digits). Anything
// else is not an id: routes answer 404 without asking Redis.

export const IMAGE_ID = /^\d{10}(\d{3}-\d{1,15})?$/;
const LEGACY_ID = /^\d{10}$/;

export const DEFAULT_KEY_PREFIX = 'image:';
export const DEFAULT_INDEX = 'image-index';
export const DEFAULT_CAMERA = 'camera';

export function isImageId(id: unknown): id is string {
    return typeof id === 'string' && IMAGE_ID.test(id);
}

export function isLegacyId(id: string): boolean {
    return LEGACY_ID.test(id);
}

// No glob characters: the key prefix is also a SCAN MATCH pattern for legacy images.
const KEY_PART = /^[^\s*?[\]{}\\]{1,200}$/;

function checkKeyPart(value: string, what: string): void {
    if (!KEY_PART.test(value)) throw new Error(`invalid ${what} ${JSON.stringify(value.slice(0, 40))}`);
}

/** Camera names are shown to people and used in a key: any text but control characters. */
export function checkCamera(camera: unknown): string {
    if (camera === undefined || camera === null || camera === '') return DEFAULT_CAMERA;
    // eslint-disable-next-line no-control-regex
    if (typeof camera !== 'string' || camera.length > 64 || /[\u0000-\u001f\u007f]/.test(camera)) {
        throw new Error('msg.image.camera must be a name of at most 64 characters');
    }
    return camera;
}

/** Every key of one image set, derived from the node's key prefix and index name. */
export interface ImageKeys {
    /** Redis Cluster layout: every key carries the index name as its hash tag. */
    cluster: boolean;
    keyPrefix: string;
    index: string;
    seq: string;
    bytes: string;
    sizes: string;
    cameras: string;
    channel: string;
    image(id: string): string;
    camera(name: string): string;
}

export function imageKeys(keyPrefix: string, index: string, cluster = false): ImageKeys {
    checkKeyPart(keyPrefix, 'key prefix');
    checkKeyPart(index, 'index key');
    if (cluster) {
        // One store script touches the hash, the indexes and the counters together, so in
        // a Redis Cluster they must share a slot: each key carries the index name as its
        // hash tag ("{image-index}" hashes like "image-index"). The original's
        // `image:<id>` layout cannot be kept there.
        index = `{${index}}`;
        keyPrefix = `${keyPrefix}${index}:`;
    }
    return {
        cluster,
        keyPrefix,
        index,
        seq: `${index}:seq`,
        bytes: `${index}:bytes`,
        sizes: `${index}:sizes`,
        cameras: `${index}:cameras`,
        channel: `${index}:new`,
        image: (id) => `${keyPrefix}${id}`,
        camera: (name) => `${index}:camera:${name}`,
    };
}
