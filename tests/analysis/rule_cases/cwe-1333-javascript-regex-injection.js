const escapeRegExp = require("lodash.escaperegexp");

app.get("/search", function (req, res) {
    // ruleid: cwe-400-javascript-regex-injection
    const pattern = new RegExp(req.query.q);
    // ok: cwe-400-javascript-regex-injection
    const literal = new RegExp(escapeRegExp(req.query.q));
    // ok: cwe-400-javascript-regex-injection
    const digits = new RegExp("^[0-9]+$");
    res.send(String(pattern.test("x") && literal.test("y") && digits.test("1")));
});
