import urllib.request
from urllib.parse import urlparse

import requests
from flask import Flask, request

app = Flask(__name__)
ALLOWED_HOSTS = {"api.example.com"}


@app.route("/proxy")
def proxy():
    url = request.args.get("url")
    # ruleid: cwe-918-python-ssrf
    response = requests.get(url, timeout=5)
    # ok: cwe-918-python-ssrf
    fixed = requests.get("https://api.example.com/status", timeout=5)
    return response.text + fixed.text


def fetch_profile(host, user_id):
    # ruleid: cwe-918-python-ssrf
    return requests.get(f"http://{host}/users/{user_id}", timeout=5).json()


def fetch_user(user_id):
    # ok: cwe-918-python-ssrf
    return requests.get(f"https://api.example.com/users/{user_id}", timeout=5).json()


def download(user_url):
    # ruleid: cwe-918-python-ssrf
    with urllib.request.urlopen(user_url) as response:
        return response.read()


def download_allowed(user_url):
    host = urlparse(user_url).hostname
    if host not in ALLOWED_HOSTS:
        raise ValueError(f"host {host} is not allowed")
    # ok: cwe-918-python-ssrf
    return requests.get(user_url, timeout=5).content


def download_if_allowed(user_url):
    if urlparse(user_url).hostname in ALLOWED_HOSTS:
        # ok: cwe-918-python-ssrf
        return requests.get(user_url, timeout=5).content
    return None
