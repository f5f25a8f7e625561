// Empties dist/ before every build: tsc never deletes what it compiled from a source that is
// gone since, and mocha runs every dist/test/**/*.test.js, so a removed test would live on.
const fs = require('fs');
const path = require('path');

fs.rmSync(path.join(__dirname, '..', 'dist'), { recursive: true, force: true });
