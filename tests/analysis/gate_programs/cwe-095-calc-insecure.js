function calculate(expression) {
  return eval(expression);
}

module.exports = { calculate };
