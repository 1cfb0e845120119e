const jwt = require("jsonwebtoken");
const mysql = require("mysql");

function issue(user) {
    // ruleid: cwe-798-javascript-hardcoded-secret
    return jwt.sign({ id: user.id }, "s3cr3t-key", { expiresIn: "1h" });
}

function issueFromEnv(user) {
    // ok: cwe-798-javascript-hardcoded-secret
    return jwt.sign({ id: user.id }, process.env.JWT_SECRET, { expiresIn: "1h" });
}

// ruleid: cwe-798-javascript-hardcoded-secret
const connection = mysql.createConnection({ host: "localhost", user: "root", password: "root" });
// ok: cwe-798-javascript-hardcoded-secret
const other = mysql.createConnection({ host: "localhost", user: "root", password: process.env.DB_PASSWORD });
