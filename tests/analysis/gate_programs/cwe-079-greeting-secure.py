import html


def render_greeting(name: str) -> str:
    """Return an HTML greeting for the given user name."""
    safe_name = html.escape(name)
    return f"<html><body><h1>Welcome, {safe_name}!</h1></body></html>"
