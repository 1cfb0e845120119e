const fs = require("fs");
const path = require("path");

const PUBLIC_DIR = path.resolve(__dirname, "public");

function readPublicFile(fileName) {
  const target = path.resolve(PUBLIC_DIR, fileName);
  if (!target.startsWith(PUBLIC_DIR + path.sep)) {
    throw new Error("Access denied");
  }
  return fs.readFileSync(target, "utf8");
}

module.exports = { readPublicFile };
