const logger = require("winston");

function recordFailedLogin(username, attempts) {
    // ruleid: cwe-117-javascript-log-injection
    console.log("Failed login for " + username);
    // ok: cwe-117-javascript-log-injection
    console.log("attempts: " + attempts);
}

function recordFailedLoginSafely(username) {
    const clean = username.replace(/[\r\n]/g, "");
    // ok: cwe-117-javascript-log-injection
    console.warn(`Failed login for ${clean}`);
    // ok: cwe-117-javascript-log-injection
    logger.info("login by " + JSON.stringify(username));
}

app.post("/comment", (req, res) => {
    // ruleid: cwe-117-javascript-log-injection
    logger.info(`new comment: ${req.body.comment}`);
    res.send("ok");
});
