import logging

logger = logging.getLogger("auth")


def log_failed_login(username: str, ip_address: str) -> None:
    logger.warning("Failed login attempt for user %s from %s", username, ip_address)
