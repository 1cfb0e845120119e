var fs = require('fs'),
    http = require('http'),
    url = require('url'),
    path = require('path'),
    sanitizeFile = require('sanitize-filename');

var server = http.createServer(function(req, res) {
    let filePath = url.parse(req.url, true).query.path;
    // ruleid: cwe-022-javascript-path-traversal
    res.write(fs.readFileSync(__dirname + "/" + filePath));
    // ok: cwe-022-javascript-path-traversal
    res.write(fs.readFileSync(__dirname + "/" + sanitizeFile(filePath)));
    // ok: cwe-022-javascript-path-traversal
    res.write(fs.readFileSync(path.join(__dirname, path.basename(filePath))));
    // ok: cwe-022-javascript-path-traversal
    res.write(fs.readFileSync(__dirname + "/index.html"));
    res.end();
});

function download(req, res) {
    // ruleid: cwe-022-javascript-path-traversal
    res.sendFile(path.join(__dirname, "files", req.params.name));
}
