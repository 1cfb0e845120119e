const fs = require("fs");
const path = require("path");

const PUBLIC_DIR = path.join(__dirname, "public");

function readPublicFile(fileName) {
  return fs.readFileSync(path.join(PUBLIC_DIR, fileName), "utf8");
}

module.exports = { readPublicFile };
