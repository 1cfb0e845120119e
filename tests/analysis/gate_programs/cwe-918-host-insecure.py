import requests


def get_service_status(host: str) -> dict:
    response = requests.get(f"http://{host}/status", timeout=5)
    return response.json()
