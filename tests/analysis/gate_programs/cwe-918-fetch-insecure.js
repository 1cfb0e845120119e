async function fetchPreview(userUrl) {
  const response = await fetch(userUrl);
  const body = await response.text();
  return body.slice(0, 200);
}

module.exports = { fetchPreview };
