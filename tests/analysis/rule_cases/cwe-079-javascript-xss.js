function setLanguageOptions() {
    var href = document.location.href;
    var deflt = href.substring(href.indexOf("default=") + 8);
    // ruleid: cwe-079-javascript-xss
    document.write("<OPTION value=1>" + deflt + "</OPTION>");
    // ok: cwe-079-javascript-xss
    document.write("<OPTION value=1>" + encodeURIComponent(deflt) + "</OPTION>");
    // ok: cwe-079-javascript-xss
    document.write("<OPTION value=2>English</OPTION>");
}

function showMessage(element) {
    var message = location.hash.substring(1);
    // ruleid: cwe-079-javascript-xss
    element.innerHTML = "<b>" + message + "</b>";
    // ok: cwe-079-javascript-xss
    element.textContent = message;
    // ok: cwe-079-javascript-xss
    element.innerHTML = "<b>" + escapeHtml(message) + "</b>";
}

app.get("/greet", function (req, res) {
    // ruleid: cwe-079-javascript-xss
    res.send("<h1>Hello " + req.query.name + "</h1>");
    // ok: cwe-079-javascript-xss
    res.send("<h1>Hello</h1>");
});
