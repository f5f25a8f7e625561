// Bytes that crossed between threads arrive as a Uint8Array that is already the receiver's
// own copy: a Buffer view over it saves copying a picture (megabytes) once more.

export function asBuffer(bytes: Uint8Array): Buffer {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
