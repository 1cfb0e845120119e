app.get("/calc", function (req, res) {
    // ruleid: cwe-094-javascript-code-injection
    var result = eval(req.query.expression);
    // ok: cwe-094-javascript-code-injection
    var parsed = JSON.parse(req.query.data);
    // ok: cwe-094-javascript-code-injection
    setTimeout(function () { res.send(String(result) + parsed); }, 10);
    // ruleid: cwe-094-javascript-code-injection
    var fn = new Function("return " + req.query.body);
    fn();
});
