const vm = require("vm");

function calculate(expression) {
    // ruleid: cwe-095-javascript-eval-injection
    return eval(expression);
}

function parseSettings(text) {
    // ok: cwe-095-javascript-eval-injection
    return JSON.parse(text);
}

const compile = (body) => {
    // ruleid: cwe-095-javascript-eval-injection
    return new Function("x", body);
};

function square(n) {
    // ok: cwe-095-javascript-eval-injection
    return eval(String(Number(n)) + " ** 2");
}

app.get("/calc", (req, res) => {
    // ruleid: cwe-095-javascript-eval-injection
    res.send(String(vm.runInNewContext(req.query.expr)));
});
