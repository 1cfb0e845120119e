function escapeHtml(text) {
  return String(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

function renderGreeting(name) {
  return `<div class="greeting"><h1>Hello, ${escapeHtml(name)}!</h1></div>`;
}

module.exports = { renderGreeting };
