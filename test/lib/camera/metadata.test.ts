// Reading the Lux out of rpicam-still's metadata, in the shape rpicam-apps writes it.
import assert from 'assert/strict';
import { luxFromMetadata, simulatedLux } from '../../../nodes/lib/camera/metadata';
import { rpicamMetadata } from './fake-camera';

describe('camera metadata', () => {
    it('reads Lux from rpicam-still --metadata-format json output', () => {
        assert.equal(luxFromMetadata(rpicamMetadata(268.436)), 268.436);
        assert.equal(luxFromMetadata(rpicamMetadata(0)), 0);
    });

    it('still finds Lux when another control printed bare text that is not JSON', () => {
        // libcamera quotes a value only when it holds a '/': a bare word would break JSON.parse.
        const text = rpicamMetadata(91.5).replace('"AeLocked": true', '"AeState": Converged');
        assert.throws(() => JSON.parse(text));
        assert.equal(luxFromMetadata(text), 91.5);
    });

    it('has no lux for metadata without one, a negative one or no metadata at all', () => {
        assert.equal(luxFromMetadata(rpicamMetadata(268).replace(/\n {4}"Lux": 268,/, '')), undefined);
        assert.equal(luxFromMetadata(rpicamMetadata(-3)), undefined);
        assert.equal(luxFromMetadata(''), undefined);
        assert.equal(luxFromMetadata('[]'), undefined);
    });

    it('gives the simulated scene a brighter noon than midnight', () => {
        const at = (hours: number) => {
            const time = new Date();
            time.setHours(hours, 0, 0, 0);
            return simulatedLux(time);
        };
        assert.equal(at(0), 20);
        assert.equal(at(12), 500);
        assert.ok(at(9) > at(7) && at(9) < at(12));
    });
});
