const escapeRegExp = require("lodash.escaperegexp");

app.get("/search", function (req, res) {
    // ruleid: cwe-1333-javascript-regex-injection
    const pattern = new RegExp(req.query.q);
    // ok: cwe-1333-javascript-regex-injection
    const literal = new RegExp(escapeRegExp(req.query.q));
    // ok: cwe-1333-javascript-regex-injection
    const digits = new RegExp("^[0-9]+$");
    res.send(String(pattern.test("x") && literal.test("y") && digits.test("1")));
});

function findMatches(pattern, text) {
    // ruleid: cwe-1333-javascript-regex-injection
    return text.match(new RegExp(pattern, "g"));
}

function findWord(word, text) {
    const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    // ok: cwe-1333-javascript-regex-injection
    return new RegExp(escaped).test(text);
}
