const escapeHtml = require("escape-html");

function renderGreeting(name) {
    // ruleid: cwe-079-javascript-html-built-from-input
    return `<h1>Hello, ${name}!</h1>`;
}

function renderGreetingEscaped(name) {
    // ok: cwe-079-javascript-html-built-from-input
    return `<h1>Hello, ${escapeHtml(name)}!</h1>`;
}

const renderComment = (author, text) => {
    // ruleid: cwe-079-javascript-html-built-from-input
    return "<div class='comment'><b>" + author + "</b>: " + text + "</div>";
};

function plainText(name) {
    // ok: cwe-079-javascript-html-built-from-input
    return `Hello, ${name}!`;
}

app.get("/search", (req, res) => {
    const query = req.query.q;
    // ruleid: cwe-079-javascript-html-built-from-input
    const page = `<p>Results for
        ${query}</p>`;
    // ok: cwe-079-javascript-html-built-from-input
    const count = `<p>page ${parseInt(req.query.page, 10)}</p>`;
    res.send(page + count);
});
