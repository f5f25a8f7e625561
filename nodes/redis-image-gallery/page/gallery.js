/* global document, window, fetch, EventSource, URLSearchParams */
// The gallery page. Every value from the server is put into the page with textContent,
// attributes or URL encoding, never parsed as markup (the original inserted metadata as
// HTML strings: an XSS hole). New pictures arrive over Server-Sent Events without a reload.
'use strict';

(function () {
    var meta = function (name) { return document.querySelector('meta[name="' + name + '"]').getAttribute('content'); };
    var base = meta('gallery-base');
    var pageSize = Number(meta('gallery-page-size')) || 24;
    var grid = document.getElementById('grid');
    var moreButton = document.getElementById('load-more');
    var noImages = document.getElementById('no-images');
    var loadError = document.getElementById('load-error');
    var liveState = document.getElementById('live-state');
    var shown = new Set();
    var nextCursor = null;
    var NO_FILTERS = { from: '', to: '', camera: '', minLux: '', maxLux: '' };
    var filters = Object.assign({}, NO_FILTERS);
    var generation = 0;

    function el(tag, className, text) {
        var node = document.createElement(tag);
        if (className) node.className = className;
        if (text !== undefined && text !== null) node.textContent = String(text);
        return node;
    }

    // When Redis stored the picture: the order of the gallery and of its filters. The camera's
    // own capture time can be days off (a Pi has no real-time clock until NTP answers).
    function when(image) {
        return new Date(Number(image.stored_ms) || Number(image.ts_ms) || Number(image.timestamp) * 1000);
    }

    function clockNote(image) {
        if (!image.clock_skew_ms) return null;
        return 'camera clock said ' + new Date(Number(image.ts_ms)).toLocaleString();
    }

    function imageUrl(kind, id) {
        return base + '/api/' + kind + '/' + encodeURIComponent(id);
    }

    function query(extra) {
        var params = new URLSearchParams();
        params.set('limit', String(pageSize));
        if (filters.from) params.set('from', String(new Date(filters.from).getTime()));
        if (filters.to) params.set('to', String(new Date(filters.to).getTime()));
        if (filters.camera) params.set('camera', filters.camera);
        if (filters.minLux) params.set('minLux', filters.minLux);
        if (filters.maxLux) params.set('maxLux', filters.maxLux);
        Object.keys(extra || {}).forEach(function (k) { params.set(k, extra[k]); });
        return params.toString();
    }

    function matchesFilters(image) {
        var t = when(image).getTime();
        if (filters.from && t < new Date(filters.from).getTime()) return false;
        if (filters.to && t > new Date(filters.to).getTime()) return false;
        if (filters.camera && image.camera !== filters.camera) return false;
        // A brightness filter shows measured pictures only (lux null: nothing measured it).
        var lux = image.lux === null || image.lux === undefined ? NaN : Number(image.lux);
        if (filters.minLux && !(lux >= Number(filters.minLux))) return false;
        if (filters.maxLux && !(lux <= Number(filters.maxLux))) return false;
        return true;
    }

    function card(image, isNew) {
        var button = el('button', 'card' + (isNew ? ' new' : ''));
        button.type = 'button';
        button.dataset.id = image.id;
        var img = el('img');
        img.loading = 'lazy';
        img.src = imageUrl('thumb', image.id);
        img.alt = 'Image ' + image.id;
        if (image.width && image.height) { img.width = 320; img.height = Math.round(320 * image.height / image.width); }
        var caption = el('div', 'caption');
        caption.appendChild(el('strong', null, when(image).toLocaleString()));
        var details = [image.camera, image.lux !== null && image.lux !== undefined ? image.lux + ' lux' : null].filter(Boolean).join(' · ');
        caption.appendChild(el('span', null, details));
        var note = clockNote(image);
        if (note) caption.appendChild(el('span', 'clock-note', note));
        button.appendChild(img);
        button.appendChild(caption);
        button.addEventListener('click', function () { openViewer(image); });
        return button;
    }

    function add(images, atTop) {
        images.forEach(function (image) {
            if (shown.has(image.id)) return;
            shown.add(image.id);
            var node = card(image, atTop);
            if (atTop) grid.insertBefore(node, grid.firstChild); else grid.appendChild(node);
        });
        noImages.hidden = shown.size > 0;
    }

    function load(reset) {
        var mine = reset ? ++generation : generation;
        var extra = !reset && nextCursor ? { cursor: nextCursor } : {};
        moreButton.disabled = true;
        return fetch(base + '/api/images?' + query(extra), { headers: { Accept: 'application/json' } }).then(function (res) {
            if (!res.ok) throw new Error('the server answered ' + res.status);
            var cursor = res.headers.get('X-Next-Cursor');
            return res.json().then(function (images) {
                if (mine !== generation) return;
                if (reset) { grid.replaceChildren(); shown.clear(); }
                add(images, false);
                nextCursor = cursor;
                moreButton.hidden = !cursor;
                loadError.hidden = true;
            });
        }).catch(function (err) {
            loadError.textContent = 'Could not load pictures: ' + err.message;
            loadError.hidden = false;
        }).then(function () { moreButton.disabled = false; });
    }

    // Full-size view: the only place the full image is downloaded.
    var viewer = document.getElementById('viewer');
    function openViewer(image) {
        var full = imageUrl('image', image.id);
        var img = document.getElementById('viewer-image');
        img.src = full;
        img.alt = 'Image ' + image.id;
        document.getElementById('viewer-title').textContent = when(image).toUTCString();
        document.getElementById('viewer-open').href = full;
        var list = document.getElementById('viewer-meta');
        list.replaceChildren();
        Object.keys(image).forEach(function (key) {
            var value = image[key];
            if (value === null || value === undefined || value === '') return;
            list.appendChild(el('dt', null, key));
            list.appendChild(el('dd', null, typeof value === 'object' ? JSON.stringify(value) : value));
        });
        if (typeof viewer.showModal === 'function') viewer.showModal(); else viewer.setAttribute('open', '');
    }
    document.getElementById('viewer-close').addEventListener('click', function () { viewer.close(); });
    viewer.addEventListener('click', function (event) { if (event.target === viewer) viewer.close(); });

    function loadCameras() {
        var select = document.getElementById('filter-camera');
        return fetch(base + '/api/cameras').then(function (res) { return res.ok ? res.json() : []; }).then(function (names) {
            var have = new Set(Array.prototype.map.call(select.options, function (o) { return o.value; }));
            names.forEach(function (name) {
                if (have.has(name)) return;
                var option = el('option', null, name);
                option.value = name;
                select.appendChild(option);
            });
        }).catch(function () { /* the filter just offers fewer cameras */ });
    }

    function hasCameraOption(name) {
        return Array.prototype.some.call(document.getElementById('filter-camera').options, function (o) { return o.value === name; });
    }

    document.getElementById('filters').addEventListener('submit', function (event) {
        event.preventDefault();
        filters.from = document.getElementById('filter-from').value;
        filters.to = document.getElementById('filter-to').value;
        filters.camera = document.getElementById('filter-camera').value;
        filters.minLux = document.getElementById('filter-lux-min').value;
        filters.maxLux = document.getElementById('filter-lux-max').value;
        nextCursor = null;
        load(true);
    });
    document.getElementById('filter-clear').addEventListener('click', function () {
        document.getElementById('filters').reset();
        filters = Object.assign({}, NO_FILTERS);
        nextCursor = null;
        load(true);
    });
    moreButton.addEventListener('click', function () { load(false); });

    // Live arrival: the server sends only the id; its metadata comes from /api/data/<id>.
    function live() {
        if (typeof EventSource !== 'function') { liveState.textContent = 'live updates unavailable'; return; }
        var source = new EventSource(base + '/api/events');
        source.addEventListener('open', function () { liveState.textContent = 'live'; });
        source.addEventListener('error', function () { liveState.textContent = 'reconnecting…'; });
        source.addEventListener('image', function (event) {
            var id = String(event.data);
            if (shown.has(id)) return;
            fetch(imageUrl('data', id)).then(function (res) { return res.ok ? res.json() : null; }).then(function (image) {
                if (!image || !matchesFilters(image)) return;
                add([image], true);
                // Only a camera the filter does not offer yet is worth asking the server about.
                if (image.camera && !hasCameraOption(image.camera)) loadCameras();
            }).catch(function () { /* the next page load shows it */ });
        });
    }

    load(true).then(loadCameras);
    live();
    window.galleryReady = true;
})();
