function generate_random_password() {
    // ruleid: cwe-338-javascript-insecure-random
    var password = Math.floor(Math.random() * 1000000);
    return password;
}

function generate_secure_password() {
    const crypto = require("crypto");
    // ok: cwe-338-javascript-insecure-random
    var password = crypto.randomInt(0, 1000000);
    return password;
}

function shuffle(items) {
    // ok: cwe-338-javascript-insecure-random
    var index = Math.floor(Math.random() * items.length);
    return items[index];
}

function pick(items) {
    // ruleid: cwe-338-javascript-insecure-random
    const token = Math.random().toString(36).slice(2);
    return token;
}
