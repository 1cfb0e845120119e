function searchLines(pattern, lines) {
  const regex = new RegExp(pattern, "i");
  return lines.filter((line) => regex.test(line));
}

module.exports = { searchLines };
