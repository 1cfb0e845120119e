function calculate(expression) {
  if (!/^[0-9+\-*/ ().]+$/.test(expression)) {
    throw new Error("invalid expression");
  }
  const tokens = expression.match(/\d+(\.\d+)?|[+\-*/()]/g);
  return tokens.length;
}

module.exports = { calculate };
