const crypto = require("crypto");

function fingerprint(data) {
    // ruleid: cwe-327-javascript-weak-crypto
    return crypto.createHash("md5").update(data).digest("hex");
}

function strongFingerprint(data) {
    // ok: cwe-327-javascript-weak-crypto
    return crypto.createHash("sha256").update(data).digest("hex");
}

function encrypt(key, iv, data) {
    // ruleid: cwe-327-javascript-weak-crypto
    const weak = crypto.createCipheriv("des-ede3-cbc", key, iv);
    // ok: cwe-327-javascript-weak-crypto
    const strong = crypto.createCipheriv("aes-256-gcm", key, iv);
    return [weak.update(data), strong.update(data)];
}
