const fs = require("fs");
const path = require("path");

const BASE_DIR = "/srv/files";

function readUserFile(filename) {
    const filePath = path.join(BASE_DIR, filename);
    // ruleid: cwe-022-javascript-path-join-escape
    return fs.readFileSync(filePath, "utf8");
}

const deleteUpload = (name) => {
    // ruleid: cwe-022-javascript-path-join-escape
    fs.unlinkSync(path.resolve("/uploads", name));
};

function readUserFileChecked(filename) {
    const base = path.resolve(BASE_DIR);
    const filePath = path.resolve(base, filename);
    if (!filePath.startsWith(base + path.sep)) {
        throw new Error("outside the folder");
    }
    // ok: cwe-022-javascript-path-join-escape
    return fs.readFileSync(filePath, "utf8");
}

function readUserFileBasename(filename) {
    // ok: cwe-022-javascript-path-join-escape
    return fs.readFileSync(path.join(BASE_DIR, path.basename(filename)), "utf8");
}

function readConfig() {
    // ok: cwe-022-javascript-path-join-escape
    return fs.readFileSync(path.join(BASE_DIR, "config.json"), "utf8");
}
