const jwt = require("jsonwebtoken");

function read(token, key) {
    // ruleid: cwe-287-javascript-jwt-none-algorithm
    const lax = jwt.verify(token, key, { algorithms: ["HS256", "none"] });
    // ok: cwe-287-javascript-jwt-none-algorithm
    const strict = jwt.verify(token, key, { algorithms: ["HS256"] });
    return [lax, strict];
}
