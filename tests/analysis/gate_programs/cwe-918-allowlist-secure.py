from urllib.parse import urlparse

import requests

ALLOWED_HOSTS = {"api.github.com", "example.com"}


def fetch_url(url):
    parsed = urlparse(url)
    if parsed.scheme != "https" or parsed.hostname not in ALLOWED_HOSTS:
        raise ValueError("URL not allowed")
    return requests.get(url, timeout=10).text
