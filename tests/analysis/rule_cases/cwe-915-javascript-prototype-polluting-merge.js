function extend(target, source) {
    for (var name in source) {
        // ruleid: cwe-915-javascript-prototype-polluting-merge
        target[name] = source[name];
    }
    return target;
}

function deepMerge(into, from) {
    for (const prop in from) {
        if (typeof from[prop] === 'object') {
            // ruleid: cwe-915-javascript-prototype-polluting-merge
            into[prop] = deepMerge(into[prop] || {}, from[prop]);
        } else {
            // ruleid: cwe-915-javascript-prototype-polluting-merge
            into[prop] = from[prop];
        }
    }
    return into;
}

function safeMerge(into, from) {
    for (const prop in from) {
        if (Object.prototype.hasOwnProperty.call(from, prop)) {
            // ok: cwe-915-javascript-prototype-polluting-merge
            into[prop] = from[prop];
        }
    }
    return into;
}

function ownOnly(into, from) {
    for (var prop in from) {
        if (!from.hasOwnProperty(prop)) continue;
        // ok: cwe-915-javascript-prototype-polluting-merge
        into[prop] = from[prop];
    }
}

function skipsProto(into, from) {
    for (let prop in from) {
        if (prop === '__proto__' || prop === 'constructor') {
            continue;
        }
        // ok: cwe-915-javascript-prototype-polluting-merge
        into[prop] = from[prop];
    }
}

function setNested(store, dotted, value) {
    var head = dotted.slice(0, dotted.indexOf('/'));
    var rest = dotted.slice(dotted.indexOf('/') + 1);
    if (!rest) {
        return value;
    }
    // ruleid: cwe-915-javascript-prototype-polluting-merge
    store[head] = setNested(store[head] || {}, rest, value);
    return store;
}

function setNestedChecked(store, dotted, value) {
    var head = dotted.slice(0, dotted.indexOf('/'));
    var rest = dotted.slice(dotted.indexOf('/') + 1);
    if (head == '__proto__') return store;
    // ok: cwe-915-javascript-prototype-polluting-merge
    store[head] = setNestedChecked(store[head] || {}, rest, value);
    return store;
}

function assignPath(root, segments, leaf) {
    var node = root;
    var step;
    while (segments.length > 1) {
        step = segments.shift();
        if (typeof node[step] !== 'object') {
            // ruleid: cwe-915-javascript-prototype-polluting-merge
            node[step] = {};
        }
        node = node[step];
    }
    for (var n = 0; n < segments.length - 1; n++) {
        // ruleid: cwe-915-javascript-prototype-polluting-merge
        node[segments[n]] = node[segments[n]] || {};
        node = node[segments[n]];
    }
    // ok: cwe-915-javascript-prototype-polluting-merge
    node[segments[0]] = leaf;
}

function assignPathChecked(root, path, leaf) {
    if (path.indexOf('__proto__') !== -1) {
        throw new Error('bad path');
    }
    var segments = path.split('.');
    var node = root;
    for (var n = 0; n < segments.length - 1; n++) {
        // ok: cwe-915-javascript-prototype-polluting-merge
        node[segments[n]] = node[segments[n]] || {};
        node = node[segments[n]];
    }
}

function counts(words) {
    var seen = {};
    for (var n = 0; n < words.length; n++) {
        // ok: cwe-915-javascript-prototype-polluting-merge
        seen[words[n]] = (seen[words[n]] || 0) + 1;
    }
    return seen;
}

function fibs(memo, n) {
    // ok: cwe-915-javascript-prototype-polluting-merge
    memo[n] = n < 2 ? n : fibs(memo, n - 1) + fibs(memo, n - 2);
    return memo[n];
}

var copy = function (from) {
    var out = {};
    Object.keys(from).forEach(function (k) {
        // ok: cwe-915-javascript-prototype-polluting-merge
        out[k] = from[k];
    });
    return out;
};
