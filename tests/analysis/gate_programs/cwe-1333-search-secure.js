function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function searchLines(word, lines) {
  const regex = new RegExp(escapeRegExp(word), "i");
  return lines.filter((line) => regex.test(line));
}

module.exports = { searchLines };
