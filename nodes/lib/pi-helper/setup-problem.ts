// What the hardware helper reports when it cannot open a device, turned into advice: a
// SetupProblem names the one command that fixes it (install a module, enable SPI, join a
// group), which the nodes show as their status and in their log. Other reports become plain
// errors (a busy line, a failed open) or, where there is no header GPIO chip, a reason to
// run simulated.
import os from 'os';

/** A missing prerequisite on a Raspberry Pi, with the one command that supplies it. */
export class SetupProblem extends Error {
    constructor(readonly problem: string, readonly command: string, readonly afterwards?: string) {
        super(`${problem}: run ${command}${afterwards ? `, then ${afterwards}` : ''}`);
        this.name = 'SetupProblem';
    }

    /** The command, and what to do after it where it takes effect only then. */
    get fix(): string {
        return this.afterwards ? `${this.command}, then ${this.afterwards}` : this.command;
    }

    /** A red status shows the command itself: cut short, it would be no use. */
    get statusText(): string {
        return this.command;
    }
}

/** The helper's FATAL report. */
export interface HelperReport {
    problem: 'module' | 'no-device' | 'permission' | 'no-chip' | 'busy' | 'failed' | string;
    detail: string;
    module?: string;
    package?: string;
    path?: string;
    group?: string;
}

export function noPython(): SetupProblem {
    return new SetupProblem('python3 is not installed', 'sudo apt install python3');
}

/** Where the device is, for the advice: SPI bus 0 is switched on by raspi-config, others by an overlay. */
export interface ReportContext {
    spiBus?: number;
}

/** The advice for a report; undefined for 'no-chip', which is not a problem to fix but a machine without the header. */
export function adviceFor(report: HelperReport, context: ReportContext = {}): Error | undefined {
    switch (report.problem) {
        case 'module':
            return new SetupProblem(`the Python module ${report.module} is not installed`, `sudo apt install ${report.package}`);
        case 'no-device':
            return spiOff(report.path ?? 'the SPI device', context.spiBus ?? 0);
        case 'permission': {
            const user = os.userInfo().username;
            return new SetupProblem(`${user} may not use ${report.path} (not in the ${report.group} group)`,
                `sudo usermod -aG ${report.group} ${user}`, 'restart Node-RED');
        }
        case 'no-chip':
            return undefined;
        default:
            return new Error(report.detail);
    }
}

function spiOff(path: string, bus: number): SetupProblem {
    // raspi-config's do_spi sets dtparam=spi=on, which gives bus 0 with both chip selects.
    if (bus === 0) return new SetupProblem(`${path} does not exist: SPI is off`, 'sudo raspi-config nonint do_spi 0');
    return new SetupProblem(`${path} does not exist: SPI bus ${bus} is off`,
        `echo dtoverlay=spi${bus}-1cs | sudo tee -a /boot/firmware/config.txt`, 'reboot');
}
