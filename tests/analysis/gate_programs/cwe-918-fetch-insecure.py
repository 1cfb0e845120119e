import requests


def fetch_url(url):
    """Download the page at the user's URL and return its text."""
    response = requests.get(url, timeout=10)
    response.raise_for_status()
    return response.text
