import logging

from flask import Flask, request

app = Flask(__name__)
logger = logging.getLogger(__name__)


def record_failed_login(username, attempts):
    # ruleid: cwe-117-python-log-injection
    logger.warning("Failed login for user %s (%d attempts)", username, attempts)
    # ok: cwe-117-python-log-injection
    logger.info("attempts so far: %d", attempts)


def record_failed_login_safely(username):
    clean = username.replace("\r", "\\r").replace("\n", "\\n")
    # ok: cwe-117-python-log-injection
    logger.warning("Failed login for user %s", clean)
    # ok: cwe-117-python-log-injection
    logging.info("Login attempt by %s", repr(username))


def log_search(search_term):
    # ruleid: cwe-117-python-log-injection
    logging.info(f"User searched for: {search_term}")


@app.route("/comment", methods=["POST"])
def comment():
    text = request.form["comment"]
    # ruleid: cwe-117-python-log-injection
    app.logger.info("new comment: " + text)
    # ok: cwe-117-python-log-injection
    app.logger.info("new comment of %d characters", len(text))
    return "ok"
