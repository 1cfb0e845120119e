from urllib.parse import urlparse

import requests

ALLOWED_HOSTS = ("api.example.com",)


def is_allowed(url):
    return urlparse(url).hostname in ALLOWED_HOSTS


def fetch_url(url):
    if not is_allowed(url):
        raise ValueError("host not allowed")
    return requests.get(url, timeout=10).text
