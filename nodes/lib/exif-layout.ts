// The parts of EXIF's layout that both sides here use: the simulated camera writes an
// EXIF thumbnail (camera/exif.ts) and the image store reads one (images/exif-thumbnail.ts).
// APP1 holds "Exif\0\0", then a TIFF structure: byte order, the magic 42, directories of
// 12-byte entries; IFD1's JPEGInterchangeFormat(Length) locate the thumbnail.

/** The JPEG marker of the segment that holds EXIF data. */
export const APP1 = 0xe1;
export const EXIF_HEADER = 'Exif\0\0';
export const TIFF_MAGIC = 42;
export const TIFF_HEADER_SIZE = 8;
export const IFD_ENTRY_SIZE = 12;

/** Entry value types. */
export const ASCII = 2;
export const SHORT = 3;
export const LONG = 4;

/** IFD1's tags for the thumbnail: where it starts (from the TIFF header) and its length. */
export const JPEG_INTERCHANGE_FORMAT = 0x0201;
export const JPEG_INTERCHANGE_FORMAT_LENGTH = 0x0202;
