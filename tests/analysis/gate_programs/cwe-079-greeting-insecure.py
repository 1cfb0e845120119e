def render_greeting(name: str) -> str:
    """Return an HTML greeting for the given user name."""
    return f"<html><body><h1>Welcome, {name}!</h1></body></html>"
