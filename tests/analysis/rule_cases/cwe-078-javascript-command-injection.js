var cp = require("child_process"),
    http = require('http'),
    url = require('url');

var server = http.createServer(function(req, res) {
    let file = url.parse(req.url, true).query.path;
    // ruleid: cwe-078-javascript-command-injection
    var output = cp.execSync("wc -l " + file);
    // ok: cwe-078-javascript-command-injection
    var safe = cp.execFileSync("wc", ["-l", file]);
    // ok: cwe-078-javascript-command-injection
    var fixed = cp.execSync("wc -l /etc/hosts");
    res.write(output + safe + fixed);
    res.end();
});

function gitCheckout(branch) {
    // ruleid: cwe-078-javascript-command-injection
    cp.exec(`git checkout ${branch}`, function (err) {});
    // ok: cwe-078-javascript-command-injection
    cp.execFile("git", ["checkout", branch], function (err) {});
}

const { exec, execFile } = require("child_process");

function pdfinfo(self, done) {
    // ruleid: cwe-078-javascript-command-injection
    let child = exec('pdfinfo ' + self.options.additional.join(' '), done);
    // ok: cwe-078-javascript-command-injection
    let safe = execFile('pdfinfo', self.options.additional, done);
    // ok: cwe-078-javascript-command-injection
    let pattern = /a+/.exec("aaa");
}
