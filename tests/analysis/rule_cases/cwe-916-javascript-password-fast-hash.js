const bcrypt = require("bcrypt");
const crypto = require("crypto");

function hash_password(password) {
    // ruleid: cwe-916-javascript-password-fast-hash
    return crypto.createHash("sha256").update(password).digest("hex");
}

function hash_password_slowly(password) {
    // ok: cwe-916-javascript-password-fast-hash
    return bcrypt.hashSync(password, 10);
}

function checksum(data) {
    // ok: cwe-916-javascript-password-fast-hash
    return crypto.createHash("sha256").update(data).digest("hex");
}

function hash_password_twice(userPassword) {
    const hasher = crypto.createHash("md5");
    // ruleid: cwe-916-javascript-password-fast-hash
    hasher.update(userPassword);
    return hasher.digest("hex");
}
