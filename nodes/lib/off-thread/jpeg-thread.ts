// The worker thread behind jpeg-work.ts: runs the pure-JavaScript JPEG work that would
// otherwise hold Node-RED's event loop for 50-150 ms a picture (longer on a Pi): thumbnails.
import { parentPort } from 'worker_threads';
import { jpegThumbnail } from '../images/thumbnail';
import { asBuffer } from './view';
import type { JpegJob, JpegReply } from './jpeg-work';

function run(job: JpegJob): JpegReply['result'] {
    // A view, not a copy: the message is already this thread's own copy of the picture.
    return jpegThumbnail(asBuffer(job.source), job.maxWidth);
}

parentPort?.on('message', (job: JpegJob) => {
    let reply: JpegReply;
    try {
        reply = { id: job.id, result: run(job) };
    } catch (err) {
        reply = { id: job.id, error: (err as Error).message };
    }
    parentPort?.postMessage(reply);
});
