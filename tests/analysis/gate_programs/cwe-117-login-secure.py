import logging

logger = logging.getLogger("auth")


def log_failed_login(username: str) -> None:
    sanitized = username.replace("\r", "\\r").replace("\n", "\\n")
    logger.warning("Failed login attempt for user %s", sanitized)
