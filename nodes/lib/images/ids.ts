// Image ids and the key names derived from them. Ids are decimal numbers of seconds:
//
// - new ids, `<10-digit seconds>.<3-digit ms><12-digit seq>`: the moment Redis stored the
//   picture, then a sequence from one INCR, so two images never share an id, even in the
//   same millisecond or from two Pis. The original gallery (v0.0.2) titles a picture
//   `new Date(parseInt(imageId * 1000, 10))`, which for these ids is the stored moment;
//   the ms digits come first, so the seconds are exact, and the zero-padded sequence keeps
//   ids of one millisecond in lexical order (the index's tie-break);
// - the original capture script's ids, unix seconds (10 digits);
// - ids of earlier releases, `<13-digit ms>-<seq>`, still found in Redis until they age out.
//
// Anything else is not an id: routes answer 404 without asking Redis.

const NEW_ID = /^(\d{10})\.(\d{3})\d{12,15}$/;
const DASHED_ID = /^(\d{13})-\d{1,15}$/;
const LEGACY_ID = /^\d{10}$/;
export const IMAGE_ID = new RegExp(`${NEW_ID.source}|${DASHED_ID.source}|${LEGACY_ID.source}`);

export const DEFAULT_KEY_PREFIX = 'image:';
export const DEFAULT_INDEX = 'image-index';
export const DEFAULT_CAMERA = 'camera';

export function isImageId(id: unknown): id is string {
    return typeof id === 'string' && IMAGE_ID.test(id);
}

export function isLegacyId(id: string): boolean {
    return LEGACY_ID.test(id);
}

/**
 * The index score of an id, in ms: when Redis stored it for our ids; for the original's,
 * its own seconds (it has no stored time). NaN for anything that is not an id.
 */
export function storedMsOfId(id: string): number {
    const fresh = NEW_ID.exec(id);
    if (fresh) return Number(fresh[1]) * 1000 + Number(fresh[2]);
    const dashed = DASHED_ID.exec(id);
    if (dashed) return Number(dashed[1]);
    return LEGACY_ID.test(id) ? Number(id) * 1000 : NaN;
}

// No glob characters: the key prefix is also a SCAN MATCH pattern for legacy images.
// The editors check the same rules (test/nodes/editor-rules.test.ts keeps them equal).
export const KEY_PART = /^[^\s*?[\]{}\\]{1,200}$/;

function checkKeyPart(value: string, what: string): void {
    if (!KEY_PART.test(value)) throw new Error(`invalid ${what} ${JSON.stringify(value.slice(0, 40))}`);
}

/** Camera names are shown to people and used in a key: any text but control characters. */
// eslint-disable-next-line no-control-regex
export const CAMERA_NAME = /^[^\u0000-\u001f\u007f]{0,64}$/;

export function checkCamera(camera: unknown): string {
    if (camera === undefined || camera === null || camera === '') return DEFAULT_CAMERA;
    if (typeof camera !== 'string' || !CAMERA_NAME.test(camera)) {
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
    /** Measured pictures by their lux (the gallery's brightness filter). */
    lux: string;
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
        lux: `${index}:lux`,
        image: (id) => `${keyPrefix}${id}`,
        camera: (name) => `${index}:camera:${name}`,
    };
}
