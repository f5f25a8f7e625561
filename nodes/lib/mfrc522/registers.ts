// MFRC522 register map, PCD commands and the ISO/IEC 14443-3A PICC commands, shared by
// the driver and the simulated chip so both speak exactly the same numbers.

/** Register addresses (MFRC522 datasheet, section 9). */
export const Reg = {
    Command: 0x01,
    ComIEn: 0x02,
    DivIEn: 0x03,
    ComIrq: 0x04,
    DivIrq: 0x05,
    Error: 0x06,
    Status1: 0x07,
    Status2: 0x08,
    FIFOData: 0x09,
    FIFOLevel: 0x0a,
    WaterLevel: 0x0b,
    Control: 0x0c,
    BitFraming: 0x0d,
    Coll: 0x0e,
    Mode: 0x11,
    TxMode: 0x12,
    RxMode: 0x13,
    TxControl: 0x14,
    TxASK: 0x15,
    TxSel: 0x16,
    RxSel: 0x17,
    RxThreshold: 0x18,
    Demod: 0x19,
    CRCResultH: 0x21,
    CRCResultL: 0x22,
    ModWidth: 0x24,
    RFCfg: 0x26,
    TMode: 0x2a,
    TPrescaler: 0x2b,
    TReloadH: 0x2c,
    TReloadL: 0x2d,
    Version: 0x37,
} as const;

/** Values written to CommandReg. */
export const PcdCommand = {
    Idle: 0x00,
    Mem: 0x01,
    CalcCRC: 0x03,
    Transmit: 0x04,
    Receive: 0x08,
    Transceive: 0x0c,
    MFAuthent: 0x0e,
    SoftReset: 0x0f,
} as const;

/** CommandReg: the chip is in (soft) power-down while this bit is set. */
export const COMMAND_POWER_DOWN = 0x10;

/** ComIrqReg bits; bit 7 (Set1) chooses whether written 1-bits set or clear flags. */
export const ComIrq = {
    Set1: 0x80,
    Tx: 0x40,
    Rx: 0x20,
    Idle: 0x10,
    HiAlert: 0x08,
    LoAlert: 0x04,
    Err: 0x02,
    Timer: 0x01,
} as const;

/** DivIrqReg bits; bit 7 (Set2) works like Set1. */
export const DivIrq = { Set2: 0x80, MfinAct: 0x10, Crc: 0x04 } as const;

/** ErrorReg bits. */
export const ErrorBits = {
    WrErr: 0x80,
    TempErr: 0x40,
    BufferOvfl: 0x10,
    CollErr: 0x08,
    CRCErr: 0x04,
    ParityErr: 0x02,
    ProtocolErr: 0x01,
} as const;

/** CollReg: ValuesAfterColl must be 0 for bit-oriented anticollision. */
export const CollBits = { ValuesAfterColl: 0x80, CollPosNotValid: 0x20, CollPosMask: 0x1f } as const;

/** BitFramingReg: StartSend, RxAlign (bits 6..4) and TxLastBits (bits 2..0). */
export const BIT_FRAMING_START_SEND = 0x80;

/** FIFOLevelReg: writing this bit empties the FIFO. */
export const FIFO_FLUSH = 0x80;

export const FIFO_SIZE = 64;

/** TxControlReg: Tx1RFEn | Tx2RFEn drive the antenna. */
export const TX_CONTROL_ANTENNA = 0x03;

/** VersionReg values of genuine chips and known clones; 0x00/0xFF mean nothing answers. */
export const KNOWN_VERSIONS: Record<number, string> = {
    0x88: 'FM17522',
    0x90: 'MFRC522 v0.0',
    0x91: 'MFRC522 v1.0',
    0x92: 'MFRC522 v2.0',
    0x12: 'MFRC522 clone',
    0xb2: 'FM17522 clone',
};

/** ISO/IEC 14443-3A commands sent to the card (PICC). */
export const Picc = {
    REQA: 0x26,
    WUPA: 0x52,
    HLTA: 0x50,
    /** SEL codes for cascade levels 1, 2 and 3. */
    SEL: [0x93, 0x95, 0x97] as readonly number[],
    /** NVB for a full SELECT (7 valid bytes) and for the first anticollision frame (2 bytes). */
    NVB_SELECT: 0x70,
    NVB_ANTICOLLISION: 0x20,
    CASCADE_TAG: 0x88,
    /** SAK bit 3 (0x04): the UID is not complete, go to the next cascade level. */
    SAK_UID_INCOMPLETE: 0x04,
} as const;
