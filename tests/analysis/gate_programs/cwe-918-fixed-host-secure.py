from urllib.parse import quote

import requests


def get_user(user_id: str) -> dict:
    return requests.get(f"https://api.example.com/users/{quote(user_id)}", timeout=5).json()
