const https = require("https");

function insecureAgent() {
    // ruleid: cwe-295-javascript-tls-verification-disabled
    return new https.Agent({ rejectUnauthorized: false });
}

function secureAgent(ca) {
    // ok: cwe-295-javascript-tls-verification-disabled
    return new https.Agent({ rejectUnauthorized: true, ca: ca });
}

// ruleid: cwe-295-javascript-tls-verification-disabled
process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
