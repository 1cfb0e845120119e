function renderGreeting(name) {
  return `<div class="greeting"><h1>Hello, ${name}!</h1></div>`;
}

module.exports = { renderGreeting };
