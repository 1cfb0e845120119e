const ALLOWED_HOSTS = ["api.example.com", "cdn.example.com"];

async function fetchPreview(userUrl) {
  const { hostname, protocol } = new URL(userUrl);
  if (protocol !== "https:" || !ALLOWED_HOSTS.includes(hostname)) {
    throw new Error("URL not allowed");
  }
  const response = await fetch(userUrl);
  return (await response.text()).slice(0, 200);
}

module.exports = { fetchPreview };
